//! Lineage: `sluice.lineage` as pipelines are created, replaced and dropped; EXPLAIN
//! LINEAGE along a chain of two pipelines through a table (rows, dot, mermaid); and the
//! OpenLineage run events a run sends to an HTTP receiver (START, COMPLETE, FAIL with the
//! job's inputs, outputs and column lineage) or appends to a file.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{Postgres, postgres_up};
use crate::common::rows::rows;
use crate::common::{Options, PASSWORD, TestServer, require};

/// The value of the source's password (the test database trusts its clients): it
/// must appear in no event.
const SECRET_VALUE: &str = "dw-pw-6d1f";

/// A source `dw` over the test database; in `pg`'s schema, `clean` (written by pipeline
/// `a` from `orders`) and `report` (written by `b` from `clean`, through a view).
async fn chain(client: &Client, pg: &Postgres) {
    let p = &pg.name;
    pg.execute(&format!(
        "CREATE TABLE {p}.clean (id int, total numeric(12,2), label text);
         CREATE TABLE {p}.report (n bigint, total numeric(14,2))"
    ))
    .await;
    client
        .batch_execute(&format!(
            "CREATE SECRET dw_pw AS '{SECRET_VALUE}';
             CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', \
               password = SECRET dw_pw);
             CREATE PIPELINE a WITH (mode = 'batch') AS
               INSERT INTO dw.{p}.clean SELECT id, amount * 2 AS total, name AS label FROM dw.{p}.orders WHERE flag;
             CREATE PIPELINE b WITH (mode = 'batch') AS $$ BEGIN
               CREATE TEMPORARY VIEW big AS SELECT total FROM dw.{p}.clean WHERE total > 10;
               INSERT INTO dw.{p}.report SELECT count(*) AS n, sum(total) AS total FROM big;
             END $$"
        ))
        .await
        .unwrap();
}

/// A client whose NOTICEs arrive on the returned channel.
async fn client_with_notices(server: &TestServer) -> (Client, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use futures::StreamExt;
    let (client, mut connection) =
        tokio_postgres::connect(&server.conn_str("sluice", PASSWORD), tokio_postgres::NoTls).await.unwrap();
    let (tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
    tokio::spawn(async move {
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notice(n) = message {
                let _ = tx.send(n.message().to_owned());
            }
        }
    });
    (client, notices)
}

#[tokio::test]
async fn a_chain_of_two_pipelines_shows_in_lineage() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    let server = TestServer::start();
    let client = server.client().await;
    chain(&client, &pg).await;

    let stored = rows(
        &client,
        "SELECT pipeline, input_source, input_database, input_table, input_column, output_source, \
         output_database, output_table, output_column FROM sluice.lineage",
    );
    let stored = stored.await;
    let row = |pipeline: &str, input: &str, input_column: &str, output: &str, output_column: &str| {
        let parts = |t: &str| ["dw".to_owned(), p.clone(), t.to_owned()];
        let mut r = vec![pipeline.to_owned()];
        r.extend(parts(input));
        r.push(input_column.to_owned());
        r.extend(parts(output));
        r.push(output_column.to_owned());
        r
    };
    assert_eq!(
        stored,
        [
            row("a", "orders", "NULL", "clean", "NULL"),
            row("a", "orders", "id", "clean", "id"),
            row("a", "orders", "amount", "clean", "total"),
            row("a", "orders", "name", "clean", "label"),
            // count(*) reads no column; sum(total) reads clean.total through the view
            row("b", "clean", "NULL", "report", "NULL"),
            row("b", "clean", "total", "report", "total"),
        ]
    );

    let t = |name: &str| format!("dw.{p}.{name}");
    let a_columns = "id -> id, amount -> total, name -> label";
    assert_eq!(
        rows(&client, "EXPLAIN LINEAGE FOR PIPELINE b").await,
        [
            ["upstream", "1", &t("orders"), "a", &t("clean"), a_columns],
            ["pipeline", "0", &t("clean"), "b", &t("report"), "total -> total"],
        ]
    );
    let around_clean = rows(&client, &format!("EXPLAIN LINEAGE FOR TABLE dw.{p}.clean")).await;
    assert_eq!(
        around_clean,
        [
            ["upstream", "1", &t("orders"), "a", &t("clean"), a_columns],
            ["downstream", "1", &t("clean"), "b", &t("report"), "total -> total"],
        ]
    );
    let dot = rows(&client, "EXPLAIN LINEAGE FOR PIPELINE a FORMAT dot").await;
    assert_eq!(
        dot,
        [[format!(
            "digraph lineage {{\n  rankdir=LR;\n  t0 [shape=cylinder, label=\"{}\"];\n  \
             t1 [shape=cylinder, label=\"{}\"];\n  t2 [shape=cylinder, label=\"{}\"];\n  \
             p0 [shape=box, label=\"pipeline a\"];\n  p1 [shape=box, label=\"pipeline b\"];\n  \
             t0 -> p0;\n  p0 -> t1;\n  t1 -> p1;\n  p1 -> t2;\n}}\n",
            t("orders"),
            t("clean"),
            t("report")
        )]]
    );
    let mermaid = rows(&client, &format!("EXPLAIN LINEAGE FOR TABLE dw.{p}.report FORMAT mermaid")).await;
    assert_eq!(
        mermaid,
        [[format!(
            "flowchart LR\n  t0[(\"{}\")]\n  t1[(\"{}\")]\n  t2[(\"{}\")]\n  p0[\"pipeline a\"]\n  \
             p1[\"pipeline b\"]\n  t0 --> p0\n  p0 --> t1\n  t1 --> p1\n  p1 --> t2\n",
            t("orders"),
            t("clean"),
            t("report")
        )]]
    );

    joins_and_windows_are_traced(&client, &pg).await;
    edgeless_pipelines_and_tables_are_told(&server, &p).await;

    let (state, message, _) = failure(&client, "EXPLAIN LINEAGE FOR PIPELINE nope").await;
    assert_eq!((state.as_str(), message.contains("\"nope\"")), ("42704", true), "{message}");
    let (state, message, _) = failure(&client, "EXPLAIN LINEAGE FOR TABLE nowhere.s.t").await;
    assert_eq!((state.as_str(), message.contains("nowhere")), ("42704", true), "{message}");

    // a new body replaces the edges; a dropped pipeline takes its edges along
    client
        .batch_execute(&format!(
            "CREATE OR REPLACE PIPELINE b WITH (mode = 'batch') AS
               INSERT INTO dw.{p}.report SELECT id AS n, amount AS total FROM dw.{p}.orders"
        ))
        .await
        .unwrap();
    let b = rows(
        &client,
        "SELECT input_table, input_column, output_column FROM sluice.lineage WHERE pipeline = 'b'",
    );
    assert_eq!(b.await, [["orders", "NULL", "NULL"], ["orders", "id", "n"], ["orders", "amount", "total"]]);
    client.batch_execute("DROP PIPELINE b").await.unwrap();
    assert_eq!(rows(&client, "SELECT DISTINCT pipeline FROM sluice.lineage").await, [["a"]]);
    drop(server);
    pg.drop().await;
}

/// A USING join's key comes from both sides (a RIGHT join fills it from the right); a
/// window function's column is its argument's, not its PARTITION BY's.
async fn joins_and_windows_are_traced(client: &Client, pg: &Postgres) {
    let p = &pg.name;
    pg.execute(&format!("CREATE TABLE {p}.joined (id int, total numeric(38,2), label text)")).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE j WITH (mode = 'batch') AS INSERT INTO dw.{p}.joined
               SELECT id, sum(amount) OVER (PARTITION BY name) AS total, label
               FROM dw.{p}.orders RIGHT JOIN dw.{p}.clean USING (id)"
        ))
        .await
        .unwrap();
    let joined = "SELECT input_table, input_column, output_column FROM sluice.lineage WHERE pipeline = 'j' \
                  ORDER BY input_column NULLS FIRST, input_table";
    assert_eq!(
        rows(client, joined).await,
        [
            ["clean", "NULL", "NULL"],
            ["orders", "NULL", "NULL"],
            ["orders", "amount", "total"],
            ["clean", "id", "id"],
            ["orders", "id", "id"],
            ["clean", "label", "label"],
        ]
    );
    client.batch_execute("DROP PIPELINE j").await.unwrap();
}

/// A pipeline that reads no table has no edges, and a table no pipeline uses none: EXPLAIN
/// LINEAGE says so.
async fn edgeless_pipelines_and_tables_are_told(server: &TestServer, p: &str) {
    let (notified, mut notices) = client_with_notices(server).await;
    notified
        .batch_execute(&format!(
            "CREATE PIPELINE consts WITH (mode = 'batch') AS INSERT INTO dw.{p}.report SELECT 1 AS n, CAST(2.5 AS DECIMAL(14, 2)) AS total"
        ))
        .await
        .unwrap();
    while notices.try_recv().is_ok() {}
    assert!(rows(&notified, "EXPLAIN LINEAGE FOR PIPELINE consts").await.is_empty());
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv()).await.unwrap().unwrap();
    assert!(notice.starts_with("pipeline \"consts\" has no recorded lineage"), "{notice}");
    notified.batch_execute("DROP PIPELINE consts").await.unwrap();
    assert!(rows(&notified, &format!("EXPLAIN LINEAGE FOR TABLE dw.{p}.joined")).await.is_empty());
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv()).await.unwrap().unwrap();
    assert_eq!(notice, format!("no pipeline reads or writes table dw.{p}.joined"));
}

fn ends_run(event: &Value) -> bool {
    ["COMPLETE", "FAIL", "ABORT"].iter().any(|t| event["eventType"] == *t)
}

/// An OpenLineage HTTP receiver: takes what the spec's HTTP transport POSTs (a JSON
/// RunEvent with the fields every event must have) and keeps each with its
/// Authorization header; anything else is answered 400.
#[derive(Clone, Default)]
struct Receiver {
    events: Arc<Mutex<Vec<Received>>>,
}

/// An event as received: its Authorization header and its JSON.
type Received = (Option<String>, Value);

impl Receiver {
    async fn start(&self) -> String {
        async fn post(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
            let json_body =
                headers.get("content-type").and_then(|v| v.to_str().ok()) == Some("application/json");
            let Ok(event) = serde_json::from_str::<Value>(&body) else { return StatusCode::BAD_REQUEST };
            let complete = ["eventType", "eventTime", "run", "job", "producer", "schemaURL"]
                .iter()
                .all(|k| event.get(k).is_some())
                && event["run"]["runId"].is_string()
                && event["job"]["namespace"].is_string()
                && event["job"]["name"].is_string();
            if !json_body || !complete {
                return StatusCode::BAD_REQUEST;
            }
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
            r.events.lock().unwrap().push((auth, event));
            StatusCode::CREATED
        }
        let app = Router::new().route("/api/v1/lineage", axum::routing::post(post)).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v1/lineage", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    /// The events of `job` once one of them ends its run.
    async fn wait_for(&self, job: &str) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let events: Vec<_> = self
                .events
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, e)| e["job"]["name"] == job)
                .cloned()
                .collect();
            if events.iter().any(|(_, e)| ends_run(e)) || Instant::now() > deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn runs_send_openlineage_events_with_inputs_and_outputs() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let options = Options {
        extra_args: vec!["--openlineage-url".into(), url],
        envs: vec![("SLUICE_OPENLINEAGE_API_KEY".into(), "ol-key-1234".into())],
        ..Options::default()
    };
    let server = TestServer::start_with(options);
    let client = server.client().await;
    chain(&client, &pg).await;

    client.batch_execute("START PIPELINE a").await.unwrap();
    let arrived =
        pg.text_rows(&format!("SELECT id::text AS i, total::text, label FROM {p}.clean ORDER BY id")).await;
    let expected: Vec<Vec<String>> = (2..=20)
        .step_by(2)
        .map(|g| vec![g.to_string(), format!("{:.2}", g as f64 * 2.5), format!("order {g}")])
        .collect();
    assert_eq!(arrived, expected);

    let events = receiver.wait_for("a").await;
    let types: Vec<&Value> = events.iter().map(|(_, e)| &e["eventType"]).collect();
    // a local job runs from its start
    assert_eq!(types, ["START", "RUNNING", "COMPLETE"], "{events:#?}");
    for (auth, event) in &events {
        assert_eq!(auth.as_deref(), Some("Bearer ol-key-1234"));
        assert_eq!(event["job"]["namespace"], "sluice");
        assert_eq!(event["run"]["runId"], events[0].1["run"]["runId"]);
        let pg_tables = "postgres://127.0.0.1:5432";
        assert_eq!(event["inputs"], json!([{ "namespace": pg_tables, "name": format!("test.{p}.orders") }]));
        let output = &event["outputs"][0];
        assert_eq!(
            (&output["namespace"], &output["name"]),
            (&json!(pg_tables), &json!(format!("test.{p}.clean")))
        );
        let from = |field: &str| json!({ "inputFields": [{ "namespace": pg_tables, "name": format!("test.{p}.orders"), "field": field }] });
        assert_eq!(
            output["facets"]["columnLineage"]["fields"],
            json!({ "id": from("id"), "total": from("amount"), "label": from("name") })
        );
        assert_eq!(event["job"]["facets"]["jobType"]["processingType"], "BATCH");
    }
    let run_id = events[0].1["run"]["runId"].as_str().unwrap_or_default().to_owned();
    assert_eq!((run_id.len(), &run_id[14..15]), (36, "8"), "{run_id}");

    // a run that fails: FAIL, with the engine's reason
    pg.execute(&format!("CREATE TABLE {p}.strict (id int PRIMARY KEY)")).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE dup WITH (mode = 'batch') AS INSERT INTO dw.{p}.strict SELECT 1 AS id FROM dw.{p}.orders"
        ))
        .await
        .unwrap();
    assert!(client.batch_execute("START PIPELINE dup").await.is_err());
    let events = receiver.wait_for("dup").await;
    let types: Vec<&Value> = events.iter().map(|(_, e)| &e["eventType"]).collect();
    assert_eq!(types, ["START", "RUNNING", "FAIL"], "{events:#?}");
    let message = events[2].1["run"]["facets"]["errorMessage"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("duplicate key"), "{message}");
    assert!(events.iter().all(|(_, e)| e["run"]["runId"] == events[0].1["run"]["runId"]));
    assert_ne!(events[0].1["run"]["runId"], json!(run_id), "each deployment is its own run");

    let log = std::fs::read_to_string(&server.log).expect("the gateway's log");
    assert!(!log.contains("ol-key-1234"), "the API key is in the log");
    let sent = format!("{:?}", receiver.events.lock().unwrap());
    assert!(!sent.contains(SECRET_VALUE), "a secret's value was sent");
    drop(server);
    pg.drop().await;
}

#[tokio::test]
async fn runs_append_openlineage_events_to_a_file() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let options = Options {
        extra_args: vec!["--openlineage-url".into(), format!("file://{}", file.display())],
        envs: vec![("SLUICE_OPENLINEAGE_NAMESPACE".into(), "warehouse".into())],
        ..Options::default()
    };
    let server = TestServer::start_with(options);
    let client = server.client().await;
    chain(&client, &pg).await;
    client.batch_execute("START PIPELINE a").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let events: Vec<Value> = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let events: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        if events.iter().any(ends_run) || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let seen: Vec<(&Value, &Value, &Value)> =
        events.iter().map(|e| (&e["eventType"], &e["job"]["namespace"], &e["job"]["name"])).collect();
    let job = |t: &str| (json!(t), json!("warehouse"), json!("a"));
    let wanted = [job("START"), job("RUNNING"), job("COMPLETE")];
    assert_eq!(seen, wanted.iter().map(|(a, b, c)| (a, b, c)).collect::<Vec<_>>());
    assert_eq!(events[2]["outputs"][0]["name"], json!(format!("test.{}.clean", pg.name)));
    drop(server);
    pg.drop().await;
}
