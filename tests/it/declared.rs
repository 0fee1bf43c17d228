//! Declared tables wherever introspection is impossible or unwanted: a three-part
//! `CREATE TABLE source.database.table` for sources with databases, winning over what the
//! source says (MariaDB is the introspected source here); names of the wrong shape
//! refused with their SQLSTATE; and every hint that names a statement names one that
//! works — the tests run the statement each hint gives.

use crate::common::failures::{failure, failure_hint};
use crate::common::fixtures::{MariaDb, mariadb_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{TestServer, require};

/// The statement a hint names (`… CREATE TABLE x.y (column type, …).`), its
/// placeholders filled in as a user would.
fn hinted_statement(hint: &str) -> String {
    let start = hint.find("CREATE TABLE").unwrap_or_else(|| panic!("no statement in {hint:?}"));
    hint[start..]
        .trim_end_matches('.')
        .replace("database.table", "ods.orders")
        .replace("(column type, …)", "(id INT, amount DECIMAL(10, 2))")
        .replace("WITH (…)", "WITH (topic = 'orders')")
}

#[tokio::test]
async fn hints_name_statements_that_work() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE SECRET s3_key AS 'k3y';
             CREATE SOURCE lake TYPE paimon WITH (warehouse = 's3://lake/wh', 's3.access-key' = SECRET s3_key);
             CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = 'kafka:9092');
             CREATE SOURCE out TYPE print;
             CREATE TABLE out.console (id INT, amount DECIMAL(10, 2));",
        )
        .await
        .unwrap();

    // a warehouse on S3 cannot be introspected: REFRESH says how to declare its tables
    let (state, msg, hint) = failure_hint(&client, "REFRESH SOURCE lake DATABASE ods").await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("\"lake\"") && msg.contains("paimon"), "{msg}");
    let statement = hinted_statement(&hint);
    assert_eq!(statement, "CREATE TABLE lake.ods.orders (id INT, amount DECIMAL(10, 2))");
    client.batch_execute(&statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    assert_eq!(rows(&client, "SHOW DATABASES FROM lake").await, [["ods"]]);
    let tables = rows(&client, "SHOW TABLES FROM lake.ods").await;
    assert_eq!(tables.iter().map(|r| [r[0].as_str(), &r[1]]).collect::<Vec<_>>(), [["orders", "declared"]]);

    // an unknown table read from it: 42P01 with the statement that declares it
    let (state, msg, hint) = failure_hint(
        &client,
        "CREATE PIPELINE p AS INSERT INTO out.console SELECT id, amount FROM lake.ods.payments",
    )
    .await;
    assert_eq!(state, "42P01", "{msg}");
    assert_eq!(hint, "Declare it first: CREATE TABLE lake.ods.payments (column type, …).");
    let statement = hinted_statement(&hint);
    client.batch_execute(&statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    client
        .batch_execute(
            "CREATE PIPELINE p AS INSERT INTO out.console SELECT id, amount FROM lake.ods.payments",
        )
        .await
        .unwrap();
    // the warehouse's S3 key reaches both engines as a placeholder
    let flink = rows(&client, "EXPLAIN PIPELINE p FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains("'warehouse' = 's3://lake/wh'")
            && flink.contains("'s3.access-key' = '${SLUICE_SECRET_S3_KEY}'"),
        "{flink}"
    );
    let config =
        crate::common::hocon::parse(&rows(&client, "EXPLAIN PIPELINE p FORMAT seatunnel").await[0][1])
            .unwrap();
    let (plugin, paimon) = &config.get("source").unwrap().entries()[0];
    assert_eq!(plugin, "Paimon");
    assert_eq!(paimon.get("warehouse").and_then(|v| v.text()), Some("s3a://lake/wh"));
    let hadoop = paimon.get("paimon.hadoop.conf").expect("the file system settings");
    let key = hadoop
        .get("fs.s3a.access-key")
        .or_else(|| hadoop.get("fs").and_then(|f| f.get("s3a")).and_then(|s| s.get("access-key")));
    assert_eq!(key.and_then(|v| v.text()), Some("${SLUICE_SECRET_S3_KEY}"), "{hadoop:?}");
    assert!(!flink.contains("k3y"));

    // … and one it writes that does not exist is created by the engine
    let created = client
        .simple_query(
            "CREATE PIPELINE q AS INSERT INTO lake.ods.totals SELECT id, amount FROM lake.ods.orders",
        )
        .await;
    assert!(created.is_ok(), "{created:?}");

    // a Paimon catalog in a JDBC metastore: Flink reads it, SeaTunnel's connector cannot
    client
        .batch_execute(
            "CREATE SOURCE meta_lake TYPE paimon WITH (warehouse = 's3://lake/wh', metastore = 'jdbc', uri = 'jdbc:mysql://db/paimon');
             CREATE TABLE meta_lake.ods.orders (id INT, amount DECIMAL(10, 2));
             CREATE PIPELINE from_meta AS INSERT INTO out.console SELECT id, amount FROM meta_lake.ods.orders;",
        )
        .await
        .unwrap();
    let flink = rows(&client, "EXPLAIN PIPELINE from_meta FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains("'metastore' = 'jdbc'") && flink.contains("'uri' = 'jdbc:mysql://db/paimon'"),
        "{flink}"
    );
    let (state, msg, hint) = failure_hint(&client, "EXPLAIN PIPELINE from_meta FORMAT seatunnel").await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("meta_lake.ods.orders") && hint.contains("not jdbc"), "{msg} / {hint}");

    // Kafka topics are declared with two-part names and options
    let (state, _, hint) =
        failure_hint(&client, "CREATE PIPELINE r AS INSERT INTO out.console SELECT id, amount FROM k.orders")
            .await;
    assert_eq!(state, "42P01");
    let statement = hinted_statement(&hint);
    assert_eq!(statement, "CREATE TABLE k.orders (id INT, amount DECIMAL(10, 2)) WITH (topic = 'orders')");
    client.batch_execute(&statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    let (state, msg, hint) = failure_hint(&client, "SHOW DATABASES FROM k").await;
    assert_eq!(state, "0A000", "{msg}");
    assert_eq!(hint, "SHOW TABLES FROM k lists its declared tables.");
    assert_eq!(rows(&client, "SHOW TABLES FROM k").await[0][0], "orders");

    // names of the wrong shape for the source
    for (sql, expected) in [
        ("CREATE TABLE lake.orders (id INT)", "tables of paimon sources are named source.database.table"),
        ("CREATE TABLE k.db.orders (id INT)", "tables of kafka sources are named source.table"),
        (
            "CREATE TABLE a.b.c.orders (id INT)",
            "declared tables are named source.table or source.database.table",
        ),
        ("DROP TABLE lake.orders", "tables of paimon sources are named source.database.table"),
    ] {
        let (state, msg, _) = failure(&client, sql).await;
        assert_eq!(state, "42601", "{sql}: {msg}");
        assert!(msg.contains(expected), "{sql}: {msg}");
    }
    // the gateway keeps no tables of its own
    let (state, msg, hint) = failure_hint(&client, "CREATE TABLE orders (id INT)").await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("no tables of its own") && hint.contains("source.database.table"), "{msg} {hint}");
    let (state, msg, _) = failure(&client, "DROP TABLE nowhere.ods.orders").await;
    assert_eq!(state, "42704", "{msg}");
    let notices = client.simple_query("DROP TABLE IF EXISTS nowhere.ods.orders").await;
    assert!(notices.is_ok(), "{notices:?}");
    let (state, msg, _) = failure(&client, "DROP TABLE lake.ods.nothing").await;
    assert_eq!(state, "42P01", "{msg}");
}

#[tokio::test]
async fn a_declared_table_wins_over_what_the_source_says() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let m = &maria.name;
    maria.execute(&format!("CREATE TABLE {m}.events (id INT PRIMARY KEY, name VARCHAR(20))")).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    let types =
        |rows: Vec<Vec<String>>| rows.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect::<Vec<_>>();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());

    assert_eq!(
        types(rows(&client, &format!("DESCRIBE maria.{m}.events")).await),
        [pair("id", "INT"), pair("name", "VARCHAR(20)")]
    );
    // declared: the declaration is what DESCRIBE, SHOW TABLES and pipelines see
    client
        .batch_execute(&format!(
            "CREATE TABLE maria.{m}.events (id BIGINT, name STRING, PRIMARY KEY (id) NOT ENFORCED)"
        ))
        .await
        .unwrap();
    assert_eq!(
        types(rows(&client, &format!("DESCRIBE maria.{m}.events")).await),
        [pair("id", "BIGINT"), pair("name", "STRING")]
    );
    let (state, msg, _) = failure(&client, &format!("CREATE TABLE maria.{m}.events (id INT)")).await;
    assert_eq!(state, "42710", "{msg}");
    // REFRESH reads the source again and leaves the declaration
    client.batch_execute(&format!("REFRESH SOURCE maria DATABASE {m}")).await.unwrap();
    let kinds = rows(
        &client,
        &format!("SELECT name, kind FROM sluice.tables WHERE source = 'maria' AND database = '{m}'"),
    )
    .await;
    assert_eq!(kinds, [["events", "declared"], ["orders", "introspected"]]);
    assert_eq!(types(rows(&client, &format!("DESCRIBE maria.{m}.events")).await)[0], pair("id", "BIGINT"));
    // the declaration's event names the table
    let events =
        rows(&client, "SELECT action, object_name FROM sluice.events WHERE object_kind = 'table'").await;
    assert_eq!(events, [["create", format!("maria.{m}.events").as_str()]]);
    // dropped, the source's own table comes back
    client.batch_execute(&format!("DROP TABLE maria.{m}.events")).await.unwrap();
    assert_eq!(
        types(rows(&client, &format!("DESCRIBE maria.{m}.events")).await),
        [pair("id", "INT"), pair("name", "VARCHAR(20)")]
    );
    maria.drop().await;
}
