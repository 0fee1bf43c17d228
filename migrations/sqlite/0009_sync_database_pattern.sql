-- A sync may read every database of its source whose name matches a regular
-- expression (`FROM source DATABASES 'regex'`): source_database then holds the
-- expression, and tables of the same name in several databases merge into one sink table.
ALTER TABLE syncs ADD COLUMN source_database_pattern BOOLEAN NOT NULL DEFAULT 0;
