CREATE SYNC DATABASE shop_to_dw
  FROM mysql_prod DATABASE shop INCLUDING TABLES 'orders|order_items|users' EXCLUDING TABLES 'tmp_.*'
  TO doris_prod DATABASE ods
  WITH (mode = 'cdc', engine = 'flink-cdc', table_prefix = 'ods_', create_tables = true);
SHOW SYNCS;   DESCRIBE SYNC shop_to_dw;   -- source_table, sink_table, columns, type mapping
