//! Rows that cross Flink's JDBC connector on the real local cluster, checked value by
//! value against PostgreSQL's own answer: a streaming aggregate upserted into a keyed
//! PostgreSQL table that is stopped with a savepoint, fed while stopped, resumed, and
//! counts every input row exactly once; and a `CREATE SYNC DATABASE` of one PostgreSQL
//! schema into another on the flink engine (a column type Flink's JDBC connector cannot
//! read refused when the sync is made, or left out on request).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::failures::failure;
use crate::common::fixtures::{Postgres, postgres_up};
use crate::common::flink::{FLINK, flink, flink_ready, setup, wait_all_running, wait_deployment};
use crate::common::rows::rows;
use crate::common::{TestServer, require};

/// Writes `rows` (`k,v` lines) as file `name` in `dir`, whole: written under a hidden name
/// and renamed, so Flink's directory monitor never reads half a file.
fn feed(dir: &Path, name: &str, rows: &[(i32, i64)]) {
    let text: String = rows.iter().map(|(k, v)| format!("{k},{v}\n")).collect();
    let hidden = dir.join(format!(".{name}"));
    std::fs::write(&hidden, text).unwrap();
    std::fs::rename(&hidden, dir.join(name)).unwrap();
}

/// What the keyed sink must hold for `rows`: per key, the count and the sum, as text.
fn totals(rows: &[(i32, i64)]) -> Vec<Vec<String>> {
    let mut by_key = std::collections::BTreeMap::<i32, (i64, i64)>::new();
    for (k, v) in rows {
        let e = by_key.entry(*k).or_default();
        e.0 += 1;
        e.1 += v;
    }
    by_key.into_iter().map(|(k, (n, s))| vec![k.to_string(), n.to_string(), s.to_string()]).collect()
}

/// Waits (two minutes at most) until the sink holds `want`; what it held last otherwise.
async fn sink_reaches(pg: &Postgres, want: &[Vec<String>]) -> Result<(), Vec<Vec<String>>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = pg
            .text_rows(&format!("SELECT k::text, n::text, total::text FROM {}.totals ORDER BY k", pg.name))
            .await;
        if held == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(held);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn batch(from: i64, count: i64) -> Vec<(i32, i64)> {
    (from..from + count).map(|i| ((i % 7) as i32, i * 3)).collect()
}

#[tokio::test]
async fn a_streaming_upsert_into_postgresql_counts_every_row_once_across_a_savepoint() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready())
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let _turn = FLINK.lock().await;
    let pg = Postgres::create().await;
    let p = &pg.name;
    pg.execute(&format!(
        "CREATE TABLE {p}.totals (k int PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL)"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    let out = server.data_path().join("out");
    setup(&client, &out).await;
    let inbox = out.join("events");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut fed = batch(1, 400);
    feed(&inbox, "part-1.csv", &fed);
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE TABLE files.events (k INT, v BIGINT)
               WITH (path = 'events', format = 'csv', 'source.monitor-interval' = '1s');
             CREATE PIPELINE totals WITH (mode = 'streaming', target = 'dev', checkpoint_interval = '2s') AS
               INSERT INTO dw.{p}.totals SELECT k, COUNT(*), SUM(v) FROM files.events GROUP BY k;
             START PIPELINE totals;"
        ))
        .await
        .unwrap();
    let first = wait_deployment(&client, "totals", |d| d[6] == "running" && d[5] != "NULL").await;
    wait_all_running(&first[5]).await;
    sink_reaches(&pg, &totals(&fed)).await.expect("the first file, counted");

    client.batch_execute("STOP PIPELINE totals WITH SAVEPOINT").await.unwrap();
    let stopped = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE totals").await.remove(0);
    assert_eq!(stopped[6], "stopped", "{stopped:?}");
    let savepoint = stopped[9].clone();
    // fed while no job runs
    let more = batch(401, 300);
    feed(&inbox, "part-2.csv", &more);
    fed.extend(more);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held =
        pg.text_rows(&format!("SELECT k::text, n::text, total::text FROM {p}.totals ORDER BY k")).await;
    assert_eq!(held, totals(&batch(1, 400)), "nothing moves while stopped");

    client.batch_execute("RESUME PIPELINE totals").await.unwrap();
    let resumed = wait_deployment(&client, "totals", |d| d[6] == "running" && d[5] != first[5]).await;
    wait_all_running(&resumed[5]).await;
    let checkpoints = flink(&format!("/jobs/{}/checkpoints", resumed[5])).expect("checkpoints");
    assert_eq!(
        checkpoints["latest"]["restored"]["external_path"].as_str(),
        Some(savepoint.as_str()),
        "restored from the savepoint: {checkpoints}"
    );
    // the first file is not read again, the second is read once, and a third while running
    let later = batch(701, 250);
    feed(&inbox, "part-3.csv", &later);
    fed.extend(later);
    let want = totals(&fed);
    sink_reaches(&pg, &want).await.unwrap_or_else(|held| panic!("every row once: {held:?} vs {want:?}"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    sink_reaches(&pg, &want).await.expect("and no row counted late a second time");
    client.batch_execute("STOP PIPELINE totals").await.unwrap();
    pg.drop().await;
}

#[tokio::test]
async fn a_postgresql_schema_is_synced_into_another_by_flink() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready())
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let _turn = FLINK.lock().await;
    let (from, to) = (Postgres::create().await, Postgres::create().await);
    let f = &from.name;
    // Flink's PostgreSQL dialect reads no timestamptz (TIMESTAMP_LTZ)
    from.execute(&format!(
        "ALTER TABLE {f}.orders DROP COLUMN seen;
         CREATE TABLE {f}.items (sku varchar(20) PRIMARY KEY, qty int, price numeric(12,4), note text);
         INSERT INTO {f}.items SELECT 'sku-' || g, g * 10, g / 3.0, CASE WHEN g % 2 = 0 THEN 'tab\there' END
           FROM generate_series(1, 50) g"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
    client
        .batch_execute("CREATE SOURCE pg TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')")
        .await
        .unwrap();
    let create = |with: &str| {
        format!(
            "CREATE SYNC DATABASE mirror FROM pg DATABASE {f} TO pg DATABASE {} \
             WITH (mode = 'full', engine = 'flink', target = 'dev', table_suffix = '_copy'{with})",
            to.name
        )
    };
    // Flink's JDBC connector reads a jsonb column as an object it cannot convert: refused
    // when the sync is made, not when the job fails on its first row
    let (state, message, _) = failure(&client, &create("")).await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("orders.doc") && message.contains("jsonb"), "{message}");
    assert!(rows(&client, "SHOW SYNCS").await.is_empty(), "nothing made");
    client.batch_execute(&create(", unsupported_types = 'skip'")).await.unwrap();
    client.batch_execute("START PIPELINE mirror").await.unwrap();
    let d = wait_deployment(&client, "mirror", |d| d[6] != "running" && d[6] != "submitting").await;
    assert_eq!(d[6], "finished", "{d:?}");
    let skipped = to
        .text_rows(&format!(
            "SELECT count(*)::text FROM information_schema.columns WHERE table_schema = '{}' AND column_name = 'doc' \
             AND table_name = 'orders_copy'",
            to.name
        ))
        .await;
    assert_eq!(skipped, vec![vec!["0".to_owned()]], "the jsonb column was left out");
    for (table, columns) in [
        ("orders", "id::text, amount::text, name, note, day::text, at::text, flag::text, encode(raw, 'hex')"),
        ("items", "sku, qty::text, price::text, note"),
    ] {
        let key = if table == "orders" { "id" } else { "sku" };
        let copied =
            to.text_rows(&format!("SELECT {columns} FROM {}.{table}_copy ORDER BY {key}", to.name)).await;
        let source = from.text_rows(&format!("SELECT {columns} FROM {f}.{table} ORDER BY {key}")).await;
        assert!(!source.is_empty());
        assert_eq!(copied, source, "{table}, every row and column");
    }
    from.drop().await;
    to.drop().await;
}
