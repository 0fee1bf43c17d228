//! Gravitino sources against a fake Gravitino server (`common::gravitino_fake`: no JVM
//! service runs here; the fake answers as Gravitino's documented REST API does, paths and
//! shapes from its OpenAPI spec): the catalog's schemas are listed as databases, its
//! tables and columns described, keys and unreadable columns kept, and pipelines over its
//! tables compile to the connector of the system behind the catalog — or are refused
//! naming the provider. Gravitino's own copy of a JDBC password never reaches a result or
//! an artifact.

use serde_json::json;
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::common::failures::{failure, failure_hint};
use crate::common::gravitino_fake::{Catalog, FakeGravitino, column, table};
use crate::common::rows::rows;
use crate::common::sinks::sinks;

const TOKEN: &str = "gravitino-oauth-token";
/// What an older Gravitino (≤ 1.2) returns as the catalog's JDBC password.
const LEAKED: &str = "jdbc-pw-from-gravitino";

fn orders() -> serde_json::Value {
    table(
        "orders",
        vec![
            column("id", json!("integer"), false),
            column("amount", json!("decimal(10,2)"), true),
            column("at", json!("timestamp(3)"), true),
            column("tags", json!({"type": "list", "containsNull": true, "elementType": "string"}), true),
            column("area", json!({"type": "unparsed", "unparsedType": "geometry"}), true),
        ],
        &["id"],
    )
}

async fn fake() -> FakeGravitino {
    let catalogs = vec![
        Catalog {
            name: "mysql_cat".into(),
            provider: "jdbc-mysql".into(),
            properties: vec![
                ("jdbc-url".into(), "jdbc:mysql://10.1.2.3:3307".into()),
                ("jdbc-user".into(), "etl".into()),
                ("jdbc-password".into(), LEAKED.into()),
                ("jdbc-driver".into(), "com.mysql.cj.jdbc.Driver".into()),
            ],
            schemas: vec![("shop".into(), vec![orders()]), ("crm".into(), Vec::new())],
        },
        Catalog {
            name: "lake_cat".into(),
            provider: "lakehouse-paimon".into(),
            properties: vec![
                ("catalog-backend".into(), "filesystem".into()),
                ("warehouse".into(), "s3://lake/warehouse".into()),
            ],
            schemas: vec![("ods".into(), vec![orders()])],
        },
        Catalog {
            name: "ice_cat".into(),
            provider: "lakehouse-iceberg".into(),
            properties: vec![
                ("catalog-backend".into(), "hive".into()),
                ("uri".into(), "thrift://hms:9083".into()),
                ("warehouse".into(), "s3://ice/wh".into()),
            ],
            schemas: vec![("ods".into(), vec![orders()])],
        },
        Catalog {
            name: "ice_jdbc_cat".into(),
            provider: "lakehouse-iceberg".into(),
            properties: vec![
                ("catalog-backend".into(), "jdbc".into()),
                ("uri".into(), "jdbc:mysql://db/ice".into()),
            ],
            schemas: vec![("ods".into(), vec![orders()])],
        },
        Catalog {
            name: "hive_cat".into(),
            provider: "hive".into(),
            properties: vec![("metastore.uris".into(), "thrift://hms:9083".into())],
            schemas: vec![("dw".into(), vec![orders()])],
        },
    ];
    FakeGravitino::start("lakehouse", TOKEN, catalogs).await
}

async fn source(client: &Client, fake: &FakeGravitino, name: &str, catalog: &str) {
    client
        .batch_execute(&format!(
            "CREATE SOURCE {name} TYPE gravitino WITH (uri = '{}', metalake = 'lakehouse', catalog = '{catalog}', \
             token = SECRET g_token, password = SECRET g_pw)",
            fake.url
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_gravitino_catalog_is_listed_described_and_compiled_as_its_provider() {
    let fake = fake().await;
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(&format!("CREATE SECRET g_token AS '{TOKEN}'; CREATE SECRET g_pw AS 'mysql-pw'"))
        .await
        .unwrap();
    sinks(&client).await;
    source(&client, &fake, "g", "mysql_cat").await;

    let test = rows(&client, "TEST SOURCE g").await;
    assert_eq!(test.len(), 1, "{test:?}");
    assert_eq!((test[0][0].as_str(), test[0][1].as_str()), ("catalog", "t"));
    assert!(test[0][3].contains("provider jdbc-mysql"), "{test:?}");

    assert_eq!(rows(&client, "SHOW DATABASES FROM g").await, [["crm"], ["shop"]]);
    let tables = rows(&client, "SHOW TABLES FROM g.shop").await;
    assert_eq!(tables.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["orders"]);
    let described = rows(&client, "DESCRIBE g.shop.orders").await;
    let typed: Vec<[&str; 4]> = described.iter().map(|r| [r[0].as_str(), &r[1], &r[2], &r[3]]).collect();
    assert_eq!(
        typed,
        [
            ["id", "INT", "f", "t"],
            ["amount", "DECIMAL(10, 2)", "t", "f"],
            ["at", "TIMESTAMP(3)", "t", "f"],
            ["tags", "ARRAY<STRING>", "t", "f"],
            // no engine reads it: no type of Sluice's, Gravitino's own as the source type
            ["area", "NULL", "t", "f"],
        ]
    );
    assert_eq!((described[1][4].as_str(), described[2][4].as_str()), ("decimal(10,2)", "timestamp(3)"));
    assert!(described[3][4].contains("\"list\"") && described[4][4].contains("geometry"), "{described:?}");
    // every request asked for v1 with the source's token
    let log = fake.log();
    assert!(
        log.iter()
            .any(|l| l.path == "/api/metalakes/lakehouse/catalogs/mysql_cat/schemas/shop/tables/orders")
    );
    assert!(log.iter().all(|l| l.method == "GET"
        && l.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))
        && l.accept.as_deref() == Some("application/vnd.gravitino.v1+json")));
    // Gravitino's password is neither cached nor shown
    let cached = rows(&client, "SELECT definition FROM sluice.tables WHERE source = 'g'").await;
    assert!(cached[0][0].contains("jdbc-mysql") && !cached[0][0].contains(LEAKED), "{cached:?}");

    // a streaming pipeline reads the MySQL table behind the catalog through mysql-cdc
    client
        .batch_execute(
            "CREATE PIPELINE g_orders WITH (mode = 'streaming') AS \
             INSERT INTO k.order_events SELECT id, amount, at FROM g.shop.orders",
        )
        .await
        .unwrap();
    let flink = rows(&client, "EXPLAIN PIPELINE g_orders FORMAT flink_sql").await[0][1].clone();
    for expected in [
        "'connector' = 'mysql-cdc'",
        "'hostname' = '10.1.2.3'",
        "'port' = '3307'",
        "'username' = 'etl'",
        "'password' = '${SLUICE_SECRET_G_PW}'",
        "'database-name' = 'shop'",
        "'table-name' = 'orders'",
        "PRIMARY KEY (`id`) NOT ENFORCED",
    ] {
        assert!(flink.contains(expected), "{expected} in\n{flink}");
    }
    assert!(!flink.contains("area") && !flink.contains(LEAKED) && !flink.contains(TOKEN), "{flink}");
    let seatunnel = rows(&client, "EXPLAIN PIPELINE g_orders FORMAT seatunnel").await[0][1].clone();
    assert!(seatunnel.contains("MySQL-CDC") && seatunnel.contains("${SLUICE_SECRET_G_PW}"), "{seatunnel}");
    assert!(!seatunnel.contains(LEAKED), "{seatunnel}");

    // the column no engine can read is named when used
    let (state, msg, _) = failure(
        &client,
        "CREATE PIPELINE g_area AS INSERT INTO out.console SELECT id, area FROM g.shop.orders",
    )
    .await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("\"area\"") && msg.contains("g.shop.orders") && msg.contains("unparsed"), "{msg}");
}

#[tokio::test]
async fn providers_sluice_cannot_compile_are_refused_naming_them() {
    let fake = fake().await;
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(&format!("CREATE SECRET g_token AS '{TOKEN}'; CREATE SECRET g_pw AS 'pw'"))
        .await
        .unwrap();
    sinks(&client).await;
    source(&client, &fake, "lake", "lake_cat").await;
    source(&client, &fake, "hive", "hive_cat").await;
    source(&client, &fake, "ice", "ice_cat").await;
    source(&client, &fake, "ice_jdbc", "ice_jdbc_cat").await;

    // an Iceberg catalog compiles as an Iceberg catalog of its backend
    client
        .batch_execute(
            "CREATE PIPELINE from_ice AS INSERT INTO out.console SELECT id, amount FROM ice.ods.orders",
        )
        .await
        .unwrap();
    let flink = rows(&client, "EXPLAIN PIPELINE from_ice FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains("CREATE CATALOG `ice` WITH (\n  'type' = 'iceberg',\n  'catalog-type' = 'hive',\n  'uri' = 'thrift://hms:9083',\n  'warehouse' = 's3://ice/wh'\n);"),
        "{flink}"
    );
    let seatunnel =
        crate::common::hocon::parse(&rows(&client, "EXPLAIN PIPELINE from_ice FORMAT seatunnel").await[0][1])
            .unwrap();
    let iceberg = &seatunnel.get("source").unwrap().entries()[0];
    assert_eq!(iceberg.0, "Iceberg");
    let config = iceberg.1.get("iceberg.catalog.config").unwrap();
    assert_eq!(config.get("type").and_then(|v| v.text()), Some("hive"));
    assert_eq!(iceberg.1.get("namespace").and_then(|v| v.text()), Some("ods"));
    // a streaming pipeline runs only as its Flink job: one that cannot be compiled is
    // refused by CREATE (a batch one may still be run by the gateway: EXPLAIN refuses it)
    let from_ice_jdbc =
        "CREATE PIPELINE from_ice_jdbc AS INSERT INTO out.console SELECT id, amount FROM ice_jdbc.ods.orders";
    let (state, msg, _) = failure(&client, from_ice_jdbc).await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("ice_jdbc.ods.orders") && msg.contains("jdbc backend"), "{msg}");
    let stored = rows(&client, "SELECT count(*) FROM sluice.pipelines WHERE name = 'from_ice_jdbc'").await;
    assert_eq!(stored, [["0"]], "the refused CREATE stored nothing");
    client
        .batch_execute(&from_ice_jdbc.replace(" AS INSERT", " WITH (mode = 'batch') AS INSERT"))
        .await
        .unwrap();
    let (state, msg, _) = failure(&client, "EXPLAIN PIPELINE from_ice_jdbc FORMAT flink_sql").await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("ice_jdbc.ods.orders") && msg.contains("jdbc backend"), "{msg}");

    // a Paimon catalog compiles as a Paimon catalog of its warehouse
    client
        .batch_execute(
            "CREATE PIPELINE from_lake AS INSERT INTO out.console SELECT id, amount FROM lake.ods.orders",
        )
        .await
        .unwrap();
    let flink = rows(&client, "EXPLAIN PIPELINE from_lake FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains("CREATE CATALOG `lake` WITH (\n  'type' = 'paimon',\n  'warehouse' = 's3://lake/warehouse',\n  'metastore' = 'filesystem'\n);")
            && flink.contains("FROM `lake`.`ods`.`orders`"),
        "{flink}"
    );
    let seatunnel = rows(&client, "EXPLAIN PIPELINE from_lake FORMAT seatunnel").await[0][1].clone();
    assert!(seatunnel.contains("Paimon {") && seatunnel.contains("\"s3a://lake/warehouse\""), "{seatunnel}");

    // a Hive catalog is listed, bound, and refused when compiled: by CREATE of a streaming
    // pipeline, by EXPLAIN of a batch one
    let (state, msg, _) = failure(
        &client,
        "CREATE PIPELINE from_hive AS INSERT INTO out.console SELECT id, amount FROM hive.dw.orders",
    )
    .await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("hive.dw.orders") && msg.contains("provider is hive"), "{msg}");
    client
        .batch_execute(
            "CREATE PIPELINE from_hive WITH (mode = 'batch') AS INSERT INTO out.console SELECT id, amount FROM hive.dw.orders",
        )
        .await
        .unwrap();
    for format in ["flink_sql", "seatunnel", "kubernetes"] {
        let (state, msg, _) = failure(&client, &format!("EXPLAIN PIPELINE from_hive FORMAT {format}")).await;
        assert_eq!(state, "0A000", "{format}: {msg}");
        assert!(msg.contains("hive.dw.orders") && msg.contains("provider is hive"), "{msg}");
    }

    // a table declared in a Gravitino source says nothing of the system behind it; the
    // hint's statement gives it back to Gravitino
    let declared_hint = "DROP TABLE lake.ods.orders, and Sluice reads it from Gravitino.";
    client.batch_execute("CREATE TABLE lake.ods.orders (id INT, amount DECIMAL(10, 2))").await.unwrap();
    let from_declared =
        "CREATE PIPELINE from_declared AS INSERT INTO out.console SELECT id, amount FROM lake.ods.orders";
    let (state, msg, hint) = failure_hint(&client, from_declared).await;
    assert_eq!((state.as_str(), hint.as_str()), ("0A000", declared_hint), "{msg}");
    client
        .batch_execute(&from_declared.replace(" AS INSERT", " WITH (mode = 'batch') AS INSERT"))
        .await
        .unwrap();
    let (state, msg, hint) = failure_hint(&client, "EXPLAIN PIPELINE from_declared FORMAT flink_sql").await;
    assert_eq!((state.as_str(), hint.as_str()), ("0A000", declared_hint), "{msg}");
    client.batch_execute("DROP TABLE lake.ods.orders").await.unwrap();
    assert!(
        rows(&client, "EXPLAIN PIPELINE from_declared FORMAT flink_sql").await[0][1]
            .contains("'type' = 'paimon'")
    );

    // unknown schemas and tables, and a catalog the metalake does not have
    let (state, msg, _) = failure(&client, "DESCRIBE lake.ods.nothing").await;
    assert_eq!(state, "42P01", "{msg}");
    assert!(rows(&client, "SHOW TABLES FROM lake.nowhere").await.is_empty());
    client
        .batch_execute(&format!(
            "CREATE SOURCE gone TYPE gravitino WITH (uri = '{}', metalake = 'lakehouse', catalog = 'gone', token = SECRET g_token)",
            fake.url
        ))
        .await
        .unwrap();
    let (state, msg, _) = failure(&client, "SHOW DATABASES FROM gone").await;
    assert!(state.starts_with("08"), "{state}: {msg}");
    assert!(msg.contains("NoSuchCatalogException"), "{msg}");
    // a server that cannot be reached over https is the source being unavailable
    client
        .batch_execute(
            "CREATE SOURCE tls TYPE gravitino WITH (uri = 'https://127.0.0.1:1', metalake = 'lakehouse', catalog = 'c')",
        )
        .await
        .unwrap();
    let (state, msg, _) = failure(&client, "SHOW DATABASES FROM tls").await;
    assert_eq!(state, "08001", "{msg}");
    assert!(msg.contains("https://127.0.0.1:1/api/metalakes/lakehouse/catalogs/c/schemas"), "{msg}");
    // a wrong token is Gravitino's 401, reported as the source being unavailable
    client.batch_execute("ALTER SECRET g_token AS 'wrong'").await.unwrap();
    let (state, msg, _) = failure(&client, "REFRESH SOURCE lake").await;
    assert!(state.starts_with("08") && msg.contains("Unauthorized"), "{state}: {msg}");
    assert!(!msg.contains("wrong"), "{msg}");
}
