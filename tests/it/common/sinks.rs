//! The sinks pipelines in the tests write to.

use tokio_postgres::Client;

/// Sinks of every kind the tests write: a print table, a Kafka topic, a datagen table
/// (read-only), and a blackhole.
pub async fn sinks(client: &Client) {
    client
        .batch_execute(
            "CREATE SOURCE out TYPE print WITH (print_identifier = 'it''s');
             CREATE TABLE out.console (id INT, amount DECIMAL(10, 2));
             CREATE TABLE out.wide (id BIGINT, label STRING, day DATE);
             CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = 'kafka-1:9092,kafka-2:9092');
             CREATE TABLE k.order_events (id INT, amount DECIMAL(10, 2), at TIMESTAMP(3)) WITH (topic = 'order-events');
             CREATE SOURCE gen TYPE datagen WITH (rows_per_second = 5);
             CREATE TABLE gen.numbers (n BIGINT);
             CREATE SOURCE hole TYPE blackhole;
             CREATE TABLE hole.void (id INT);",
        )
        .await
        .unwrap();
}
