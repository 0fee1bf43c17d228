//! REFRESH SYNC against the machine's MariaDB and PostgreSQL: a table created on the
//! source after CREATE SYNC is shown by DESCRIBE SYNC (`new`), planned by REFRESH SYNC
//! (`+`), copied by the next START with its rows; a full sync's START also picks up a
//! table created since without REFRESH; a dropped table is shown `gone` and leaves the
//! sync (`-`).

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::require;
use crate::common::rows::rows;
use crate::common::sources::maria_to_dw;

#[tokio::test]
async fn a_table_created_after_the_sync_is_added_by_refresh_and_copied_by_the_next_start() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (db, sink_db) = (maria.name.clone(), pg.name.clone());
    maria.execute(&format!("CREATE TABLE {db}.old_one (id INT PRIMARY KEY, v VARCHAR(10))")).await;
    maria.execute(&format!("INSERT INTO {db}.old_one VALUES (1, 'a'), (2, 'b')")).await;
    pg.execute(&format!("DROP TABLE {sink_db}.orders")).await;
    let (_server, client) = maria_to_dw(&maria).await;
    client
        .batch_execute(&format!(
            "CREATE SYNC DATABASE s FROM maria DATABASE {db} EXCLUDING TABLES 'orders' TO dw DATABASE {sink_db} \
             WITH (engine = 'local', mode = 'full', table_prefix = 'ods_')"
        ))
        .await
        .unwrap();
    let planned =
        rows(&client, "SELECT source_table, sink_table FROM sluice.sync_tables WHERE sync = 's'").await;
    assert_eq!(planned, [["old_one", "ods_old_one"]]);
    assert!(rows(&client, "REFRESH SYNC s").await.is_empty(), "nothing changed yet");

    // a new table on the source: planned by REFRESH, copied by the next START
    maria.execute(&format!("CREATE TABLE {db}.new_one (id BIGINT PRIMARY KEY, note TEXT)")).await;
    maria.execute(&format!("INSERT INTO {db}.new_one SELECT seq, CONCAT('n', seq) FROM seq_1_to_7")).await;
    // DESCRIBE SYNC reads the source as it is now: the new table is shown, not yet planned
    let described = rows(&client, "DESCRIBE SYNC s").await;
    let now: Vec<(&str, &str, &str)> =
        described.iter().map(|r| (r[0].as_str(), r[2].as_str(), r[8].as_str())).collect();
    assert_eq!(
        now,
        [
            ("old_one", "id", "planned"),
            ("old_one", "v", "planned"),
            ("new_one", "id", "new"),
            ("new_one", "note", "new")
        ]
    );
    let changes = rows(&client, "REFRESH SYNC s").await;
    assert_eq!(changes, [["+", "new_one", "ods_new_one"]]);
    let versions = rows(&client, "SELECT count(*) FROM sluice.pipeline_versions WHERE pipeline = 's'").await;
    // a REFRESH SYNC that changes a table stores a new version; the one that found no
    // change stored nothing
    assert_eq!(versions, [["2"]], "the sync's pipeline has a new version");
    client.batch_execute("START PIPELINE s").await.unwrap();
    let copied = pg.text_rows(&format!("SELECT id::text, note FROM {sink_db}.ods_new_one ORDER BY id")).await;
    let expected: Vec<Vec<String>> = (1..=7).map(|i| vec![i.to_string(), format!("n{i}")]).collect();
    assert_eq!(copied, expected);
    let old = pg.text_rows(&format!("SELECT id::text, v FROM {sink_db}.ods_old_one ORDER BY id")).await;
    assert_eq!(old, [["1", "a"], ["2", "b"]]);

    // a full sync's START reads the source afresh: a table created since is copied, without
    // REFRESH SYNC
    maria.execute(&format!("CREATE TABLE {db}.newer (id INT PRIMARY KEY, w DOUBLE)")).await;
    maria.execute(&format!("INSERT INTO {db}.newer VALUES (1, 0.5), (2, -2.25)")).await;
    client.batch_execute("START PIPELINE s").await.unwrap();
    let copied = pg.text_rows(&format!("SELECT id::text, w::text FROM {sink_db}.ods_newer ORDER BY 1")).await;
    assert_eq!(copied, [["1", "0.5"], ["2", "-2.25"]]);
    let planned =
        rows(&client, "SELECT source_table FROM sluice.sync_tables WHERE sync = 's' ORDER BY 1").await;
    assert_eq!(planned, [["new_one"], ["newer"], ["old_one"]]);

    // a table dropped from the source leaves the sync
    maria.execute(&format!("DROP TABLE {db}.old_one")).await;
    let described = rows(&client, "DESCRIBE SYNC s").await;
    assert!(described.iter().filter(|r| r[0] == "old_one").all(|r| r[8] == "gone"), "{described:?}");
    let changes = rows(&client, "REFRESH SYNC s").await;
    assert_eq!(changes, [["-", "old_one", "ods_old_one"]]);
    let planned =
        rows(&client, "SELECT source_table FROM sluice.sync_tables WHERE sync = 's' ORDER BY 1").await;
    assert_eq!(planned, [["new_one"], ["newer"]]);

    let (state, message, _) = failure(&client, "REFRESH SYNC nope").await;
    assert_eq!((state.as_str(), message.contains("nope")), ("42704", true), "{message}");
    maria.drop().await;
    pg.drop().await;
}
