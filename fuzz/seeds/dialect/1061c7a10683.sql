-- who is here, and what the catalog holds
SELECT name, superuser, can_login, has_password FROM sluice.roles;
\dt sluice.*
\d sluice.sources

-- roles: SCRAM-SHA-256, only verifiers are stored
CREATE ROLE analyst LOGIN PASSWORD 'correct horse';
ALTER ROLE analyst RENAME TO reporter;
DROP ROLE IF EXISTS nobody;            -- NOTICE: role "nobody" does not exist, skipping

-- every change is an event
SELECT at, actor, action, object_kind, object_name FROM sluice.events ORDER BY id;

-- session parameters behave as in PostgreSQL
SET search_path = sluice, public;
SELECT count(*) FROM roles;
SHOW search_path;
SET DateStyle = 'ISO, DMY';
RESET ALL;

-- DataFusion answers queries over the catalog, information_schema and pg_catalog
SELECT table_name FROM information_schema.tables WHERE table_schema = 'sluice';
SELECT r.name, count(e.id) AS changes
  FROM sluice.roles r LEFT JOIN sluice.events e ON e.object_name = r.name
 GROUP BY r.name;

-- errors carry PostgreSQL's SQLSTATEs and positions
SELECT nosuch FROM sluice.roles;        -- ERROR 42703, position 8

-- sources: what kinds there are, and what each takes
SHOW SOURCE TYPES;
DESCRIBE SOURCE TYPE mysql;             -- options by group: basic, tuning, advanced
SELECT json_schema FROM sluice.source_types WHERE type = 'mysql';

-- secrets are encrypted at rest and never shown; sources refer to them by name
CREATE SECRET shop_pw AS 'etl-password';
CREATE SOURCE shop_db TYPE mysql
  WITH (host = '127.0.0.1', port = 3306, username = 'etl', password = SECRET shop_pw);
TEST SOURCE shop_db;                    -- tcp, authentication, tls, version, privileges
-- ssl_mode = verify_ca | verify_identity (ssl_ca = 'ca.pem') verifies the server in live
-- reads, never falls back to plain, and reaches JDBC URLs as sslMode=VERIFY_CA …
-- (live reads check the host name under verify_ca too: the pool library cannot skip it)
SHOW DATABASES FROM shop_db;
SHOW TABLES FROM shop_db.shop;          -- cached in the catalog; REFRESH SOURCE reads again
DESCRIBE shop_db.shop.orders;           -- column, type, nullable, key, source_type
SELECT * FROM shop_db.shop.orders WHERE id > 10 LIMIT 20;   -- live, run at the source
-- a query over one source runs there as one statement (filters, sorts, limits,
-- aggregates, joins of its tables); EXPLAIN shows it (VirtualExecutionPlan). A query over
-- several sources is joined here, each side's single-source part run at its source. Only
-- what the source computes as Sluice does is sent: PostgreSQL or Flink functions, windows,
-- and MySQL's case-blind LIKE are computed here, over the rows the source filtered.
EXPLAIN SELECT cust, count(*) FROM shop_db.shop.orders GROUP BY cust ORDER BY 2 DESC LIMIT 5;
SHOW CREATE SOURCE shop_db;             -- secrets by name
DROP SECRET shop_pw;                    -- ERROR 2BP01: source shop_db uses it

-- every source read live (MySQL/MariaDB, PostgreSQL, Doris, StarRocks) is a database of
-- its own: connect to it by name (psql "dbname=shop_db", or a BI tool's connection with
-- database shop_db). Its databases (PostgreSQL: schemas) are schemas, its tables tables,
-- with columns, primary keys and comments from the metadata cache, in pg_catalog and
-- information_schema; names resolve inside it. \l lists sluice and every such source.
-- Connecting needs SELECT ON SOURCE shop_db (42501 without; 3D000 for no such database).
\c shop_db
\dn
\d+ shop.orders                                   -- with the source's column comments
SELECT * FROM orders WHERE id > 10 LIMIT 20;     -- search_path, or the first schema
SELECT name FROM sluice.sluice.sources;          -- the gateway's database, three parts away

-- schema-less systems declare their tables (Flink SQL types)
CREATE SOURCE events TYPE kafka WITH (bootstrap_servers = 'k1:9092');
CREATE TABLE events.orders (id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (topic = 'orders', format = 'json');
