//! A full sync's START reads its source's tables afresh and applies `schema_change` to
//! the sink tables before copying (issue 21, items 5 and 6), on the machine's MariaDB and
//! PostgreSQL, one table per behaviour: after the first START, the source drops column `a`
//! and adds `b`; the second START evolves (b added, a dropped), tries to evolve (the
//! sink refuses: a view uses `a`, so the table is copied as it is, with a WARNING), is
//! lenient (b added, `a` kept and made nullable), ignores (the sink as it was), or
//! refuses (55000, the sink and its rows unchanged). DESCRIBE SYNC says what changed.

use tokio_postgres::Client;

use crate::common::failures::{failure, failure_hint};
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::require;
use crate::common::rows::rows;
use crate::common::sources::maria_to_dw;

const MODES: [&str; 5] = ["evolve", "try_evolve", "lenient", "ignore", "exception"];

/// The columns of `table` in schema `schema`: name and whether it may hold NULL.
async fn columns(pg: &Postgres, table: &str) -> Vec<Vec<String>> {
    pg.text_rows(&format!(
        "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = '{}' AND table_name = '{table}' ORDER BY ordinal_position",
        pg.name
    ))
    .await
}

async fn start(client: &Client, sync: &str) {
    client
        .batch_execute(&format!("START PIPELINE {sync}"))
        .await
        .unwrap_or_else(|e| panic!("START {sync}: {}", crate::common::message(&e)));
}

#[tokio::test]
async fn each_schema_change_behaviour_on_a_full_sync_start() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (db, sink_db) = (maria.name.clone(), pg.name.clone());
    let (_server, client) = maria_to_dw(&maria).await;
    for mode in MODES {
        // lenient and exception keep a NOT NULL column the source drops
        let not_null = if matches!(mode, "lenient" | "exception") { " NOT NULL" } else { "" };
        maria
            .execute(&format!(
                "CREATE TABLE {db}.t_{mode} (id INT PRIMARY KEY, a VARCHAR(10){not_null}, c INT)"
            ))
            .await;
        maria
            .execute(&format!(
                "INSERT INTO {db}.t_{mode} SELECT seq, CONCAT('a', seq), seq * 10 FROM seq_1_to_3"
            ))
            .await;
        // lenient is the default: leave it out for that one
        let behaviour = if mode == "lenient" { String::new() } else { format!(", schema_change = '{mode}'") };
        client
            .batch_execute(&format!(
                "CREATE SYNC DATABASE s_{mode} FROM maria DATABASE {db} INCLUDING TABLES 't_{mode}' \
                 TO dw DATABASE {sink_db} WITH (engine = 'local', mode = 'full'{behaviour})"
            ))
            .await
            .unwrap();
        start(&client, &format!("s_{mode}")).await;
        let copied =
            pg.text_rows(&format!("SELECT id::text, a, c::text FROM {sink_db}.t_{mode} ORDER BY id")).await;
        assert_eq!(copied, [["1", "a1", "10"], ["2", "a2", "20"], ["3", "a3", "30"]], "{mode}");
        // the source changes: a gone, b added, a row more
        maria.execute(&format!("ALTER TABLE {db}.t_{mode} DROP COLUMN a, ADD COLUMN b INT")).await;
        maria.execute(&format!("UPDATE {db}.t_{mode} SET b = id * 100")).await;
        maria.execute(&format!("INSERT INTO {db}.t_{mode} VALUES (4, 40, 400)")).await;
    }
    // the sink refuses try_evolve's change: a view reads column a
    pg.execute(&format!("CREATE VIEW {sink_db}.v_try AS SELECT a FROM {sink_db}.t_try_evolve")).await;

    let described = rows(&client, "DESCRIBE SYNC s_evolve").await;
    let now: Vec<(&str, &str)> = described.iter().map(|r| (r[2].as_str(), r[8].as_str())).collect();
    assert_eq!(
        now,
        [("id", "changed"), ("c", "changed"), ("b", "changed")],
        "DESCRIBE SYNC shows the source now"
    );

    let expected_rows = |with_b: bool| -> Vec<Vec<String>> {
        (1..=4)
            .map(|i| {
                vec![
                    i.to_string(),
                    (i * 10).to_string(),
                    if with_b { (i * 100).to_string() } else { "NULL".into() },
                ]
            })
            .collect()
    };
    let yes_no = |v: &[(&str, &str)]| -> Vec<Vec<String>> {
        v.iter().map(|(c, n)| vec![(*c).to_owned(), (*n).to_owned()]).collect()
    };

    // evolve: b added, a dropped
    start(&client, "s_evolve").await;
    assert_eq!(columns(&pg, "t_evolve").await, yes_no(&[("id", "NO"), ("c", "YES"), ("b", "YES")]));
    let copied =
        pg.text_rows(&format!("SELECT id::text, c::text, b::text FROM {sink_db}.t_evolve ORDER BY id")).await;
    assert_eq!(copied, expected_rows(true));

    // try_evolve: the sink refuses (the view), so the table is copied with the columns it
    // has (as ignore would); nothing of the refused ALTER was applied
    start(&client, "s_try_evolve").await;
    assert_eq!(columns(&pg, "t_try_evolve").await, yes_no(&[("id", "NO"), ("a", "YES"), ("c", "YES")]));
    let copied =
        pg.text_rows(&format!("SELECT id::text, c::text, a FROM {sink_db}.t_try_evolve ORDER BY id")).await;
    assert_eq!(copied, expected_rows(false), "a not written, b left out");

    // ignore: the sink table as it was, the columns both have copied
    start(&client, "s_ignore").await;
    assert_eq!(columns(&pg, "t_ignore").await, yes_no(&[("id", "NO"), ("a", "YES"), ("c", "YES")]));
    let copied =
        pg.text_rows(&format!("SELECT id::text, c::text, a FROM {sink_db}.t_ignore ORDER BY id")).await;
    assert_eq!(copied, expected_rows(false));

    // lenient (the default): b added, a kept and made nullable
    start(&client, "s_lenient").await;
    assert_eq!(
        columns(&pg, "t_lenient").await,
        yes_no(&[("id", "NO"), ("a", "YES"), ("c", "YES"), ("b", "YES")])
    );
    let copied = pg
        .text_rows(&format!("SELECT id::text, c::text, b::text, a FROM {sink_db}.t_lenient ORDER BY id"))
        .await;
    let mut expected = expected_rows(true);
    expected.iter_mut().for_each(|r| r.push("NULL".into()));
    assert_eq!(copied, expected);

    // exception: refused, the sink table and its rows unchanged
    let (state, message, _) = failure(&client, "START PIPELINE s_exception").await;
    assert_eq!(state, "55000", "{message}");
    assert_eq!(
        message,
        format!(
            "the columns of sink table {sink_db}.t_exception differ from its source's (added b; gone a) and schema_change is 'exception'"
        )
    );
    assert_eq!(columns(&pg, "t_exception").await, yes_no(&[("id", "NO"), ("a", "NO"), ("c", "YES")]));
    let kept =
        pg.text_rows(&format!("SELECT id::text, a, c::text FROM {sink_db}.t_exception ORDER BY id")).await;
    assert_eq!(kept, [["1", "a1", "10"], ["2", "a2", "20"], ["3", "a3", "30"]]);

    maria.drop().await;
    pg.drop().await;
}

/// A sink table's key column that the source no longer has is refused before any
/// `schema_change` behaviour applies (here evolve, which would otherwise drop it): START
/// refuses with 55000 naming the column and the sink table, which keeps its columns and
/// rows.
#[tokio::test]
async fn a_key_column_gone_from_the_source_refuses_start() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (db, sink_db) = (maria.name.clone(), pg.name.clone());
    let (_server, client) = maria_to_dw(&maria).await;
    maria.execute(&format!("CREATE TABLE {db}.keyed (id INT PRIMARY KEY, v VARCHAR(10))")).await;
    maria.execute(&format!("INSERT INTO {db}.keyed VALUES (1, 'one'), (2, 'two')")).await;
    client
        .batch_execute(&format!(
            "CREATE SYNC DATABASE s_key FROM maria DATABASE {db} INCLUDING TABLES 'keyed' \
             TO dw DATABASE {sink_db} WITH (engine = 'local', mode = 'full', schema_change = 'evolve')"
        ))
        .await
        .unwrap();
    start(&client, "s_key").await;
    // the key is renamed at the source: to the sink table, its key column is gone
    maria.execute(&format!("ALTER TABLE {db}.keyed CHANGE id key_id INT NOT NULL")).await;
    maria.execute(&format!("INSERT INTO {db}.keyed VALUES (3, 'three')")).await;

    let (state, message, hint) = failure_hint(&client, "START PIPELINE s_key").await;
    assert_eq!(state, "55000", "{message}");
    assert_eq!(message, format!("key column id of sink table {sink_db}.keyed is gone from its source table"));
    assert_eq!(hint, "Change the sink table's key, or drop the sink table for START to create it again.");
    assert_eq!(columns(&pg, "keyed").await, [["id", "NO"], ["v", "YES"]]);
    let kept = pg.text_rows(&format!("SELECT id::text, v FROM {sink_db}.keyed ORDER BY id")).await;
    assert_eq!(kept, [["1", "one"], ["2", "two"]], "the sink's rows unchanged");

    maria.drop().await;
    pg.drop().await;
}
