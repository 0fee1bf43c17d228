//! Pipelines against real MariaDB and PostgreSQL sources: CREATE checked before anything
//! is stored (every error its SQLSTATE and position), versions, SHOW CREATE round trips,
//! ALTER, DROP, and sources that pipelines depend on.

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, mariadb_up};
use crate::common::sinks::sinks;
use crate::common::sources::{maria_source, text_rows};
use crate::common::{TestServer, have_program, require};

/// The 1-based character position of the first `needle` in `sql`.
fn at(sql: &str, needle: &str) -> Option<u32> {
    sql.find(needle).map(|i| sql[..i].chars().count() as u32 + 1)
}

#[tokio::test]
async fn every_binding_error_has_its_sqlstate_and_position_and_stores_nothing() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let db = &maria.name;
    let orders = format!("maria.{db}.orders");

    // (statement, the SQLSTATE, what the message names, where the position points)
    let cases: Vec<(String, &str, &str, Option<&str>)> = vec![
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELECT id, amount FROM maria.{db}.nope"),
            "42P01",
            "nope",
            Some("maria."),
        ),
        (
            "CREATE PIPELINE p AS INSERT INTO out.console SELECT id, amount FROM nosuch.db.t".into(),
            "42P01",
            "nosuch",
            Some("nosuch."),
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.nope SELECT id, amount FROM {orders}"),
            "42P01",
            "out.nope",
            Some("out.nope"),
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELECT idd, amount FROM {orders}"),
            "42703",
            "idd",
            Some("idd"),
        ),
        (
            format!(
                "CREATE PIPELINE p AS INSERT INTO out.console (id, amout) SELECT id, amount FROM {orders}"
            ),
            "42703",
            "amout",
            Some("amout"),
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELECT id, name FROM {orders}"),
            "42804",
            "amount",
            Some("name FROM"),
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELECT id FROM {orders}"),
            "42601",
            "more target columns",
            None,
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELECT id, amount, name FROM {orders}"),
            "42601",
            "more expressions",
            None,
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO out.console SELEC id, amount FROM {orders}"),
            "42601",
            "SELEC",
            Some("SELEC"),
        ),
        (
            format!("CREATE PIPELINE p AS INSERT INTO gen.numbers SELECT id FROM {orders}"),
            "42809",
            "gen.numbers",
            Some("gen.numbers"),
        ),
        (
            "CREATE PIPELINE p AS INSERT INTO hole.void SELECT id FROM out.console".into(),
            "42809",
            "only be written",
            Some("out.console"),
        ),
        (
            format!(
                "CREATE PIPELINE p AS $$ BEGIN CREATE TEMPORARY VIEW v AS SELECT id, amount FROM {orders}; INSERT INTO v SELECT id, amount FROM {orders}; END $$"
            ),
            "42809",
            "view \"v\"",
            Some("v SELECT"),
        ),
        (
            format!(
                "CREATE PIPELINE p AS INSERT INTO out.console WITH RECURSIVE r AS (SELECT 1 AS n) SELECT id, amount FROM {orders}"
            ),
            "0A000",
            "RECURSIVE",
            None,
        ),
        (
            format!(
                "CREATE PIPELINE p WITH (engine = 'seatunnel') AS INSERT INTO hole.void SELECT id FROM {orders}"
            ),
            "0A000",
            "hole.void",
            Some("hole.void"),
        ),
        (
            format!(
                "CREATE PIPELINE p WITH (paralellism = 2) AS INSERT INTO out.console SELECT id, amount FROM {orders}"
            ),
            "22023",
            "paralellism",
            None,
        ),
        (
            format!(
                "CREATE PIPELINE p WITH (parallelism = 0) AS INSERT INTO out.console SELECT id, amount FROM {orders}"
            ),
            "22023",
            "parallelism",
            None,
        ),
        (
            format!(
                "CREATE PIPELINE p WITH (mode = 'bulk') AS INSERT INTO out.console SELECT id, amount FROM {orders}"
            ),
            "22023",
            "mode",
            None,
        ),
    ];
    for (sql, state, names, pointing_at) in &cases {
        let (got_state, got_message, position) = failure(&client, sql).await;
        assert_eq!(&got_state, state, "{sql}: {got_message}");
        assert!(got_message.contains(names), "{sql}: {got_message} should name {names}");
        if let Some(needle) = pointing_at {
            assert_eq!(position, at(sql, needle), "{sql}: {got_message}");
        }
    }
    let e = client.batch_execute(&cases[14].0).await.expect_err("unknown option");
    let hint = e.as_db_error().and_then(|d| d.hint()).unwrap_or_default().to_owned();
    assert!(hint.contains("\"parallelism\""), "the closest option is suggested: {hint}");

    // nothing was stored by any of them
    assert!(text_rows(&client, "SHOW PIPELINES").await.is_empty());
    assert!(text_rows(&client, "SELECT * FROM sluice.pipeline_versions").await.is_empty());
    let events =
        text_rows(&client, "SELECT count(*) FROM sluice.events WHERE object_kind = 'pipeline'").await;
    assert_eq!(events, [["0"]]);
    maria.drop().await;
}

#[tokio::test]
async fn versions_show_create_alter_drop_and_source_dependencies() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let orders = format!("maria.{}.orders", maria.name);

    client
        .batch_execute(&format!(
            "CREATE PIPELINE fan WITH (mode = 'batch', parallelism = 2) AS $$
             BEGIN
               CREATE TEMPORARY VIEW positive AS SELECT id, amount, at FROM {orders} WHERE amount > 0;
               INSERT INTO k.order_events SELECT id, amount, at FROM positive;
               INSERT INTO out.console SELECT id, IF(amount > 10, amount, 0) FROM positive;
             END $$"
        ))
        .await
        .unwrap();
    let shown = text_rows(&client, "SHOW PIPELINES").await;
    assert_eq!(shown.len(), 1);
    assert_eq!(&shown[0][..5], ["fan", "1", "flink", "batch", "NULL"]);

    // SHOW CREATE round-trips: dropping and running its output gives the same pipeline
    let create = text_rows(&client, "SHOW CREATE PIPELINE fan").await[0][1].clone();
    assert!(
        create.starts_with("CREATE PIPELINE fan WITH (mode = 'batch', parallelism = 2) AS BEGIN"),
        "{create}"
    );
    client.batch_execute("DROP PIPELINE fan").await.unwrap();
    assert!(text_rows(&client, "SHOW PIPELINES").await.is_empty());
    client.batch_execute(&create).await.unwrap();
    assert_eq!(text_rows(&client, "SHOW CREATE PIPELINE fan").await[0][1], create);

    // CREATE OR REPLACE and ALTER add versions; IF NOT EXISTS does not
    client
        .batch_execute(&format!(
            "CREATE OR REPLACE PIPELINE fan AS INSERT INTO out.console SELECT id, amount FROM {orders}"
        ))
        .await
        .unwrap();
    client
        .batch_execute("CREATE PIPELINE IF NOT EXISTS fan AS INSERT INTO hole.void SELECT 1")
        .await
        .unwrap();
    client
        .batch_execute(
            "ALTER PIPELINE fan SET (parallelism = 4, 'flink.table.exec.mini-batch.enabled' = 'true')",
        )
        .await
        .unwrap();
    let (state, msg, _) = failure(&client, "ALTER PIPELINE fan SET (parallelism = 'four')").await;
    assert_eq!(state, "22023", "{msg}");
    client.batch_execute("ALTER PIPELINE fan RESET (parallelism)").await.unwrap();
    let versions = text_rows(
        &client,
        "SELECT version, created_by FROM sluice.pipeline_versions WHERE pipeline = 'fan' ORDER BY version",
    )
    .await;
    assert_eq!(versions, [["1", "sluice"], ["2", "sluice"], ["3", "sluice"], ["4", "sluice"]]);
    let now = text_rows(&client, "SELECT version, options FROM sluice.pipelines").await;
    assert_eq!(now[0][0], "4");
    assert!(now[0][1].contains("mini-batch") && !now[0][1].contains("parallelism"), "{now:?}");

    // sources a pipeline uses cannot be dropped or renamed from under it
    let (state, msg, _) = failure(&client, "DROP SOURCE maria").await;
    assert_eq!(state, "2BP01", "{msg}");
    let (state, _, _) = failure(&client, "ALTER SOURCE maria RENAME TO mariadb").await;
    assert_eq!(state, "2BP01");
    let (state, _, _) = failure(&client, "DROP PIPELINE fan, nosuch").await;
    assert_eq!(state, "42704");
    assert_eq!(
        text_rows(&client, "SELECT name FROM sluice.pipelines").await,
        [["fan"]],
        "a failed DROP drops nothing"
    );
    client.batch_execute("DROP PIPELINE IF EXISTS nosuch, fan").await.unwrap();
    assert!(text_rows(&client, "SELECT * FROM sluice.pipeline_versions").await.is_empty());
    client.batch_execute("DROP SOURCE maria").await.unwrap();
    maria.drop().await;
}

#[tokio::test]
async fn drop_source_cascade_drops_its_pipelines() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let orders = format!("maria.{}.orders", maria.name);
    for name in ["a", "b"] {
        client
            .batch_execute(&format!(
                "CREATE PIPELINE {name} AS INSERT INTO out.console SELECT id, amount FROM {orders}"
            ))
            .await
            .unwrap();
    }
    client
        .batch_execute("CREATE PIPELINE c AS INSERT INTO hole.void SELECT n FROM gen.numbers")
        .await
        .unwrap();
    client.batch_execute("DROP SOURCE maria CASCADE").await.unwrap();
    assert_eq!(text_rows(&client, "SELECT name FROM sluice.pipelines").await, [["c"]]);
    maria.drop().await;
}

#[tokio::test]
async fn psql_creates_a_pipeline_with_a_dollar_quoted_body() {
    if !require("MariaDB on 127.0.0.1 and psql", mariadb_up().await && have_program("psql")) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let script = server.data_path().join("pipeline.sql");
    std::fs::write(
        &script,
        format!(
            "CREATE PIPELINE from_psql WITH (mode = 'batch') AS $$\nBEGIN\n  \
             INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;\n  \
             INSERT INTO k.order_events SELECT id, amount, at FROM maria.{db}.orders WHERE flag;\nEND\n$$;\n\
             EXPLAIN PIPELINE from_psql FORMAT dot;\n",
            db = maria.name
        ),
    )
    .unwrap();
    let out = std::process::Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice", server.port))
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&script)
        .env("PGPASSWORD", crate::common::PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CREATE PIPELINE"), "{stdout}");
    assert!(stdout.contains("digraph \"from_psql\""), "{stdout}");
    assert_eq!(stdout.matches("shape=cylinder").count(), 3, "one source, two sinks: {stdout}");
    maria.drop().await;
}

#[tokio::test]
async fn a_sink_table_that_does_not_exist_yet_is_created_from_the_statement() {
    if !require(
        "PostgreSQL on 127.0.0.1 and psql",
        crate::common::fixtures::postgres_up().await && have_program("psql"),
    ) {
        return;
    }
    let pg = crate::common::fixtures::Postgres::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    crate::common::sources::pg_source(&client, &pg, "pg").await;
    sinks(&client).await;
    let p = &pg.name;
    // psql shows the NOTICE that says what will be created
    let out = std::process::Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice", server.port))
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!(
            "CREATE PIPELINE totals WITH (mode = 'batch') AS INSERT INTO pg.{p}.daily_totals \
             SELECT day, SUM(amount) AS total, COUNT(*) AS orders FROM pg.{p}.orders GROUP BY day"
        ))
        .env("PGPASSWORD", crate::common::PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "NOTICE:  table pg.{p}.daily_totals does not exist: it will be created as (day DATE, total DECIMAL(20, 2), orders BIGINT)"
        )),
        "{stderr}"
    );
    let script = &text_rows(&client, "EXPLAIN PIPELINE totals FORMAT flink_sql").await[0][1];
    assert!(script.contains("`day` DATE,\n  `total` DECIMAL(20, 2),\n  `orders` BIGINT"), "{script}");
    assert!(script.contains(&format!("'table-name' = '{p}.daily_totals'")), "{script}");
    let config = crate::common::hocon::parse(
        &text_rows(&client, "EXPLAIN PIPELINE totals FORMAT seatunnel").await[0][1],
    )
    .unwrap();
    let sink = &config.get("sink").unwrap().entries()[0].1;
    assert_eq!(sink.get("schema_save_mode").and_then(|v| v.text()), Some("CREATE_SCHEMA_WHEN_NOT_EXIST"));
    // only written tables may be missing, and only on systems that create them
    let (state, _, _) = failure(
        &client,
        &format!("CREATE PIPELINE bad AS INSERT INTO pg.{p}.copy SELECT * FROM pg.{p}.copy"),
    )
    .await;
    assert_eq!(state, "42P01");
    let (state, _, _) = failure(
        &client,
        &format!("CREATE PIPELINE bad AS INSERT INTO k.missing SELECT id FROM pg.{p}.orders"),
    )
    .await;
    assert_eq!(state, "42P01");
    pg.drop().await;
}
