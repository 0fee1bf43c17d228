START PIPELINE orders_fanout [ON TARGET dev_flink] [FROM SAVEPOINT 's3://sp/abc'];
STOP PIPELINE orders_fanout [WITH SAVEPOINT];
SUSPEND PIPELINE orders_fanout;    RESUME PIPELINE orders_fanout;
SHOW DEPLOYMENTS;    -- pipeline, target, engine_job_id, state, since, last_error, savepoint
