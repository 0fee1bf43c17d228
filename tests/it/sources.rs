//! Sources against the machine's real MariaDB and PostgreSQL: secrets, TEST SOURCE, live
//! metadata, the catalog cache, live read-only queries with pushdown.

use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::sources::{maria_source, pg_source, text_rows};
use crate::common::{TestServer, message, require, sqlstate};

fn checks(rows: &[Vec<String>]) -> Vec<(String, bool)> {
    rows.iter().map(|r| (r[0].clone(), r[1] == "t")).collect()
}

#[tokio::test]
async fn test_source_checks_mariadb_and_postgres_for_real() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_source(&client, &pg, "pg").await;
    for source in ["maria", "pg"] {
        let rows = text_rows(&client, &format!("TEST SOURCE {source}")).await;
        assert_eq!(
            checks(&rows),
            [("tcp", true), ("authentication", true), ("tls", true), ("version", true), ("privileges", true)]
                .map(|(c, ok)| (c.to_owned(), ok)),
            "{source}: {rows:?}"
        );
        assert!(rows[4][3].contains("can see 1 tables"), "{rows:?}");
    }
    let status = text_rows(&client, "SELECT name, status FROM sluice.sources ORDER BY name").await;
    assert_eq!(status, [["maria", "ok"], ["pg", "ok"]]);

    // a wrong password: the server's own refusal
    client.batch_execute("ALTER SECRET maria_pw AS 'not the password'").await.unwrap();
    let rows = text_rows(&client, "TEST SOURCE maria").await;
    assert_eq!(checks(&rows)[..2], [("tcp".to_owned(), true), ("authentication".to_owned(), false)]);
    assert!(rows[1][3].contains("Access denied"), "{rows:?}");
    // (the local PostgreSQL trusts 127.0.0.1, so a wrong password passes there; a wrong
    // user does not)
    client.batch_execute("ALTER SOURCE pg SET (username = 'no_such_user_here')").await.unwrap();
    let rows = text_rows(&client, "TEST SOURCE pg").await;
    assert!(!checks(&rows)[1].1 && rows[1][3].contains("no_such_user_here"), "{rows:?}");

    // a closed port: refused by the OS, well within the timeout
    client
        .batch_execute("CREATE SOURCE closed TYPE mysql WITH (host = '127.0.0.1', port = 1, username = 'x', connect_timeout = '2s')")
        .await
        .unwrap();
    let rows = text_rows(&client, "TEST SOURCE closed").await;
    assert_eq!(checks(&rows), [("tcp".to_owned(), false)]);
    assert!(rows[0][3].contains("refused"), "{rows:?}");
    assert_eq!(
        text_rows(&client, "SELECT status FROM sluice.sources WHERE name = 'closed'").await,
        [["unreachable"]]
    );
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn live_metadata_lists_databases_tables_and_typed_columns() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_source(&client, &pg, "pg").await;

    let dbs = text_rows(&client, "SHOW DATABASES FROM maria").await;
    assert_eq!(dbs, [[maria.name.clone()]], "the user sees only its database");
    let schemas: Vec<String> =
        text_rows(&client, "SHOW DATABASES FROM pg").await.into_iter().map(|r| r[0].clone()).collect();
    assert!(schemas.contains(&pg.name), "{schemas:?}");

    let tables = text_rows(&client, &format!("SHOW TABLES FROM maria.{}", maria.name)).await;
    assert_eq!(
        tables.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        [("orders", "BASE TABLE")]
    );

    let described = text_rows(&client, &format!("DESCRIBE maria.{}.orders", maria.name)).await;
    let expected = [
        ["id", "INT", "f", "t", "int(11)"],
        ["big", "DECIMAL(20, 0)", "t", "f", "bigint(20) unsigned"],
        ["amount", "DECIMAL(10, 2)", "t", "f", "decimal(10,2)"],
        ["name", "VARCHAR(64)", "t", "f", "varchar(64)"],
        ["note", "STRING", "t", "f", "text"],
        ["day", "DATE", "t", "f", "date"],
        ["at", "TIMESTAMP(3)", "t", "f", "datetime(3)"],
        ["seen", "TIMESTAMP_LTZ(0)", "t", "f", "timestamp"],
        ["doc", "STRING", "t", "f", "json"],
        ["flag", "BOOLEAN", "t", "f", "tinyint(1)"],
        ["raw", "VARBINARY(16)", "t", "f", "varbinary(16)"],
    ];
    assert_eq!(described, expected.map(|r| r.map(str::to_owned)), "{described:?}");

    let described = text_rows(&client, &format!("DESCRIBE pg.{}.orders", pg.name)).await;
    let expected = [
        ["id", "INT", "f", "t", "int4"],
        ["amount", "DECIMAL(10, 2)", "t", "f", "numeric(10,2)"],
        ["name", "VARCHAR(64)", "t", "f", "varchar(64)"],
        ["note", "STRING", "t", "f", "text"],
        ["day", "DATE", "t", "f", "date"],
        ["at", "TIMESTAMP(3)", "t", "f", "timestamp"],
        ["seen", "TIMESTAMP_LTZ(6)", "t", "f", "timestamptz"],
        ["doc", "STRING", "t", "f", "jsonb"],
        ["flag", "BOOLEAN", "t", "f", "bool"],
        ["raw", "BYTES", "t", "f", "bytea"],
    ];
    assert_eq!(described, expected.map(|r| r.map(str::to_owned)), "{described:?}");

    // the metadata is cached in the catalog, and REFRESH reads it again
    let cached = text_rows(
        &client,
        &format!(
            "SELECT count(*) FROM sluice.columns WHERE source = 'maria' AND database = '{}'",
            maria.name
        ),
    )
    .await;
    assert_eq!(cached, [["11"]]);
    let before = text_rows(&client, "SELECT refreshed_at FROM sluice.tables WHERE source = 'maria'").await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE {}.later (x INT)", maria.name)))
        .execute(&sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.unwrap())
        .await
        .unwrap();
    let still = text_rows(&client, &format!("SHOW TABLES FROM maria.{}", maria.name)).await;
    assert_eq!(still.len(), 1, "served from the cache until REFRESH");
    client.batch_execute("REFRESH SOURCE maria").await.unwrap();
    let after = text_rows(&client, &format!("SHOW TABLES FROM maria.{}", maria.name)).await;
    assert_eq!(after.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["later", "orders"]);
    let refreshed = text_rows(
        &client,
        "SELECT refreshed_at FROM sluice.tables WHERE source = 'maria' AND name = 'orders'",
    )
    .await;
    assert!(refreshed[0][0] > before[0][0], "{before:?} -> {refreshed:?}");

    let err = client.simple_query(&format!("DESCRIBE maria.{}.nothing", maria.name)).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn live_queries_return_the_sources_rows_with_pushdown() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_source(&client, &pg, "pg").await;

    let direct: Vec<(i32, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, CAST(amount AS CHAR) FROM {}.orders WHERE id > 15 ORDER BY id LIMIT 3",
        maria.name
    )))
    .fetch_all(&sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.unwrap())
    .await
    .unwrap();
    let through: Vec<(i32, String, String)> = client
        .query(&format!("SELECT id, name, CAST(amount AS VARCHAR) FROM maria.{}.orders WHERE id > 15 ORDER BY id LIMIT 3", maria.name), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(through, direct);
    assert_eq!(through.len(), 3);

    let pg_rows = text_rows(
        &client,
        &format!("SELECT id, name, flag FROM pg.{}.orders WHERE flag AND id <= 6 ORDER BY id", pg.name),
    )
    .await;
    assert_eq!(pg_rows, [["2", "order 2", "t"], ["4", "order 4", "t"], ["6", "order 6", "t"]]);
    let count = text_rows(&client, &format!("SELECT count(*) FROM pg.{}.orders", pg.name)).await;
    assert_eq!(count, [["20"]]);

    // filters and limits are pushed down to the source
    let plan =
        text_rows(&client, &format!("EXPLAIN SELECT id FROM pg.{}.orders WHERE id > 15 LIMIT 3", pg.name))
            .await;
    let physical = plan.iter().find(|r| r[0] == "physical_plan").map(|r| r[1].clone()).unwrap_or_default();
    assert!(
        physical.contains("WHERE") && physical.contains("> 15") && physical.contains("LIMIT 3"),
        "{physical}"
    );

    // joinable with the catalog's own tables
    let joined = text_rows(&client, &format!(
        "SELECT s.type, count(*) FROM maria.{}.orders o JOIN sluice.sources s ON s.name = 'maria' GROUP BY s.type",
        maria.name
    ))
    .await;
    assert_eq!(joined, [["mysql", "20"]]);

    // read-only: writing points to pipelines
    let err = client
        .simple_query(&format!("INSERT INTO pg.{}.orders (id) VALUES (99)", pg.name))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "0A000");
    assert!(err.as_db_error().and_then(|d| d.hint()).unwrap_or_default().contains("PIPELINE"), "{err:?}");
    let err = client.simple_query(&format!("SELECT * FROM pg.{}.missing", pg.name)).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn sources_are_created_altered_renamed_and_dropped() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE SECRET lake_key AS decode('c2VjcmV0LWtleQ==', 'base64'); \
             CREATE SOURCE lake TYPE paimon WITH (warehouse = 's3://lake/wh', 'fs.s3.access-key' = SECRET lake_key); \
             CREATE SOURCE gen TYPE datagen WITH (rows_per_second = 5)",
        )
        .await
        .unwrap();
    let err = client.batch_execute("CREATE SOURCE gen TYPE datagen").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42710");
    client.batch_execute("CREATE SOURCE IF NOT EXISTS gen TYPE datagen").await.unwrap();
    client.batch_execute("ALTER SOURCE gen SET (number_of_rows = 100)").await.unwrap();
    client.batch_execute("ALTER SOURCE gen RESET (rows_per_second)").await.unwrap();
    let create = text_rows(&client, "SHOW CREATE SOURCE gen").await;
    assert_eq!(create[0][1], "CREATE SOURCE gen TYPE datagen WITH (number_of_rows = 100);");
    client.batch_execute("ALTER SOURCE gen RENAME TO generator").await.unwrap();
    let names = text_rows(&client, "SELECT name, type FROM sluice.sources ORDER BY name").await;
    assert_eq!(names, [["generator", "datagen"], ["lake", "paimon"]]);

    // SHOW CREATE round-trips: drop and run it again
    let lake = text_rows(&client, "SHOW CREATE SOURCE lake").await[0][1].clone();
    assert_eq!(
        lake,
        "CREATE SOURCE lake TYPE paimon WITH ('fs.s3.access-key' = SECRET lake_key, warehouse = 's3://lake/wh');"
    );
    client.batch_execute("DROP SOURCE lake RESTRICT").await.unwrap();
    client.batch_execute(&lake).await.unwrap();
    assert_eq!(text_rows(&client, "SHOW CREATE SOURCE lake").await[0][1], lake);

    // a secret in use cannot be dropped
    let err = client.batch_execute("DROP SECRET lake_key").await.unwrap_err();
    assert_eq!(sqlstate(&err), "2BP01");
    let secrets = text_rows(&client, "SHOW SECRETS").await;
    assert_eq!(secrets[0][0], "lake_key");
    assert_eq!(secrets[0][1], "binary");
    assert_eq!(secrets[0][3], "{lake}");
    client.batch_execute("DROP SOURCE lake CASCADE; DROP SECRET lake_key").await.unwrap();
    let err = client.batch_execute("DROP SOURCE lake").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    client.batch_execute("DROP SOURCE IF EXISTS lake").await.unwrap();

    // a secret that does not exist, and plaintext for a secret option
    let err = client
        .batch_execute("CREATE SOURCE m TYPE mysql WITH (host = 'h', username = 'u', password = SECRET nope)")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    let err = client
        .batch_execute("CREATE SOURCE m TYPE mysql WITH (host = 'h', username = 'u', password = 'plain')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    assert!(!message(&err).contains("plain"));
}

#[tokio::test]
async fn options_are_checked_against_the_type_schema() {
    let server = TestServer::start();
    let client = server.client().await;
    let cases = [
        (
            "CREATE SOURCE s TYPE mysql WITH (hots = 'x', username = 'u')",
            "unknown option \"hots\"",
            Some("\"host\""),
        ),
        (
            "CREATE SOURCE s TYPE mysql WITH (host = 'x', username = 'u', port = 'abc')",
            "option \"port\"",
            None,
        ),
        ("CREATE SOURCE s TYPE mysql WITH (host = 'x')", "missing required option \"username\"", None),
        (
            "CREATE SOURCE s TYPE mysql WITH (host = 'x', username = 'u', ssl_mode = 'requird')",
            "ssl_mode",
            Some(""),
        ),
        ("CREATE SOURCE s TYPE mysqll", "unknown source type \"mysqll\"", Some("\"mysql\"")),
        (
            "CREATE SOURCE s TYPE kafka WITH (bootstrap_servers = 'k:9092', connect_timeout = 'soon')",
            "connect_timeout",
            None,
        ),
    ];
    for (sql, expected, hint) in cases {
        let err = client.batch_execute(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), "22023", "{sql}");
        assert!(message(&err).contains(expected), "{sql}: {}", message(&err));
        if let Some(hint) = hint {
            let text =
                err.as_db_error().and_then(|d| d.hint()).map(str::to_owned).unwrap_or_else(|| message(&err));
            assert!(text.contains(hint), "{sql}: {text}");
        }
    }
    // options by group, as a form shows them
    let described = text_rows(&client, "DESCRIBE SOURCE TYPE mysql").await;
    let groups: Vec<(&str, &str)> =
        described.iter().filter(|r| r[0] == "source").map(|r| (r[1].as_str(), r[5].as_str())).collect();
    assert!(
        groups.contains(&("host", "basic"))
            && groups.contains(&("connect_timeout", "tuning"))
            && groups.contains(&("ssl_mode", "advanced"))
    );
    let schema = text_rows(&client, "SELECT json_schema FROM sluice.source_types WHERE type = 'mysql'").await;
    let schema: serde_json::Value = serde_json::from_str(&schema[0][0]).unwrap();
    assert_eq!(schema["properties"]["host"]["x-group"], "basic");
    let types = text_rows(&client, "SHOW SOURCE TYPES").await;
    assert_eq!(types.len(), 12);
}

#[tokio::test]
async fn schema_less_sources_declare_their_tables() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE SOURCE kafka_prod TYPE kafka WITH (bootstrap_servers = 'k1:9092,k2:9092')")
        .await
        .unwrap();
    client
        .batch_execute(
            "CREATE TABLE kafka_prod.order_events (
               id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3), cost AS amount * 2,
               WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
               PRIMARY KEY (id) NOT ENFORCED
             ) WITH (topic = 'orders', format = 'json', 'scan.startup.mode' = 'earliest-offset')",
        )
        .await
        .unwrap();
    assert_eq!(
        text_rows(&client, "SHOW TABLES FROM kafka_prod")
            .await
            .iter()
            .map(|r| r[0].as_str())
            .collect::<Vec<_>>(),
        ["order_events"]
    );
    let described = text_rows(&client, "DESCRIBE kafka_prod.order_events").await;
    assert_eq!(
        described,
        [
            ["id", "BIGINT", "f", "t", "BIGINT"],
            ["amount", "DECIMAL(10, 2)", "t", "f", "DECIMAL(10, 2)"],
            ["ts", "TIMESTAMP(3)", "t", "f", "TIMESTAMP(3)"],
            ["cost", "COMPUTED", "t", "f", "AS amount * 2"],
        ]
        .map(|r| r.map(str::to_owned))
    );
    let err = client
        .batch_execute("CREATE TABLE kafka_prod.order_events (x INT) WITH (topic = 't')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42710");
    let err =
        client.batch_execute("CREATE TABLE kafka_prod.t2 (x INT) WITH (topik = 't')").await.unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    let err = client
        .batch_execute("CREATE TABLE kafka_prod.t3 (x INT, WATERMARK FOR x AS x - 1) WITH (topic = 't')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42804");
    client.batch_execute("DROP TABLE kafka_prod.order_events").await.unwrap();
    assert!(text_rows(&client, "SHOW TABLES FROM kafka_prod").await.is_empty());
}
