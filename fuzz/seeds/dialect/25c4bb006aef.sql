EXPLAIN PIPELINE orders_fanout;                        -- the plan as a DAG: nodes, edges, schemas
EXPLAIN PIPELINE orders_fanout FORMAT flink_sql;       -- also: seatunnel, flink_cdc, kubernetes, dot, mermaid, json
PREVIEW PIPELINE orders_fanout [SINK doris_prod.ods.orders] [LIMIT 20];
PREVIEW INSERT INTO doris_prod.ods.orders SELECT * FROM mysql_prod.shop.orders WHERE amount > 0;
SHOW PIPELINES;  SHOW CREATE PIPELINE orders_fanout;  DESCRIBE PIPELINE orders_fanout;
ALTER PIPELINE orders_fanout SET (parallelism = 4);  DROP PIPELINE orders_fanout;
