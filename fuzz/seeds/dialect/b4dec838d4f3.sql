CREATE TABLE kafka_prod.order_events (
  id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'orders', format = 'json', 'scan.startup.mode' = 'earliest-offset');
