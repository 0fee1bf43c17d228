//! Two gateways sharing one PostgreSQL catalog: a source created, altered or dropped on
//! one is read as it now is on the other within a poll interval — not as the other
//! gateway first published it.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::common::fixtures::{Postgres, postgres_up};
use crate::common::{Options, TestServer, psql_local, require, sqlstate};

/// Waits (up to 30 s) until `sql` on `client` answers as `wanted` says (given its rows as
/// text, or the SQLSTATE of the error it fails with, as `error XXXXX`).
async fn until_answer(client: &Client, sql: &str, wanted: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        last = match client.simple_query(sql).await {
            Ok(messages) => messages
                .iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("NULL").to_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => format!("error {}", sqlstate(&e)),
        };
        if wanted(&last) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{sql}: still {last:?}");
}

#[tokio::test]
async fn a_source_changed_on_one_gateway_is_read_as_it_now_is_on_the_other() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = &pg.name;
    let db = format!("sluice_gateways_{}", std::process::id());
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    psql_local(&format!("CREATE DATABASE {db}"));
    let gateway = || {
        TestServer::start_with(Options {
            metadata_url: Some(format!("postgres://postgres@127.0.0.1:5432/{db}")),
            envs: vec![("SLUICE_MASTER_KEY".into(), "45".repeat(32))],
            ..Options::default()
        })
    };
    let (a_server, b_server) = (gateway(), gateway());
    let (a, b) = (a_server.client().await, b_server.client().await);
    let count = format!("SELECT count(*) FROM wh.{p}.orders");

    // created on A: read on B
    a.batch_execute(
        "CREATE SOURCE wh TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')",
    )
    .await
    .unwrap();
    until_answer(&b, &count, |a| a == "20").await;

    // altered on A to a database that does not exist: B's reads fail as A's do
    a.batch_execute("ALTER SOURCE wh SET (database = 'no_such_database')").await.unwrap();
    let on_a = a.simple_query(&count).await.map(|_| ()).map_err(|e| sqlstate(&e));
    on_a.expect_err("A reads the new database");
    until_answer(&b, &count, |a| a.starts_with("error ")).await;

    // back, then dropped on A: B no longer reads it, failing as A does
    a.batch_execute("ALTER SOURCE wh SET (database = 'test')").await.unwrap();
    until_answer(&b, &count, |a| a == "20").await;
    a.batch_execute("DROP SOURCE wh").await.unwrap();
    let gone = a.simple_query(&count).await.map(|_| ()).map_err(|e| sqlstate(&e));
    let gone = format!("error {}", gone.expect_err("dropped"));
    until_answer(&b, &count, |a| a == gone).await;

    drop((a, b, a_server, b_server));
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    pg.drop().await;
}
