//! Doris and StarRocks sources through their frontends' MySQL protocol. No Doris or
//! StarRocks runs on this machine: the machine's MariaDB stands in for the frontend's
//! query port (it answers the same protocol, `SHOW DATABASES` and `information_schema`),
//! so these tests check the path — connection, metadata, live reads — with MariaDB's own
//! column types read through each type's mapping. The mappings of Doris's and StarRocks's
//! own type names are unit-tested from their documentation's type tables
//! (`connectors/{doris,starrocks}/types.rs`).

use tokio_postgres::Client;

use crate::common::fixtures::{MariaDb, SOURCE_PASSWORD, mariadb_up};
use crate::common::rows::rows;
use crate::common::{TestServer, free_port, require};

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn frontends(client: &Client, maria: &MariaDb, http_port: u16) {
    client
        .batch_execute(&format!(
            "CREATE SECRET fe_pw AS {pw};
             CREATE SOURCE dw TYPE doris WITH (fenodes = '127.0.0.1:{http_port}', query_port = 3306, username = '{user}', password = SECRET fe_pw);
             CREATE SOURCE sr TYPE starrocks WITH (load_url = '127.0.0.1:{http_port}', jdbc_url = 'jdbc:mysql://127.0.0.1:3306', username = '{user}', password = SECRET fe_pw);",
            pw = literal(SOURCE_PASSWORD),
            user = maria.name
        ))
        .await
        .unwrap();
}

/// `DESCRIBE`'s (column, type, nullable, key) of the fixture's `orders` as both types map
/// MariaDB's column types: BIGINT UNSIGNED is how both report LARGEINT, read as STRING;
/// text types are STRING; TINYINT(1) is BOOLEAN.
const ORDERS: &[[&str; 4]] = &[
    ["id", "INT", "f", "t"],
    ["big", "STRING", "t", "f"],
    ["amount", "DECIMAL(10, 2)", "t", "f"],
    ["name", "STRING", "t", "f"],
    ["note", "STRING", "t", "f"],
    ["day", "DATE", "t", "f"],
    ["at", "TIMESTAMP(3)", "t", "f"],
    ["seen", "TIMESTAMP(0)", "t", "f"],
    ["doc", "STRING", "t", "f"],
    ["flag", "BOOLEAN", "t", "f"],
    ["raw", "BYTES", "t", "f"],
];

#[tokio::test]
async fn doris_and_starrocks_sources_list_describe_and_read_through_the_mysql_protocol() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    let http_port = free_port();
    frontends(&client, &maria, http_port).await;
    let db = &maria.name;

    for source in ["dw", "sr"] {
        assert_eq!(rows(&client, &format!("SHOW DATABASES FROM {source}")).await, [[db.clone()]], "{source}");
        let tables = rows(&client, &format!("SHOW TABLES FROM {source}.{db}")).await;
        assert_eq!(
            tables.iter().map(|r| [r[0].as_str(), &r[1]]).collect::<Vec<_>>(),
            [["orders", "BASE TABLE"]],
            "{source}"
        );
        let described = rows(&client, &format!("DESCRIBE {source}.{db}.orders")).await;
        let typed: Vec<[&str; 4]> = described.iter().map(|r| [r[0].as_str(), &r[1], &r[2], &r[3]]).collect();
        assert_eq!(typed, ORDERS, "{source}");
        // the frontend's own spelling is kept beside
        assert_eq!(described[2][4], "decimal(10,2)", "{source}");

        // live reads go to the frontend, filters included
        let live = rows(
            &client,
            &format!("SELECT id, amount, name, flag FROM {source}.{db}.orders WHERE id <= 3 ORDER BY id"),
        )
        .await;
        let direct = maria
            .text_rows(&format!(
                "SELECT CAST(id AS CHAR), CAST(amount AS CHAR), name, CAST(flag AS CHAR) FROM {db}.orders WHERE id <= 3 ORDER BY id"
            ))
            .await;
        assert_eq!(live, direct, "{source}");
        assert_eq!(live.len(), 3);
    }

    // PREVIEW reads a Doris table live; a StarRocks table is written through stream load
    client
        .batch_execute(&format!(
            "CREATE PIPELINE dw_to_sr AS INSERT INTO sr.{db}.orders_copy SELECT id, amount FROM dw.{db}.orders WHERE id > 17"
        ))
        .await
        .unwrap();
    let preview = rows(&client, "PREVIEW PIPELINE dw_to_sr").await;
    let mut expected = maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), CAST(amount AS CHAR) FROM {db}.orders WHERE id > 17 ORDER BY id"
        ))
        .await;
    let mut got = preview.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let flink = rows(&client, "EXPLAIN PIPELINE dw_to_sr FORMAT flink_sql").await[0][1].clone();
    for expected in [
        "'connector' = 'starrocks'".to_owned(),
        "'jdbc-url' = 'jdbc:mysql://127.0.0.1:3306'".to_owned(),
        format!("'load-url' = '127.0.0.1:{http_port}'"),
        format!("'database-name' = '{db}'"),
        "'table-name' = 'orders_copy'".to_owned(),
        "'sink.label-prefix' = 'sluice_dw_to_sr_orders_copy'".to_owned(),
        "'connector' = 'doris'".to_owned(),
        format!("'table.identifier' = '{db}.orders'"),
    ] {
        assert!(flink.contains(&expected), "{expected} in\n{flink}");
    }
    let seatunnel =
        crate::common::hocon::parse(&rows(&client, "EXPLAIN PIPELINE dw_to_sr FORMAT seatunnel").await[0][1])
            .unwrap();
    let (plugin, sink) = &seatunnel.get("sink").unwrap().entries()[0];
    assert_eq!(plugin, "StarRocks");
    let text = |key: &str| sink.get(key).and_then(|v| v.text()).map(str::to_owned);
    assert_eq!(text("base-url").as_deref(), Some("jdbc:mysql://127.0.0.1:3306"));
    assert_eq!(text("labelPrefix").as_deref(), Some("sluice_dw_to_sr_orders_copy"));
    assert_eq!((text("database"), text("table").as_deref()), (Some(db.clone()), Some("orders_copy")));
    assert_eq!(seatunnel.get("source").unwrap().entries()[0].0, "Doris");

    // REFRESH reads the frontend's databases again
    let refreshed = client.simple_query("REFRESH SOURCE dw").await.unwrap();
    assert!(!refreshed.is_empty());
    let cached = rows(&client, "SELECT database, name, kind FROM sluice.tables WHERE source = 'dw'").await;
    assert_eq!(cached, [[db.as_str(), "orders", "introspected"]]);

    // TEST SOURCE: the query port answers; the HTTP addresses (stream load) do not here
    for source in ["dw", "sr"] {
        let checks = rows(&client, &format!("TEST SOURCE {source}")).await;
        let names: Vec<(&str, &str)> = checks.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
        assert_eq!(
            names,
            [("tcp", "t"), ("authentication", "t"), ("version", "t"), ("privileges", "t"), ("http", "f")],
            "{source}: {checks:?}"
        );
        assert!(
            checks[1][3].contains(db.as_str()) && checks[4][3].contains(&http_port.to_string()),
            "{checks:?}"
        );
        assert!(checks.iter().all(|r| !r[3].contains(SOURCE_PASSWORD)));
    }
    maria.drop().await;
}

#[tokio::test]
async fn an_unreachable_frontend_is_reported_and_its_tables_can_be_declared() {
    let server = TestServer::start();
    let client = server.client().await;
    let closed = free_port();
    client
        .batch_execute(&format!(
            "CREATE SECRET fe_pw AS 'x';
             CREATE SOURCE far TYPE doris WITH (fenodes = '127.0.0.1:{closed}', query_port = {closed}, username = 'etl', password = SECRET fe_pw, connect_timeout = '1s');"
        ))
        .await
        .unwrap();
    let e = client.batch_execute("SHOW DATABASES FROM far").await.expect_err("unreachable");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "08001", "{db:?}");
    assert!(db.message().contains("far") && db.message().contains(&closed.to_string()), "{db:?}");
    // a Doris cluster the gateway cannot reach: its tables are declared, and bind
    client
        .batch_execute(
            "CREATE TABLE far.ods.orders (id INT, customer STRING, amount DECIMAL(10, 2), PRIMARY KEY (id) NOT ENFORCED);
             CREATE SOURCE out TYPE print;
             CREATE TABLE out.console (id INT, amount DECIMAL(10, 2));
             CREATE PIPELINE from_far AS INSERT INTO out.console SELECT id, amount FROM far.ods.orders;",
        )
        .await
        .unwrap();
    let described = rows(&client, "DESCRIBE far.ods.orders").await;
    assert_eq!(described[0], ["id", "INT", "f", "t", "INT"]);
    let flink = rows(&client, "EXPLAIN PIPELINE from_far FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains("'connector' = 'doris'") && flink.contains("'table.identifier' = 'ods.orders'"),
        "{flink}"
    );
    // SHOW DATABASES still asks the cluster; SHOW TABLES of a database with declared tables
    // lists them without asking
    let tables = rows(&client, "SHOW TABLES FROM far.ods").await;
    assert_eq!(tables.iter().map(|r| [r[0].as_str(), &r[1]]).collect::<Vec<_>>(), [["orders", "declared"]]);
}
