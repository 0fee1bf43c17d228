//! A whole-database sync wider than the sink's connection limit: 1,000 MariaDB tables
//! copied into the machine's PostgreSQL (which allows 100 connections) by the local
//! engine. Every table arrives with its rows, the sink never sees more connections than
//! the sync's workers, and another client can connect throughout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{TestServer, require};

const TABLES: usize = 1000;
const WORKERS: i64 = 3;

#[tokio::test]
async fn a_thousand_tables_sync_within_the_sinks_connection_limit() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    // 1,000 tables of 1 to 3 rows, made server-side in one statement
    maria
        .execute(&format!(
            "BEGIN NOT ATOMIC FOR i IN 1..{TABLES} DO \
               EXECUTE IMMEDIATE CONCAT('CREATE TABLE {db}.w', i, \
                 ' (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(8,2), at DATETIME(6))'); \
               EXECUTE IMMEDIATE CONCAT('INSERT INTO {db}.w', i, \
                 ' SELECT seq, CONCAT(''t'', ', i, ', ''-'', seq), seq * ', i, ' / 100, \
                   TIMESTAMP(''2026-12-07 10:00:00.000001'') + INTERVAL seq * ', i, ' SECOND \
                   FROM seq_1_to_', 1 + i % 3); \
             END FOR; END",
            db = maria.name
        ))
        .await;
    let limit = pg.text_rows("SHOW max_connections").await;
    let limit: usize = limit[0][0].parse().expect("max_connections");
    assert!(TABLES > limit, "the sync must be wider than the sink's {limit} connections");

    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    // the sink logs in as the fixture's own role, so its connections can be told apart
    // from other tests'
    pg.execute(&format!("GRANT CREATE ON SCHEMA {0} TO {0}", pg.name)).await;
    client
        .batch_execute(&format!(
            "CREATE SECRET dw_pw AS 'pg-pw'; \
             CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = '{}', \
             password = SECRET dw_pw)",
            pg.name
        ))
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "CREATE SYNC DATABASE wide FROM maria DATABASE {} INCLUDING TABLES 'w[0-9]+' TO dw DATABASE {} \
             WITH (engine = 'local', mode = 'full', workers = {WORKERS})",
            maria.name, pg.name
        ))
        .await
        .unwrap();

    // while it runs: the sink's connections counted, and a new client connects
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicI64::new(0));
    let watcher = {
        let (done, most, role) = (done.clone(), most.clone(), pg.name.clone());
        tokio::spawn(async move {
            let mut connects = 0;
            let count = format!("SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'");
            while !done.load(Ordering::Relaxed) {
                let (watch, connection) = tokio_postgres::connect(
                    "host=127.0.0.1 user=postgres dbname=test",
                    tokio_postgres::NoTls,
                )
                .await
                .expect("another client connects while the sync runs");
                tokio::spawn(connection);
                let row = watch.query_one(count.as_str(), &[]).await.unwrap();
                most.fetch_max(row.get::<_, i64>(0), Ordering::Relaxed);
                connects += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            connects
        })
    };
    let started = std::time::Instant::now();
    client.batch_execute("START PIPELINE wide").await.unwrap();
    println!("START of {TABLES} tables: {:?}", started.elapsed());
    done.store(true, Ordering::Relaxed);
    let connects = watcher.await.unwrap();
    assert!(connects > 0, "the other client connected during the sync");
    let peak = most.load(Ordering::Relaxed);
    assert!(peak >= 1, "the watcher saw the sync's connections");
    assert!(peak <= WORKERS, "the sink saw {peak} connections for {WORKERS} workers");

    let expected_rows: usize = (1..=TABLES).map(|i| 1 + i % 3).sum();
    let deployment =
        rows(&client, "SELECT state, rows_out FROM sluice.deployments WHERE pipeline = 'wide'").await;
    assert_eq!(deployment, [["finished".to_owned(), expected_rows.to_string()]]);
    let created = pg
        .text_rows(&format!(
            "SELECT count(*)::text FROM pg_tables WHERE schemaname = '{}' AND tablename LIKE 'w%'",
            pg.name
        ))
        .await;
    assert_eq!(created, [[TABLES.to_string()]]);

    // every row of every table, value by value, in chunks of 100 tables
    for chunk in (1..=TABLES).collect::<Vec<_>>().chunks(100) {
        let union = |quote: char, at: &str, amount: &str| {
            chunk
                .iter()
                .map(|i| {
                    format!(
                        "SELECT {i} AS t, id, name, {amount}, {at} FROM {q}{db}{q}.{q}w{i}{q}",
                        q = quote,
                        db = if quote == '`' { &maria.name } else { &pg.name }
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        };
        let mut source = maria
            .text_rows(&format!(
                "SELECT CAST(t AS CHAR), CAST(id AS CHAR), name, CAST(amount AS CHAR), \
                 DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') FROM ({}) u",
                union('`', "at", "amount")
            ))
            .await;
        let mut sink = pg
            .text_rows(&format!(
                "SELECT t::text, id::text, name, amount::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') \
                 FROM ({}) u",
                union('"', "at", "amount")
            ))
            .await;
        source.sort();
        sink.sort();
        assert_eq!(sink, source, "tables w{}..w{}", chunk[0], chunk[chunk.len() - 1]);
        assert!(!sink.is_empty());
    }
    client.batch_execute("DROP SYNC wide").await.unwrap();
    maria.drop().await;
    pg.drop().await;
}
