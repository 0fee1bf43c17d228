CREATE SCHEDULE nightly CRON '0 2 * * *' TIMEZONE 'Asia/Shanghai'
  WITH (retries = 2, retry_delay = '5m', timeout = '2h', max_active_runs = 1, catchup = false)
AS BEGIN
  RUN PIPELINE load_orders;
  RUN PIPELINE load_users;
  RUN PIPELINE daily_totals AFTER load_orders, load_users;
END;
RUN SCHEDULE nightly;   PAUSE SCHEDULE nightly;   RESUME SCHEDULE nightly;
SHOW SCHEDULES;   SHOW RUNS [FOR SCHEDULE nightly | FOR PIPELINE daily_totals];
