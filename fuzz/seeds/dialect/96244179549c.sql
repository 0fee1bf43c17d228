SHOW TARGETS;                            -- 'local' exists out of the box
SHOW TARGET TYPES;  DESCRIBE TARGET TYPE flink;

-- local: batch pipelines run inside the gateway (DataFusion over the live sources;
-- PostgreSQL sinks through COPY, MySQL through batched INSERTs, csv/json/parquet files), every
-- sink in a transaction of its own (files: hidden until committed; overwrite writes a staging
-- directory that replaces the old one at commit), prepared when all are written and then
-- committed (see "What a local job commits" below)
CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'dw', username = 'loader');
CREATE PIPELINE copy_orders WITH (mode = 'batch', write_mode = 'append') AS
  INSERT INTO dw.public.orders SELECT id, amount, created_at FROM shop_db.shop.orders;
START PIPELINE copy_orders;              -- NOTICE: 10000 rows written …; finished
SHOW DEPLOYMENTS;                        -- pipeline, target, engine_job_id, state, since,
                                         -- last_error, savepoint, rows_in, rows_out

-- flink: a session cluster over its REST API (scripts/flink-local.sh starts one here)
CREATE TARGET dev_flink TYPE flink WITH (rest_url = 'http://127.0.0.1:8081',
  runner_jar = '/root/.cache/sluice/flink/sluice-sql-runner.jar');
TEST TARGET dev_flink;                   -- REST API, free slots, runner jar
START PIPELINE orders_fanout ON TARGET dev_flink;   -- returns when Flink accepted the job,
                                                    -- or with Flink's own error (58000)
STOP PIPELINE orders_fanout WITH SAVEPOINT;         -- the savepoint path is recorded
RESUME PIPELINE orders_fanout;                      -- starts from it
SUSPEND PIPELINE orders_fanout;                     -- = stop with savepoint, to RESUME later
START PIPELINE orders_fanout FROM SAVEPOINT 'file:///…/savepoint-…';

-- an https REST API (a TLS-terminating proxy in front of Flink or SeaTunnel): verified
-- against ca_file (else Mozilla's roots), with a bearer token — or username + password —
-- taken from SECRETs; the values never show in SHOW TARGETS, errors or logs
CREATE SECRET flink_token AS '…';
CREATE TARGET prod_flink TYPE flink WITH (rest_url = 'https://flink.internal:8443',
  ca_file = '/etc/sluice/ca.pem', token = SECRET flink_token);

-- directory: write every artifact to path/<pipeline>/<version>/ (a GitOps dry run)
CREATE TARGET render TYPE directory WITH (path = './deployments');
START PIPELINE orders_fanout ON TARGET render;
