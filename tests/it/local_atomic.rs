//! A local job commits all its sinks or none: a sink that refuses its rows at the end (a
//! deferred constraint) leaves every other sink as it was — a PostgreSQL table with its
//! old rows, a filesystem sink overwritten only once the job commits.

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::sources::maria_source;
use crate::common::{TestServer, require};

/// The visible files of directory `dir` (a job's unfinished files are hidden) and their
/// lines after the CSV header, sorted.
fn csv_rows(dir: &std::path::Path) -> (usize, Vec<String>) {
    let visible: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    let mut rows: Vec<String> = visible
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p).unwrap().lines().skip(1).map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    rows.sort();
    (visible.len(), rows)
}

#[tokio::test]
async fn a_sink_refusing_at_commit_leaves_every_other_sink_as_it_was() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (m, p) = (&maria.name, &pg.name);
    pg.execute(&format!("CREATE TABLE {p}.good (id int, name text)")).await;
    // unique, checked at COMMIT: COPY takes the duplicates, the transaction cannot commit
    pg.execute(&format!("CREATE TABLE {p}.strict (k int UNIQUE DEFERRABLE INITIALLY DEFERRED)")).await;
    let out = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE SOURCE files TYPE filesystem WITH (path = '{}');
             CREATE TABLE files.snap (id INT, name STRING) WITH (path = 'snap', format = 'csv');
             CREATE PIPELINE nightly WITH (mode = 'batch', write_mode = 'overwrite') AS BEGIN
               INSERT INTO files.snap SELECT id, name FROM maria.{m}.orders WHERE id <= 3;
               INSERT INTO dw.{p}.good SELECT id, name FROM maria.{m}.orders WHERE id <= 3;
             END;
             START PIPELINE nightly;",
            out.path().display()
        ))
        .await
        .unwrap();
    let first = ["1,order 1", "2,order 2", "3,order 3"].map(str::to_owned).to_vec();
    assert_eq!(csv_rows(&out.path().join("snap")), (1, first.clone()));
    let good = format!("SELECT id::text, name FROM {p}.good ORDER BY id");
    let rows_before = pg.text_rows(&good).await;
    assert_eq!(rows_before.len(), 3);

    // the next version writes more into both, and into a table that refuses at COMMIT
    client
        .batch_execute(&format!(
            "CREATE OR REPLACE PIPELINE nightly WITH (mode = 'batch', write_mode = 'overwrite') AS BEGIN
               INSERT INTO files.snap SELECT id, name FROM maria.{m}.orders WHERE id <= 10;
               INSERT INTO dw.{p}.good SELECT id, name FROM maria.{m}.orders WHERE id <= 10;
               INSERT INTO dw.{p}.strict SELECT id % 2 FROM maria.{m}.orders;
             END"
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE nightly").await;
    assert_eq!(state, "23505", "{message}");
    // every sink as it was: the file's old rows, the table's old rows, nothing in strict
    assert_eq!(csv_rows(&out.path().join("snap")), (1, first), "the overwritten sink keeps its data");
    assert_eq!(pg.text_rows(&good).await, rows_before, "the first sink did not commit alone");
    let strict = pg.text_rows(&format!("SELECT count(*)::text FROM {p}.strict")).await;
    assert_eq!(strict, [["0"]]);
    // and nothing the job wrote is left behind next to the sink's directory
    let left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["snap"], "staging directories are removed");

    // appending: a file is visible only once its job commits
    client.batch_execute("ALTER PIPELINE nightly SET (write_mode = 'append')").await.unwrap();
    let (state, _, _) = failure(&client, "START PIPELINE nightly").await;
    assert_eq!(state, "23505");
    assert_eq!(csv_rows(&out.path().join("snap")).0, 1, "no new file from the failed job");
    let hidden = std::fs::read_dir(out.path().join("snap")).unwrap().count();
    assert_eq!(hidden, 1, "its hidden file is removed too");
    maria.drop().await;
    pg.drop().await;
}
