-- Doris and StarRocks: metadata and live reads through the frontend's MySQL protocol
CREATE SECRET dw_pw AS 'etl-password';
CREATE SOURCE dw TYPE doris
  WITH (fenodes = 'fe:8030', query_port = 9030, username = 'etl', password = SECRET dw_pw);
SHOW DATABASES FROM dw;  DESCRIBE dw.ods.orders;   -- LARGEINT as STRING, DATETIMEV2(3) as TIMESTAMP(3) …
SELECT * FROM dw.ods.orders WHERE id < 10;         -- live, as for MySQL
CREATE SOURCE sr TYPE starrocks WITH (load_url = 'fe:8030', jdbc_url = 'jdbc:mysql://fe:9030',
  username = 'etl', password = SECRET dw_pw);

-- the motivating case: one MySQL change stream into Kafka and Doris, read once; the Doris
-- table is created at START, keyed like the table it copies (UNIQUE KEY(id))
CREATE PIPELINE cdc_fanout WITH (mode = 'streaming') AS $$ BEGIN
  INSERT INTO events.orders SELECT id, amount, created_at FROM shop_db.shop.orders;
  INSERT INTO dw.ods.orders SELECT id, amount FROM shop_db.shop.orders;
END $$;
EXPLAIN PIPELINE cdc_fanout FORMAT seatunnel;      -- one MySQL-CDC source, Kafka and Doris sinks

-- a Doris cluster the gateway cannot reach, or a Paimon warehouse on S3: declare
CREATE TABLE dw.ods.refunds (id INT, amount DECIMAL(10, 2), PRIMARY KEY (id) NOT ENFORCED);

-- Paimon: a local warehouse is read from Paimon's own schema files
CREATE SOURCE lake TYPE paimon WITH (warehouse = 'file:///data/warehouse');
SHOW TABLES FROM lake.ods;  DESCRIBE lake.ods.orders;

-- Gravitino: one catalog of a metalake; pipelines compile as the system behind it
CREATE SECRET g_token AS 'oauth-token';  CREATE SECRET mysql_pw AS 'etl-password';
CREATE SOURCE meta TYPE gravitino WITH (uri = 'http://gravitino:8090', metalake = 'prod',
  catalog = 'mysql_cat', token = SECRET g_token, password = SECRET mysql_pw);
SHOW DATABASES FROM meta;                          -- the catalog's schemas
