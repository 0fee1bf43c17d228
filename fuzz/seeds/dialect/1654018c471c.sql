-- a print sink to look at (any writable source works: see "Every source type" below)
CREATE SOURCE out TYPE print;
CREATE TABLE out.big_orders (id INT, amount DECIMAL(10, 2));

-- the body is Flink SQL; it is checked against the catalog before anything is stored:
-- unknown tables (42P01) and columns (42703), type mismatches with the sink (42804),
-- column counts (42601), read-only sinks (42809), unsupported constructs (0A000)
CREATE PIPELINE orders_fanout WITH (mode = 'streaming', parallelism = 2) AS $$
BEGIN
  INSERT INTO events.orders SELECT id, amount, created_at FROM shop_db.shop.orders;
  INSERT INTO out.big_orders SELECT id, amount FROM shop_db.shop.orders WHERE amount > 100;
END
$$;                                      -- $$ … $$: psql splits BEGIN … END at each ';'

SHOW PIPELINES;
SHOW CREATE PIPELINE orders_fanout;     -- normalised SQL that recreates it
DESCRIBE PIPELINE orders_fanout;        -- the DAG: one source node feeding two sinks
EXPLAIN PIPELINE orders_fanout;         -- nodes, schemas, the job's settings

-- what each engine would run; secrets are ${SLUICE_SECRET_…} placeholders, never values
EXPLAIN PIPELINE orders_fanout FORMAT flink_sql;   -- SETs, one table per source, a statement set
EXPLAIN PIPELINE orders_fanout FORMAT seatunnel;   -- env / source / transform / sink
EXPLAIN PIPELINE orders_fanout FORMAT kubernetes;  -- ConfigMap, Secret (keys only), FlinkDeployment
EXPLAIN PIPELINE orders_fanout FORMAT kubernetes
  WITH (mode = 'session', session_cluster = 'shared', namespace = 'flink');  -- FlinkSessionJob
EXPLAIN PIPELINE orders_fanout FORMAT flink_cdc;   -- 0A000: a fan-out is not sync-shaped
EXPLAIN PIPELINE orders_fanout FORMAT mermaid;     -- also dot and json

-- what each sink would receive, read live from the sources, written nowhere; each sink's
-- bounded SELECT runs at its source as one statement where it reads one source
PREVIEW PIPELINE orders_fanout LIMIT 5;             -- one result set per sink
PREVIEW PIPELINE orders_fanout SINK out.big_orders;
PREVIEW INSERT INTO out.big_orders SELECT id, amount * 2 FROM shop_db.shop.orders;

ALTER PIPELINE orders_fanout SET (parallelism = 4);   -- each change is a new version
SELECT version, created_by, created_at FROM sluice.pipeline_versions;
DROP SOURCE shop_db;                    -- ERROR 2BP01: pipeline orders_fanout uses it
DESCRIBE PIPELINE OPTIONS;              -- engine, mode, parallelism, checkpoint_interval …
DROP PIPELINE orders_fanout;
