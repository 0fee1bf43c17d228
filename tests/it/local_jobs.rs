//! Local jobs are `running` from their start, so STOP reaches a small or slow one at once;
//! and a job that runs for minutes keeps its lease, so another gateway sharing the catalog
//! does not take it for dead.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{Postgres, postgres_up};
use crate::common::kube::spawn_sql;
use crate::common::rows::rows;
use crate::common::{Options, TestServer, psql_local, require};

async fn state_of(client: &Client, pipeline: &str) -> String {
    rows(
        client,
        &format!("SELECT state FROM sluice.deployments WHERE pipeline = '{pipeline}' ORDER BY id DESC"),
    )
    .await
    .first()
    .map(|r| r[0].clone())
    .unwrap_or_default()
}

async fn until_state(client: &Client, pipeline: &str, wanted: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let state = state_of(client, pipeline).await;
        if state == wanted {
            return;
        }
        assert!(Instant::now() < deadline, "{pipeline} is {state:?}, not {wanted}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A source `dw` over the test database and a view of `pg`'s schema that takes `seconds`
/// to answer one row.
async fn slow_view(client: &Client, pg: &Postgres, seconds: u32) {
    let p = &pg.name;
    pg.execute(&format!(
        "CREATE VIEW {p}.slow AS SELECT 1 AS id FROM pg_sleep({seconds}); CREATE TABLE {p}.slow_copy (id int)"
    ))
    .await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE PIPELINE slow WITH (mode = 'batch') AS INSERT INTO dw.{p}.slow_copy SELECT id FROM dw.{p}.slow"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn stop_reaches_a_local_job_as_soon_as_it_starts() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    slow_view(&client, &pg, 30).await;
    let start = spawn_sql(server.client().await, "START PIPELINE slow");
    until_state(&client, "slow", "running", Duration::from_secs(10)).await;
    client.batch_execute("STOP PIPELINE slow").await.unwrap();
    assert_eq!(state_of(&client, "slow").await, "stopped");
    let e = start.await.unwrap().expect_err("the START of a stopped job fails");
    assert!(e.as_db_error().is_some(), "{e}");
    let copied = pg.text_rows(&format!("SELECT count(*)::text FROM {}.slow_copy", pg.name)).await;
    assert_eq!(copied, [["0"]]);
    let (state, _, _) = failure(&client, "STOP PIPELINE slow").await;
    assert_eq!(state, "55000", "nothing runs any more");
    pg.drop().await;
}

#[tokio::test]
async fn a_long_local_job_keeps_its_lease_while_another_gateway_watches() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let db = format!("sluice_lease_{}", std::process::id());
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    psql_local(&format!("CREATE DATABASE {db}"));
    let gateway = || {
        TestServer::start_with(Options {
            metadata_url: Some(format!("postgres://postgres@127.0.0.1:5432/{db}")),
            envs: vec![("SLUICE_MASTER_KEY".into(), "46".repeat(32))],
            ..Options::default()
        })
    };
    let (a_server, b_server) = (gateway(), gateway());
    let (a, b) = (a_server.client().await, b_server.client().await);
    // longer than the minute after which a watcher takes a silent local job for dead
    slow_view(&a, &pg, 75).await;
    a.batch_execute("START PIPELINE slow").await.unwrap();
    assert_eq!(state_of(&b, "slow").await, "finished", "gateway B left A's running job alone");
    let copied = pg.text_rows(&format!("SELECT count(*)::text FROM {}.slow_copy", pg.name)).await;
    assert_eq!(copied, [["1"]]);
    drop((a, b, a_server, b_server));
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    pg.drop().await;
}
