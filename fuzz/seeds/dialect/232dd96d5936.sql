CREATE SYNC DATABASE shop_to_dw
  FROM shop_db DATABASE shop EXCLUDING TABLES 'tmp_.*'      -- or INCLUDING TABLES 'orders|users'
  TO dw DATABASE ods
  WITH (engine = 'local', mode = 'full', table_prefix = 'ods_');
-- NOTICE: introspected 30 tables of shop_db.shop … sync shop_to_dw: 28 tables … as pipeline shop_to_dw
SHOW SYNCS;
DESCRIBE SYNC shop_to_dw;     -- source_table, sink_table, column, source_type, sink_type, flink_type, nullable, key
EXPLAIN SYNC shop_to_dw;      -- the CREATE TABLE IF NOT EXISTS each sink table gets on START
EXPLAIN PIPELINE shop_to_dw FORMAT seatunnel;   -- one multi-table job (table_list, ${table_name})
PREVIEW PIPELINE shop_to_dw LIMIT 5;            -- a result set per table
START PIPELINE shop_to_dw;    -- creates the tables, copies every row (full mode replaces rows)
DROP SYNC shop_to_dw;         -- the sync and its pipeline; the sink tables stay
