-- What a sync runs on the sink before moving a table (CREATE TABLE IF NOT EXISTS …),
-- and the order its tables were planned in.
ALTER TABLE sync_tables ADD COLUMN ddl TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_tables ADD COLUMN ordinal BIGINT NOT NULL DEFAULT 0;
