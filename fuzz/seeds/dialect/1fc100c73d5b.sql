CREATE PIPELINE orders_fanout
  WITH (engine = 'flink', mode = 'streaming', target = 'k8s_prod', parallelism = 2)
AS BEGIN
  INSERT INTO kafka_prod.order_events SELECT id, amount, created_at FROM mysql_prod.shop.orders;
  INSERT INTO doris_prod.ods.orders   SELECT * FROM mysql_prod.shop.orders WHERE amount > 0;
END;
CREATE PIPELINE daily_totals WITH (mode = 'batch') AS
  INSERT INTO pg_dw.public.daily_totals
  SELECT CAST(created_at AS DATE) AS day, SUM(amount) FROM mysql_prod.shop.orders GROUP BY 1;
