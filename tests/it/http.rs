//! The HTTP side port.

use crate::common::TestServer;
use crate::common::http::get;

#[tokio::test]
async fn healthz_answers_when_the_store_does() {
    let server = TestServer::start();
    let response = get(server.http_port, "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let response = get(server.http_port, "/nothing-here").await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
}

#[tokio::test]
async fn metrics_count_connections_statements_and_errors() {
    let server = TestServer::start();
    let client = server.client().await;
    client.batch_execute("SELECT 1; SHOW search_path").await.unwrap();
    let _ = client.batch_execute("SELECT * FROM nowhere").await;
    let _ = client.batch_execute("SELEC 1").await;
    let metrics = get(server.http_port, "/metrics").await;
    let body = metrics.split("\r\n\r\n").nth(1).unwrap_or_default();
    for expected in [
        "sluice_open_connections 1",
        "sluice_statements_total{kind=\"select\"} 2",
        "sluice_statements_total{kind=\"show\"} 1",
        "sluice_errors_total{sqlstate=\"42P01\"} 1",
        "sluice_errors_total{sqlstate=\"42601\"} 1",
        "sluice_statement_duration_seconds_count",
    ] {
        assert!(body.contains(expected), "missing {expected} in\n{body}");
    }
    drop(client);
    // the gauge goes back down when the client leaves
    let mut open = String::new();
    for _ in 0..50 {
        open = get(server.http_port, "/metrics").await;
        if open.contains("sluice_open_connections 0") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(open.contains("sluice_open_connections 0"), "{open}");
}
