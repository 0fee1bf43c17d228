CREATE PIPELINE load_orders WITH (mode = 'batch', write_mode = 'overwrite') AS
  INSERT INTO dw.ods.orders SELECT * FROM shop_db.shop.orders
  WHERE created_at >= ${interval_start} AND created_at < ${interval_end};
CREATE SCHEDULE nightly CRON '0 2 * * *' TIMEZONE 'Asia/Shanghai'
  WITH (retries = 2, retry_delay = '5m', retry_backoff = true, task_timeout = '1h',
        max_active_runs = 1, catchup = false, on_failure = 'continue')
AS BEGIN
  RUN PIPELINE load_orders;
  RUN PIPELINE load_users;
  RUN PIPELINE daily_totals AFTER load_orders, load_users;
END;
-- NOTICE: schedule "nightly" fires next at 2026-11-28 02:00:00 CST
DESCRIBE SCHEDULE nightly;        -- the DAG (task, runs_after, level) and the next 5 fire times
RUN SCHEDULE nightly;             -- one run now, for the latest complete interval
RUN SCHEDULE nightly FOR RANGE '2026-11-01' TO '2026-11-04';   -- backfill: 3 runs, one per day
SHOW RUNS FOR SCHEDULE nightly;   -- a row per task of each run: state, attempt, deployment, times, error
SHOW RUNS FOR PIPELINE daily_totals;
PAUSE SCHEDULE nightly;  RESUME SCHEDULE nightly;  ALTER SCHEDULE nightly CRON '30 2 * * *';
