//! The `local` target against the machine's real MariaDB and PostgreSQL: START copies a
//! MariaDB table into PostgreSQL inside the gateway, row for row; a failure writes
//! nothing; SHOW DEPLOYMENTS tells what happened.

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{TestServer, require};

const ROWS: usize = 10_000;

/// The NOTICE messages a statement sends, through psql.
fn psql_notices(server: &TestServer, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .arg(server.conn_str("sluice", crate::common::PASSWORD))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{sql}: {stderr}");
    stderr
}

/// A PostgreSQL sink source that logs in as `postgres` (trust auth) to database `test`.
async fn pg_sink(client: &Client) {
    client
        .batch_execute("CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')")
        .await
        .unwrap();
}

async fn big_tables(maria: &MariaDb, pg: &Postgres) {
    maria
        .execute(&format!(
            "CREATE TABLE {}.big (id INT PRIMARY KEY, n BIGINT, amount DECIMAL(12,2), at DATETIME, day DATE, label VARCHAR(64))",
            maria.name
        ))
        .await;
    maria
        .execute(&format!(
            "INSERT INTO {}.big SELECT seq, seq * 3000000000, IF(seq % 11 = 0, NULL, seq * 1.25 - 500), \
             TIMESTAMP('2026-03-01 08:00:00') + INTERVAL seq SECOND, IF(seq % 13 = 0, NULL, DATE('2026-01-01') + INTERVAL (seq % 400) DAY), \
             IF(seq % 7 = 0, NULL, CONCAT('naïve ☃ «', seq, '» tab\\there')) FROM seq_1_to_{ROWS}",
            maria.name
        ))
        .await;
    pg.execute(&format!(
        "CREATE TABLE {}.big (id int PRIMARY KEY, n bigint, amount numeric(12,2), at timestamp, day date, label text)",
        pg.name
    ))
    .await;
}

const COLUMNS: &str = "id, n, amount, at, day, label";

#[tokio::test]
async fn a_batch_pipeline_copies_mariadb_into_postgres_row_for_row() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    big_tables(&maria, &pg).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE copy_big WITH (mode = 'batch') AS \
             INSERT INTO dw.{}.big SELECT {COLUMNS} FROM maria.{}.big",
            pg.name, maria.name
        ))
        .await
        .unwrap();

    let notices = psql_notices(&server, "START PIPELINE copy_big");
    assert!(notices.contains(&format!("{ROWS} rows written to dw.{}.big", pg.name)), "{notices}");
    assert!(notices.contains("finished"), "{notices}");

    let source = maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), CAST(n AS CHAR), CAST(amount AS CHAR), CAST(at AS CHAR), CAST(day AS CHAR), label \
             FROM {}.big ORDER BY id",
            maria.name
        ))
        .await;
    let sink = pg
        .text_rows(&format!(
            "SELECT t.id::text, n::text, amount::text, at::text, day::text, label FROM {}.big t ORDER BY t.id",
            pg.name
        ))
        .await;
    assert_eq!(sink.len(), ROWS);
    assert_eq!(sink, source, "every row arrives as it is in MariaDB");
    assert!(sink.iter().any(|r| r[5] == "NULL") && sink.iter().any(|r| r[5].contains("☃")));

    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE copy_big").await;
    assert_eq!(shown.len(), 1);
    let d = &shown[0];
    assert_eq!((d[1].as_str(), d[3].as_str(), d[6].as_str()), ("copy_big", "local", "finished"), "{d:?}");
    assert_eq!((d[10].as_str(), d[11].as_str()), ("10000", "10000"), "rows_in and rows_out: {d:?}");
    let system =
        rows(&client, "SELECT state, rows_out FROM sluice.deployments WHERE pipeline = 'copy_big'").await;
    assert_eq!(system, [["finished", "10000"]]);

    // a second START appends again: the primary key refuses, and nothing is written
    let (state, message, _) = failure(&client, "START PIPELINE copy_big").await;
    assert_eq!(state, "23505", "the sink's own SQLSTATE: {message}");
    assert!(message.contains("duplicate key"), "{message}");
    let count = pg.text_rows(&format!("SELECT count(*)::text FROM {}.big", pg.name)).await;
    assert_eq!(count, [[ROWS.to_string()]], "the failed run rolled back");
    let last = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE copy_big").await;
    assert_eq!(last[0][6], "failed");
    assert!(last[0][8].contains("duplicate key"), "last_error: {:?}", last[0]);

    // overwrite replaces the rows in the same transaction
    client.batch_execute("ALTER PIPELINE copy_big SET (write_mode = 'overwrite')").await.unwrap();
    client.batch_execute("START PIPELINE copy_big").await.unwrap();
    let again = pg
        .text_rows(&format!(
            "SELECT t.id::text, n::text, amount::text, at::text, day::text, label FROM {}.big t ORDER BY t.id",
            pg.name
        ))
        .await;
    assert_eq!(again, source);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn a_sink_table_the_pipeline_creates_appears_on_start() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE daily WITH (mode = 'batch') AS \
             INSERT INTO dw.{}.daily_totals SELECT day, SUM(amount) AS total, COUNT(*) AS orders \
             FROM maria.{}.orders GROUP BY day",
            pg.name, maria.name
        ))
        .await
        .unwrap();
    client.batch_execute("START PIPELINE daily").await.unwrap();
    let columns = pg
        .text_rows(&format!(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = '{}' AND table_name = 'daily_totals' ORDER BY ordinal_position",
            pg.name
        ))
        .await;
    assert_eq!(columns, [["day", "date"], ["total", "numeric"], ["orders", "bigint"]]);
    let totals = pg
        .text_rows(&format!("SELECT count(*)::text, sum(orders)::text FROM {}.daily_totals", pg.name))
        .await;
    assert_eq!(totals, [["20", "20"]]);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn the_local_target_refuses_streaming_pipelines_and_savepoints() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    client.batch_execute("CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.void (id INT)").await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE PIPELINE stream_it WITH (mode = 'streaming') AS INSERT INTO hole.void SELECT id FROM maria.{}.orders",
            maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE stream_it").await;
    assert_eq!(state, "0A000");
    assert!(message.contains("streaming") && message.contains("local"), "{message}");
    assert!(rows(&client, "SHOW DEPLOYMENTS").await.is_empty(), "a refused START records nothing");

    let (state, message, _) = failure(&client, "STOP PIPELINE stream_it").await;
    assert_eq!(state, "55000", "{message}");
    let (state, message, _) = failure(&client, "RESUME PIPELINE stream_it").await;
    assert_eq!(state, "55000", "{message}");
    assert!(message.contains("no suspended deployment"), "{message}");
    let (state, _, _) = failure(&client, "START PIPELINE nope").await;
    assert_eq!(state, "42704");
    let (state, _, _) = failure(&client, "START PIPELINE stream_it ON TARGET nowhere").await;
    assert_eq!(state, "42704");
    maria.drop().await;
}

/// The finished files of directory `dir`.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_local_target_writes_csv_json_and_parquet_files() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let out = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE files TYPE filesystem WITH (path = '{}');
             CREATE TABLE files.as_csv (id INT, name STRING, amount DECIMAL(10, 2)) WITH (path = 'as_csv', format = 'csv');
             CREATE TABLE files.as_json (id INT, name STRING, amount DECIMAL(10, 2)) WITH (path = 'as_json', format = 'json');
             CREATE TABLE files.as_parquet (id INT, name STRING, amount DECIMAL(10, 2)) WITH (path = 'as_parquet', format = 'parquet');
             CREATE PIPELINE to_files WITH (mode = 'batch') AS BEGIN
               INSERT INTO files.as_csv SELECT id, name, amount FROM maria.{db}.orders;
               INSERT INTO files.as_json SELECT id, name, amount FROM maria.{db}.orders WHERE id <= 10;
               INSERT INTO files.as_parquet SELECT id, name, amount FROM maria.{db}.orders;
             END;
             START PIPELINE to_files;",
            out.path().display(),
            db = maria.name
        ))
        .await
        .unwrap();

    let csv = files(&out.path().join("as_csv"));
    assert_eq!(csv.len(), 1, "{csv:?}");
    let text = std::fs::read_to_string(&csv[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,name,amount");
    assert_eq!(lines.len(), 21);
    assert!(lines.contains(&"7,order 7,8.75"), "{text}");

    let json = files(&out.path().join("as_json"));
    let text = std::fs::read_to_string(&json[0]).unwrap();
    let objects: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 10);
    assert_eq!(objects.iter().find(|o| o["id"] == 3).map(|o| o["name"].clone()), Some("order 3".into()));

    use datafusion::arrow::array::{AsArray, RecordBatch};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let parquet = files(&out.path().join("as_parquet"));
    assert_eq!(parquet.len(), 1, "{parquet:?}");
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&parquet[0]).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "name", "amount"], "named as the sink's columns");
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 20);
    let name = batches[0]
        .column(1)
        .as_string_opt::<i32>()
        .map(|a| a.value(0).to_owned())
        .or_else(|| batches[0].column(1).as_string_view_opt().map(|a| a.value(0).to_owned()));
    assert!(name.is_some_and(|n| n.starts_with("order ")));
    let shown =
        rows(&client, "SELECT state, rows_out FROM sluice.deployments WHERE pipeline = 'to_files'").await;
    assert_eq!(shown, [["finished", "50"]]);
    maria.drop().await;
}
