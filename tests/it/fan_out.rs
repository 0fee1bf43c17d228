//! The motivating example: one MySQL change stream feeding Kafka and Doris — and Kafka and
//! Paimon — read once. The MySQL source is the machine's MariaDB; the Doris frontend's
//! MySQL protocol is MariaDB too (no Doris runs here: its metadata and reads go through
//! the same protocol); the Paimon warehouse is a real one, made with pypaimon. Each
//! pipeline is created, described, previewed (each sink receives what the source query
//! returns) and compiled to every format, the artifacts checked against the upstream
//! reference shapes and the Flink Kubernetes Operator's CRD.

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, SOURCE_PASSWORD, mariadb_up};
use crate::common::k8s_schema::{crd_schema, validate};
use crate::common::paimon::make_warehouse;
use crate::common::rows::{result_sets, rows};
use crate::common::sources::maria_source;
use crate::common::{TestServer, free_port, hocon, message, repo, require};

/// The MySQL source `shop_db` and the Kafka sink `events.orders`.
async fn shop_and_events(client: &Client, maria: &MariaDb) {
    maria_source(client, maria, "shop_db").await;
    client
        .batch_execute(
            "CREATE SOURCE events TYPE kafka WITH (bootstrap_servers = 'kafka-1:9092,kafka-2:9092');
             CREATE TABLE events.orders (id INT, customer STRING, amount DECIMAL(10, 2)) WITH (topic = 'orders');",
        )
        .await
        .unwrap();
}

/// The source query's rows, as MariaDB itself returns them.
async fn source_rows(maria: &MariaDb) -> Vec<Vec<String>> {
    maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), name, CAST(amount AS CHAR) FROM {}.orders ORDER BY id",
            maria.name
        ))
        .await
}

/// PREVIEW shows each sink what the source query returns, columns named as the sink's.
async fn previews_equal_the_source(client: &Client, maria: &MariaDb, pipeline: &str) {
    let sets = result_sets(client, &format!("PREVIEW PIPELINE {pipeline} LIMIT 50")).await;
    assert_eq!(sets.len(), 2, "one result set per sink");
    let expected = source_rows(maria).await;
    assert_eq!(expected.len(), 20);
    for (columns, mut got) in sets {
        assert_eq!(columns, ["id", "customer", "amount"]);
        got.sort_by_key(|r| r[0].parse::<i64>().unwrap_or_default());
        assert_eq!(got, expected);
    }
}

/// DESCRIBE PIPELINE: one source node read by both sinks.
async fn one_source_two_sinks(client: &Client, pipeline: &str) {
    let described = rows(client, &format!("DESCRIBE PIPELINE {pipeline}")).await;
    let kinds: Vec<&str> = described.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "source").count(), 1, "{described:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "sink").count(), 2, "{described:?}");
    let source = described.iter().find(|r| r[1] == "source").unwrap();
    assert!(source[5].contains("read once by 2"), "{source:?}");
}

/// The Flink SQL script: the change stream defined once, both INSERTs in one statement set.
async fn flink_reads_once(client: &Client, pipeline: &str) -> String {
    let script = rows(client, &format!("EXPLAIN PIPELINE {pipeline} FORMAT flink_sql")).await[0][1].clone();
    assert_eq!(script.matches("'connector' = 'mysql-cdc'").count(), 1, "{script}");
    assert_eq!(script.matches("EXECUTE STATEMENT SET").count(), 1, "{script}");
    assert_eq!(script.matches("INSERT INTO").count(), 2, "{script}");
    assert!(script.contains("SET 'execution.runtime-mode' = 'streaming';"), "{script}");
    assert!(!script.contains(SOURCE_PASSWORD));
    script
}

/// The SeaTunnel config: one MySQL-CDC source, `sinks` each fed by it (through its
/// transform), the top-level shape of upstream's one-source, two-sink config.
async fn seatunnel_reads_once(client: &Client, pipeline: &str, sinks: [&str; 2]) -> hocon::Value {
    let text = rows(client, &format!("EXPLAIN PIPELINE {pipeline} FORMAT seatunnel")).await[0][1].clone();
    let config = hocon::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let sources = config.get("source").unwrap().entries();
    assert_eq!(sources.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["MySQL-CDC"], "{text}");
    let source_output = sources[0].1.get("plugin_output").and_then(|v| v.text()).unwrap().to_owned();
    let transforms = config.get("transform").map(|t| t.entries().to_vec()).unwrap_or_default();
    let sink_blocks = config.get("sink").unwrap().entries();
    assert_eq!(sink_blocks.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), sinks, "{text}");
    for (plugin, block) in sink_blocks {
        let input = block.get("plugin_input").and_then(|v| v.text()).unwrap();
        let upstream = match transforms
            .iter()
            .find(|(_, t)| t.get("plugin_output").and_then(|v| v.text()) == Some(input))
        {
            Some((_, t)) => t.get("plugin_input").and_then(|v| v.text()).unwrap(),
            None => input,
        };
        assert_eq!(upstream, source_output, "{plugin} is fed by the one source");
    }
    let reference = hocon::parse(
        &std::fs::read_to_string(
            repo().join("tests/fixtures/seatunnel/batch_fake_to_console_with_duplicated_transform.conf"),
        )
        .unwrap(),
    )
    .unwrap();
    let keys = |v: &hocon::Value| v.entries().iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&config), keys(&reference), "env, source, transform, sink");
    assert!(!text.contains(SOURCE_PASSWORD));
    config
}

/// The Kubernetes resources validate against the operator's CRD.
async fn kubernetes_validates(client: &Client, pipeline: &str) {
    let resources = rows(client, &format!("EXPLAIN PIPELINE {pipeline} FORMAT kubernetes")).await;
    let deployment =
        resources.iter().find(|r| r[0].ends_with("-flinkdeployment.yaml")).expect("a FlinkDeployment");
    let (kind, schema) = crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let resource: serde_yaml::Value = serde_yaml::from_str(&deployment[1]).unwrap();
    assert_eq!(resource["kind"].as_str(), Some(kind.as_str()));
    assert_eq!(validate(&resource, &schema), Vec::<String>::new(), "{}", deployment[1]);
}

#[tokio::test]
async fn one_mysql_change_stream_feeds_kafka_and_doris_read_once() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let m = maria.name.clone();
    // the Doris database the sink is written into: a MariaDB database standing in for it
    maria.execute(&format!("CREATE DATABASE {m}_ods")).await;
    maria.execute(&format!("GRANT SELECT ON {m}_ods.* TO '{m}'@'%'")).await;
    let server = TestServer::start();
    let client = server.client().await;
    shop_and_events(&client, &maria).await;
    let fenodes = format!("127.0.0.1:{}", free_port());
    client
        .batch_execute(&format!(
            "CREATE SECRET dw_pw AS '{}';
             CREATE SOURCE dw TYPE doris WITH (fenodes = '{fenodes}', query_port = 3306, username = '{m}', password = SECRET dw_pw);",
            SOURCE_PASSWORD.replace('\'', "''")
        ))
        .await
        .unwrap();
    // as the issue writes it; the Doris table does not exist yet and is created at START
    let created = client
        .simple_query(&format!(
            "CREATE PIPELINE cdc_fanout WITH (mode = 'streaming') AS BEGIN
               INSERT INTO events.orders SELECT id, name, amount FROM shop_db.{m}.orders;
               INSERT INTO dw.{m}_ods.orders SELECT id, name AS customer, amount FROM shop_db.{m}.orders;
             END;"
        ))
        .await;
    assert!(created.is_ok(), "{:?}", created.err().map(|e| message(&e)));

    one_source_two_sinks(&client, "cdc_fanout").await;
    previews_equal_the_source(&client, &maria, "cdc_fanout").await;

    let script = flink_reads_once(&client, "cdc_fanout").await;
    for expected in [
        "'connector' = 'doris'".to_owned(),
        format!("'fenodes' = '{fenodes}'"),
        format!("'table.identifier' = '{m}_ods.orders'"),
        "'password' = '${SLUICE_SECRET_DW_PW}'".to_owned(),
        "'sink.label-prefix' = 'sluice_cdc_fanout_orders'".to_owned(),
        "'sink.enable-2pc' = 'true'".to_owned(),
        // the key of the table it copies: the Doris table is created with UNIQUE KEY(id)
        "  `id` INT NOT NULL,\n  `customer` STRING,\n  `amount` DECIMAL(10, 2),\n  PRIMARY KEY (`id`) NOT ENFORCED".to_owned(),
        "'connector' = 'kafka'".to_owned(),
        "'topic' = 'orders'".to_owned(),
    ] {
        assert!(script.contains(&expected), "{expected} in\n{script}");
    }

    let config = seatunnel_reads_once(&client, "cdc_fanout", ["Kafka", "Doris"]).await;
    let doris = &config.get("sink").unwrap().entries()[1].1;
    let text = |key: &str| doris.get(key).and_then(|v| v.text()).map(str::to_owned);
    assert_eq!(text("fenodes").as_deref(), Some(fenodes.as_str()));
    assert_eq!(text("database"), Some(format!("{m}_ods")));
    assert_eq!(text("table").as_deref(), Some("orders"));
    assert_eq!(text("password").as_deref(), Some("${SLUICE_SECRET_DW_PW}"));
    assert_eq!(text("sink.label-prefix").as_deref(), Some("sluice_cdc_fanout_orders"));
    assert_eq!(text("sink.enable-2pc").as_deref(), Some("true"));
    assert_eq!(text("schema_save_mode").as_deref(), Some("CREATE_SCHEMA_WHEN_NOT_EXIST"));
    assert_eq!(doris.get("doris.config").and_then(|c| c.get("format")).and_then(|v| v.text()), Some("json"));

    // Flink CDC routes each table to one sink table: a fan-out is refused, saying so
    let e = client.batch_execute("EXPLAIN PIPELINE cdc_fanout FORMAT flink_cdc").await.expect_err("fan-out");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "0A000");
    assert!(
        db.message().contains("several sinks") && db.hint().unwrap_or_default().contains("seatunnel"),
        "{db:?}"
    );

    kubernetes_validates(&client, "cdc_fanout").await;
    maria.execute(&format!("DROP DATABASE {m}_ods")).await;
    maria.drop().await;
}

#[tokio::test]
async fn one_mysql_change_stream_feeds_kafka_and_a_paimon_warehouse() {
    let warehouse = tempfile::tempdir().unwrap();
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("pypaimon in the test venv", make_warehouse(warehouse.path()))
    {
        return;
    }
    let maria = MariaDb::create().await;
    let m = maria.name.clone();
    let server = TestServer::start();
    let client = server.client().await;
    shop_and_events(&client, &maria).await;
    let url = format!("file://{}", warehouse.path().display());
    client
        .batch_execute(&format!("CREATE SOURCE lake TYPE paimon WITH (warehouse = '{url}')"))
        .await
        .unwrap();

    // the warehouse pypaimon made, read from Paimon's own metadata
    assert_eq!(rows(&client, "SHOW DATABASES FROM lake").await, [["ods"], ["raw"]]);
    let tables = rows(&client, "SHOW TABLES FROM lake.ods").await;
    assert_eq!(tables.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["clicks", "orders"]);
    assert!(rows(&client, "SHOW TABLES FROM lake.raw").await.is_empty());
    let described = |rows: Vec<Vec<String>>| -> Vec<[String; 4]> {
        rows.into_iter().map(|r| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()]).collect()
    };
    assert_eq!(
        described(rows(&client, "DESCRIBE lake.ods.orders").await),
        [
            ["id", "INT", "f", "t"].map(String::from),
            ["customer", "STRING", "t", "f"].map(String::from),
            ["amount", "DECIMAL(10, 2)", "t", "f"].map(String::from),
        ]
    );
    assert_eq!(
        described(rows(&client, "DESCRIBE lake.ods.clicks").await),
        [
            ["url", "STRING", "t", "f"].map(String::from),
            ["at", "TIMESTAMP_LTZ(3)", "t", "f"].map(String::from),
            ["tags", "ARRAY<STRING>", "t", "f"].map(String::from),
            ["dt", "STRING", "f", "f"].map(String::from),
        ]
    );

    client
        .batch_execute(&format!(
            "CREATE PIPELINE cdc_to_lake WITH (mode = 'streaming') AS BEGIN
               INSERT INTO events.orders SELECT id, name, amount FROM shop_db.{m}.orders;
               INSERT INTO lake.ods.orders SELECT id, name AS customer, amount FROM shop_db.{m}.orders;
             END;"
        ))
        .await
        .unwrap();
    one_source_two_sinks(&client, "cdc_to_lake").await;
    previews_equal_the_source(&client, &maria, "cdc_to_lake").await;
    let script = flink_reads_once(&client, "cdc_to_lake").await;
    assert!(
        script.contains(&format!(
            "CREATE CATALOG `lake` WITH (\n  'type' = 'paimon',\n  'warehouse' = '{url}'\n);"
        )) && script.contains("INSERT INTO `lake`.`ods`.`orders` (`id`, `customer`, `amount`)"),
        "{script}"
    );
    let config = seatunnel_reads_once(&client, "cdc_to_lake", ["Kafka", "Paimon"]).await;
    let paimon = &config.get("sink").unwrap().entries()[1].1;
    let text = |key: &str| paimon.get(key).and_then(|v| v.text()).map(str::to_owned);
    assert_eq!(text("warehouse"), Some(url.clone()));
    assert_eq!(text("catalog_type").as_deref(), Some("filesystem"));
    assert_eq!((text("database").as_deref(), text("table").as_deref()), (Some("ods"), Some("orders")));
    kubernetes_validates(&client, "cdc_to_lake").await;

    // Flink CDC: the fan-out is refused; MySQL into Paimon alone is a Flink CDC pipeline
    let e = client.batch_execute("EXPLAIN PIPELINE cdc_to_lake FORMAT flink_cdc").await.expect_err("fan-out");
    assert_eq!(e.as_db_error().map(|d| d.code().code()), Some("0A000"));
    // … and a pipeline whose own engine is Flink CDC cannot be made a fan-out at all: its
    // job is compiled as it is stored, so CREATE and ALTER refuse it and store nothing
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE PIPELINE cdc_fanout_yaml WITH (mode = 'streaming', engine = 'flink-cdc') AS BEGIN
               INSERT INTO events.orders SELECT id, name, amount FROM shop_db.{m}.orders;
               INSERT INTO lake.ods.orders SELECT id, name AS customer, amount FROM shop_db.{m}.orders;
             END;"
        ),
    )
    .await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("several sinks"), "{message}");
    let (state, message, _) = failure(&client, "ALTER PIPELINE cdc_to_lake SET (engine = 'flink-cdc')").await;
    assert_eq!((state.as_str(), message.contains("several sinks")), ("0A000", true), "{message}");
    let stored = rows(
        &client,
        "SELECT name, engine, version FROM sluice.pipelines WHERE name IN ('cdc_to_lake', 'cdc_fanout_yaml')",
    )
    .await;
    assert_eq!(stored, [["cdc_to_lake", "flink", "1"]], "the refused statements changed nothing");
    client
        .batch_execute(&format!(
            "CREATE PIPELINE cdc_lake_only WITH (mode = 'streaming', engine = 'flink-cdc') AS
             INSERT INTO lake.ods.orders SELECT id, name, amount FROM shop_db.{m}.orders"
        ))
        .await
        .unwrap();
    let yaml = rows(&client, "EXPLAIN PIPELINE cdc_lake_only FORMAT flink_cdc").await[0][1].clone();
    let ours: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    let full: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/flink-cdc/pipeline-definition-full.yaml"))
            .unwrap(),
    )
    .unwrap();
    for block in ours.as_mapping().unwrap().keys() {
        assert!(full.get(block).is_some(), "{block:?} is a Flink CDC block");
    }
    assert_eq!(ours["source"]["type"].as_str(), Some("mysql"));
    assert_eq!(ours["sink"]["type"].as_str(), Some("paimon"));
    assert_eq!(ours["sink"]["catalog.properties.metastore"].as_str(), Some("filesystem"));
    assert_eq!(ours["sink"]["catalog.properties.warehouse"].as_str(), Some(url.as_str()));
    assert_eq!(ours["route"][0]["source-table"].as_str(), Some(format!("{m}.orders").as_str()));
    assert_eq!(ours["route"][0]["sink-table"].as_str(), Some("ods.orders"));

    // the Paimon table read by a pipeline binds and compiles; the gateway cannot preview it
    client
        .batch_execute(
            "CREATE PIPELINE lake_out AS INSERT INTO events.orders SELECT id, customer, amount FROM lake.ods.orders WHERE amount > 1",
        )
        .await
        .unwrap();
    let script = rows(&client, "EXPLAIN PIPELINE lake_out FORMAT flink_sql").await[0][1].clone();
    assert!(script.contains("FROM `lake`.`ods`.`orders`"), "{script}");
    let e = client.batch_execute("PREVIEW PIPELINE lake_out").await.expect_err("no Paimon reader");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "0A000", "{db:?}");
    assert!(
        db.message().contains("lake.ods.orders") && db.hint().unwrap_or_default().contains("Paimon"),
        "{db:?}"
    );

    // a table the pipeline creates in the warehouse, keyed as the table it copies
    client
        .batch_execute(&format!(
            "CREATE PIPELINE to_new_table AS INSERT INTO lake.ods.orders_copy SELECT id, name FROM shop_db.{m}.orders"
        ))
        .await
        .unwrap();
    let script = rows(&client, "EXPLAIN PIPELINE to_new_table FORMAT flink_sql").await[0][1].clone();
    assert!(
        script.contains("CREATE DATABASE IF NOT EXISTS `lake`.`ods`;")
            && script.contains(
                "CREATE TABLE IF NOT EXISTS `lake`.`ods`.`orders_copy` (\n  `id` INT NOT NULL,\n  `name` STRING,\n  PRIMARY KEY (`id`) NOT ENFORCED\n);"
            ),
        "{script}"
    );
    maria.drop().await;
}
