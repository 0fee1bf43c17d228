CREATE SOURCE mysql_prod TYPE mysql
  WITH (host = '10.0.0.5', port = 3306, username = 'etl', password = SECRET mysql_pw);
CREATE SOURCE kafka_prod TYPE kafka WITH (bootstrap_servers = 'k1:9092,k2:9092');
CREATE SOURCE lake TYPE paimon WITH (warehouse = 's3://lake/warehouse', 'fs.s3.access-key' = SECRET s3_key);
ALTER SOURCE mysql_prod SET (port = 3307);   ALTER SOURCE mysql_prod RESET (ssl_mode);
ALTER SOURCE mysql_prod RENAME TO mysql_main;
DROP SOURCE mysql_prod [RESTRICT | CASCADE];  -- RESTRICT (default) fails while pipelines use it
TEST SOURCE mysql_prod;            -- rows: check, ok, latency_ms, detail  (connect, auth, privileges)
REFRESH SOURCE mysql_prod [DATABASE shop];   -- re-read metadata (databases, tables, columns, keys)
SHOW SOURCES;                      -- name, type, options (secrets redacted), status, created_at
SHOW CREATE SOURCE mysql_prod;     -- a statement that recreates it, secrets by name
SHOW DATABASES FROM mysql_prod;    SHOW TABLES FROM mysql_prod.shop;
DESCRIBE mysql_prod.shop.orders;   -- column, type, nullable, key, source_type
SELECT * FROM mysql_prod.shop.orders WHERE id > 10 LIMIT 20;   -- live, read-only, pushed down
