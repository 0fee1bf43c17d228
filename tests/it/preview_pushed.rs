//! PREVIEW pushed to its source like any query: the bounded SELECT of a sink — the sink's
//! names and types over the body — runs at MariaDB as one statement, read back from
//! MariaDB's own general log, and returns what the body returns there. A prepared PREVIEW
//! binds its pipeline once and takes new values at each Execute.

use sqlx::Executor;

use crate::common::fixtures::{MariaDb, mariadb_up};
use crate::common::sources::{maria_source, text_rows};
use crate::common::{TestServer, message, require};

/// MariaDB's general log, on (as a table) while it lives. No other test reads it.
struct GeneralLog {
    pool: sqlx::MySqlPool,
}

impl GeneralLog {
    async fn on() -> GeneralLog {
        let pool = sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
        pool.execute("SET GLOBAL log_output = 'TABLE'").await.unwrap();
        pool.execute("SET GLOBAL general_log = 'ON'").await.unwrap();
        GeneralLog { pool }
    }

    /// The statements MariaDB received from Sluice (which quotes names with backticks)
    /// that name `marker` (the test's database).
    async fn statements(&self, marker: &str) -> Vec<String> {
        use sqlx::Row;
        let sql = "SELECT CAST(argument AS CHAR) AS a FROM mysql.general_log \
                   WHERE command_type IN ('Query', 'Execute') AND argument LIKE CONCAT('%', ?, '%') \
                   AND argument NOT LIKE '%general_log%' ORDER BY event_time";
        let rows = sqlx::query(sql).bind(marker).fetch_all(&self.pool).await.unwrap();
        rows.iter().map(|r| r.get::<String, _>("a")).filter(|s| s.contains(&format!("`{marker}`"))).collect()
    }

    async fn off(self) {
        self.pool.execute("SET GLOBAL general_log = 'OFF'").await.unwrap();
        self.pool.execute("SET GLOBAL log_output = 'FILE'").await.unwrap();
    }
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

#[tokio::test]
async fn preview_runs_each_sinks_bounded_select_whole_at_the_source() {
    if !require("MariaDB on 127.0.0.1:3306", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let m = &maria.name;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    client
        .batch_execute(
            "CREATE SOURCE out TYPE print; CREATE TABLE out.kinds (k BIGINT, label STRING); \
             CREATE TABLE out.named (id INT, name STRING)",
        )
        .await
        .unwrap();
    let log = GeneralLog::on().await;

    // an aggregate: grouped and counted at MariaDB, typed as the sink's columns
    let grouped = format!(
        "PREVIEW INSERT INTO out.kinds SELECT id % 3, CAST(count(*) AS STRING) FROM maria.{m}.orders \
         WHERE id > 4 GROUP BY id % 3"
    );
    let rows = text_rows(&client, &grouped).await;
    let direct = maria
        .text_rows(&format!(
            "SELECT CAST(id % 3 AS CHAR), CAST(count(*) AS CHAR) FROM {m}.orders WHERE id > 4 GROUP BY id % 3"
        ))
        .await;
    assert_eq!(sorted(rows), sorted(direct));
    let sent = log.statements(m).await;
    let at_source: Vec<&String> = sent.iter().filter(|s| s.contains("GROUP BY")).collect();
    assert!(
        at_source.len() == 1
            && at_source[0].contains("> 4")
            && at_source[0].to_lowercase().contains("count("),
        "the grouped body as one statement at MariaDB: {sent:#?}"
    );

    // a UNION of SELECTs with constant columns: one statement, constants named by the sink
    let union = format!(
        "PREVIEW INSERT INTO out.kinds SELECT id, 'low' FROM maria.{m}.orders WHERE id < 3 \
         UNION ALL SELECT id, 'high' FROM maria.{m}.orders WHERE id > 18"
    );
    let rows = text_rows(&client, &union).await;
    let expected = [["1", "low"], ["19", "high"], ["2", "low"], ["20", "high"]];
    assert_eq!(sorted(rows), expected.map(|r| r.map(str::to_owned).to_vec()));
    let sent = log.statements(m).await;
    let at_source: Vec<&String> = sent.iter().filter(|s| s.contains("UNION ALL")).collect();
    assert!(
        at_source.len() == 1 && at_source[0].contains("< 3") && at_source[0].contains("> 18"),
        "the union as one statement at MariaDB: {sent:#?}"
    );
    // PREVIEW's LIMIT is in that statement too
    assert!(at_source[0].contains("LIMIT 100"), "{}", at_source[0]);

    // a sorted top-n, the sort key kept as it is: one statement with its ORDER BY and LIMIT
    let top = format!(
        "PREVIEW INSERT INTO out.named SELECT id, name FROM maria.{m}.orders WHERE id > 3 ORDER BY id DESC LIMIT 3"
    );
    let rows = text_rows(&client, &top).await;
    let direct = maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), name FROM {m}.orders WHERE id > 3 ORDER BY id DESC LIMIT 3"
        ))
        .await;
    assert_eq!(rows, direct, "row by row");
    let sent = log.statements(m).await;
    let at_source: Vec<&String> = sent.iter().filter(|s| s.contains("ORDER BY")).collect();
    assert!(
        at_source.len() == 1 && at_source[0].contains("DESC") && at_source[0].contains("LIMIT 3"),
        "the sorted top-n as one statement at MariaDB: {sent:#?}"
    );

    // prepared: bound once, a new value per Execute, each at the source
    let statement = client
        .prepare(&format!(
            "PREVIEW INSERT INTO out.kinds SELECT id, name FROM maria.{m}.orders WHERE id > $1"
        ))
        .await
        .unwrap_or_else(|e| panic!("{}", message(&e)));
    for after in [17i32, 12] {
        let rows = client.query(&statement, &[&after]).await.unwrap();
        let got: Vec<Vec<String>> =
            rows.iter().map(|r| vec![r.get::<_, i64>(0).to_string(), r.get::<_, String>(1)]).collect();
        let direct = maria
            .text_rows(&format!("SELECT CAST(id AS CHAR), name FROM {m}.orders WHERE id > {after}"))
            .await;
        assert_eq!(sorted(got), sorted(direct), "id > {after}");
        let sent = log.statements(m).await;
        assert!(sent.iter().any(|s| s.contains(&format!("> {after}"))), "id > {after} at MariaDB: {sent:#?}");
    }
    log.off().await;
    drop(server);
    maria.drop().await;
}
