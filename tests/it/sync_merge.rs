//! Sharded tables merged into one sink table (issue 21, item 4), on the machine's MariaDB
//! and PostgreSQL: four shard databases, each with its `orders` (keys overlapping),
//! synced by `FROM maria DATABASES 'pattern'` into one PostgreSQL `orders` with an origin
//! column in the key — every row once, compared value by value per shard, also after a
//! second START; a type conflict between shards refused naming both; the artifacts of a
//! merge (Flink CDC routes many-to-one, SeaTunnel's multi-table source with a query per
//! table, Flink SQL's UNION ALL) checked against the upstream shapes.

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::hocon;
use crate::common::rows::rows;
use crate::common::sources::maria_to_dw;
use crate::common::{repo, require};

/// Shard `k` of `m`: database `{m}_s{k}` whose `orders` has `10 + k` rows with ids from 1
/// (overlapping across shards) and values that tell the shards apart. `amount` is given
/// its own type per shard by `amount_type`; shard 2 has a column the others lack.
async fn shard(maria: &MariaDb, k: usize, amount_type: &str) -> String {
    let db = format!("{}_s{k}", maria.name);
    let extra = if k == 2 { ", extra INT" } else { "" };
    for sql in [
        format!("CREATE DATABASE {db}"),
        format!(
            "CREATE TABLE {db}.orders (id INT PRIMARY KEY, customer VARCHAR(50) NOT NULL, amount {amount_type}, \
             created_at DATETIME(6), note TEXT NULL{extra})"
        ),
        format!(
            "INSERT INTO {db}.orders (id, customer, amount, created_at, note) SELECT seq, CONCAT('c{k}-', seq), \
             seq * 1.5 + {k}, TIMESTAMP('2026-03-0{} 08:00:00.123456') + INTERVAL seq SECOND, \
             IF(seq % 3 = 0, NULL, CONCAT('tab\\there ''', seq)) FROM seq_1_to_{}",
            k + 1,
            10 + k
        ),
        format!("GRANT SELECT ON `{db}`.* TO '{}'@'%'", maria.name),
    ] {
        maria.execute(&sql).await;
    }
    db
}

async fn drop_shards(maria: MariaDb, shards: &[String]) {
    for db in shards {
        maria.execute(&format!("DROP DATABASE IF EXISTS {db}")).await;
    }
    maria.drop().await;
}

#[tokio::test]
async fn four_shards_merge_into_one_postgres_table_with_their_origin_every_row_once() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let mut shards = Vec::new();
    for k in 0..4 {
        shards.push(shard(&maria, k, "DECIMAL(12,2)").await);
    }
    pg.execute(&format!("DROP TABLE {}.orders", pg.name)).await;
    let (_server, client) = maria_to_dw(&maria).await;
    let m = &maria.name;
    let sink_db = &pg.name;
    client
        .batch_execute(&format!(
            "CREATE SYNC DATABASE shards FROM maria DATABASES '{m}_s[0-3]' INCLUDING TABLES 'orders' \
             TO dw DATABASE {sink_db} \
             WITH (engine = 'local', mode = 'full', origin_column = 'src_table', origin_key = true)"
        ))
        .await
        .unwrap();
    let planned = rows(
        &client,
        "SELECT source_table, sink_table FROM sluice.sync_tables WHERE sync = 'shards' ORDER BY 1",
    )
    .await;
    let expected: Vec<Vec<String>> =
        shards.iter().map(|db| vec![format!("{db}.orders"), "orders".to_owned()]).collect();
    assert_eq!(planned, expected);
    let described = rows(&client, "DESCRIBE SYNC shards").await;
    let first: Vec<(&str, &str, &str)> = described
        .iter()
        .filter(|r| r[0] == format!("{m}_s0.orders"))
        .map(|r| (r[2].as_str(), r[4].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        first,
        [
            ("id", "integer", "t"),
            ("customer", "varchar(50)", "f"),
            ("amount", "numeric(12,2)", "f"),
            ("created_at", "timestamp(6)", "f"),
            ("note", "text", "f"),
            ("src_table", "varchar(129)", "t"),
        ],
        "the common columns (shard 2's extra left out) and the origin in the key"
    );
    let ddl = rows(&client, "EXPLAIN SYNC shards").await;
    assert!(ddl.iter().all(|r| r[3] == ddl[0][3]), "one sink table: {ddl:?}");
    assert!(ddl[0][3].contains("PRIMARY KEY (\"id\", \"src_table\")"), "{}", ddl[0][3]);

    for round in 0..2 {
        client.batch_execute("START PIPELINE shards").await.unwrap();
        for (k, db) in shards.iter().enumerate() {
            let source = maria
                .text_rows(&format!(
                    "SELECT CAST(id AS CHAR), customer, CAST(amount AS CHAR), \
                     DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'), note FROM {db}.orders ORDER BY orders.id"
                ))
                .await;
            assert_eq!(source.len(), 10 + k);
            let copied = pg
                .text_rows(&format!(
                    "SELECT id::text, customer, amount::text, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US'), note \
                     FROM {sink_db}.orders o WHERE src_table = '{db}.orders' ORDER BY o.id"
                ))
                .await;
            assert_eq!(copied, source, "shard {db}, round {round}");
        }
        let total = pg
            .text_rows(&format!(
                "SELECT count(*)::text, count(DISTINCT src_table)::text FROM {sink_db}.orders"
            ))
            .await;
        assert_eq!(total, [["46", "4"]], "every row once (round {round})");
    }

    // a shard whose column has another type is refused, naming both tables; nothing changes
    let odd = shard(&maria, 9, "DECIMAL(10,2)").await;
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE OR REPLACE SYNC DATABASE shards FROM maria DATABASES '{m}_s[0-9]' INCLUDING TABLES 'orders' \
             TO dw DATABASE {sink_db} WITH (engine = 'local', mode = 'full', origin_column = 'src_table', origin_key = true)"
        ),
    )
    .await;
    assert_eq!(state, "42804", "{message}");
    assert_eq!(
        message,
        format!(
            "column amount is numeric(12,2) in {m}_s0.orders but numeric(10,2) in {odd}.orders, and both merge into sink table orders"
        )
    );
    let still = rows(&client, "SELECT count(*) FROM sluice.sync_tables WHERE sync = 'shards'").await;
    assert_eq!(still, [["4"]], "the refused statement changed nothing");
    let (state, message, _) = failure(
        &client,
        &format!("CREATE SYNC DATABASE none FROM maria DATABASES '{m}_nothing_[0-9]' TO dw DATABASE {sink_db} WITH (mode = 'full')"),
    )
    .await;
    assert_eq!(
        (state.as_str(), message.contains(&format!("'{m}_nothing_[0-9]'"))),
        ("3D000", true),
        "{message}"
    );
    shards.push(odd);
    drop_shards(maria, &shards).await;
    pg.drop().await;
}

#[tokio::test]
async fn a_merge_compiles_to_flink_cdc_routes_seatunnel_table_queries_and_a_flink_sql_union() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let maria = MariaDb::create().await;
    let mut shards = Vec::new();
    for k in 0..2 {
        shards.push(shard(&maria, k, "DECIMAL(12,2)").await);
    }
    let (_server, client) = maria_to_dw(&maria).await;
    let m = &maria.name;
    let create = |name: &str, sink: &str, options: &str| {
        format!(
            "CREATE SYNC DATABASE {name} FROM maria DATABASES '{m}_s[0-9]' INCLUDING TABLES 'orders' TO {sink} \
             WITH (origin_column = 'src_table', origin_key = true, {options})"
        )
    };

    // Flink CDC (into Kafka): one route per shard into the one sink table, a transform
    // adding the origin and naming the key
    client
        .batch_execute("CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = '127.0.0.1:9092')")
        .await
        .unwrap();
    client.batch_execute(&create("cdc", "k", "mode = 'full+cdc', engine = 'flink-cdc'")).await.unwrap();
    let yaml = &rows(&client, "EXPLAIN PIPELINE cdc FORMAT flink_cdc").await[0][1];
    let ours: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    let reference: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/flink-cdc/mysql-to-doris-route-mode.yaml"))
            .unwrap(),
    )
    .unwrap();
    let full: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/flink-cdc/pipeline-definition-full.yaml"))
            .unwrap(),
    )
    .unwrap();
    let keys = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_mapping()
            .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    // with an origin column (a transform per table) the tables are a fixed list
    assert_eq!(
        ours["source"]["tables"].as_str(),
        Some(format!("{m}_s0.orders,{m}_s1.orders").as_str()),
        "{yaml}"
    );
    assert_eq!(ours["route"].as_sequence().map(Vec::len), Some(2), "{yaml}");
    for (k, db) in shards.iter().enumerate() {
        let route = &ours["route"][k];
        assert_eq!(route["source-table"].as_str(), Some(format!("{db}.orders").as_str()), "{yaml}");
        assert_eq!(route["sink-table"].as_str(), Some("orders"), "many routes, one sink table: {yaml}");
        for key in keys(route) {
            assert!(keys(&reference["route"][0]).contains(&key), "route key {key} is upstream's");
        }
        let transform = &ours["transform"][k];
        assert_eq!(transform["source-table"].as_str(), Some(format!("{db}.orders").as_str()));
        assert_eq!(
            transform["projection"].as_str(),
            Some(
                format!("`id`, `customer`, `amount`, `created_at`, `note`, '{db}.orders' AS `src_table`")
                    .as_str()
            )
        );
        assert_eq!(transform["primary-keys"].as_str(), Some("id, src_table"));
        for key in keys(transform) {
            assert!(keys(&full["transform"][0]).contains(&key), "transform key {key} is upstream's");
        }
    }

    // without one, the tables as patterns, so that a table created later that INCLUDING
    // matches is picked up (from the binlog as it comes, under mode cdc), routed last to
    // the sink table of its name
    client
        .batch_execute(&format!(
            "CREATE SYNC DATABASE cdc_new FROM maria DATABASES '{m}_s[0-9]' INCLUDING TABLES 'orders' TO k \
             WITH (mode = 'cdc', engine = 'flink-cdc', table_prefix = 'all_')"
        ))
        .await
        .unwrap();
    let yaml = &rows(&client, "EXPLAIN PIPELINE cdc_new FORMAT flink_cdc").await[0][1];
    let ours: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    assert_eq!(ours["source"]["tables"].as_str(), Some(format!("({m}_s[0-9]).(orders)").as_str()), "{yaml}");
    assert_eq!(ours["source"]["scan.binlog.newly-added-table.enabled"].as_bool(), Some(true), "{yaml}");
    assert_eq!(ours["pipeline"]["route-mode"].as_str(), Some("FIRST_MATCH"));
    assert_eq!(reference["pipeline"]["route-mode"].as_str(), Some("FIRST_MATCH"), "upstream's key and value");
    assert_eq!(ours["route"][0]["sink-table"].as_str(), Some("all_orders"), "{yaml}");
    let last = &ours["route"][2];
    assert_eq!(last["source-table"], ours["source"]["tables"]);
    assert_eq!((last["sink-table"].as_str(), last["replace-symbol"].as_str()), (Some("all_<>"), Some("<>")));
    for key in keys(last) {
        assert!(keys(&reference["route"][2]).contains(&key), "route key {key} is upstream's");
    }

    // SeaTunnel: one JDBC source listing each shard with its query, one sink naming the table
    client
        .batch_execute(&create("st", "dw DATABASE public", "mode = 'full', engine = 'seatunnel'"))
        .await
        .unwrap();
    let conf = &rows(&client, "EXPLAIN PIPELINE st FORMAT seatunnel").await[0][1];
    let config = hocon::parse(conf).unwrap_or_else(|e| panic!("{e}: {conf}"));
    let upstream = hocon::parse(
        &std::fs::read_to_string(
            repo().join("tests/fixtures/seatunnel/jdbc_mysql_source_and_sink_with_multiple_tables.conf"),
        )
        .unwrap(),
    )
    .unwrap();
    let sources = config.get("source").unwrap().entries();
    assert_eq!(sources.len(), 1, "{conf}");
    assert_eq!(sources[0].0.to_lowercase(), "jdbc");
    let Some(hocon::Value::List(list)) = sources[0].1.get("table_list") else { panic!("table_list: {conf}") };
    let Some(hocon::Value::List(upstream_list)) =
        upstream.get("source").unwrap().entries()[0].1.get("table_list").cloned()
    else {
        panic!("upstream table_list")
    };
    assert_eq!(list.len(), 2);
    for (entry, db) in list.iter().zip(&shards) {
        assert_eq!(entry.get("table_path").and_then(|v| v.text()), Some(format!("{db}.orders").as_str()));
        assert_eq!(
            entry.get("query").and_then(|v| v.text()),
            Some(
                format!(
                    "SELECT `id` AS `id`, `customer` AS `customer`, `amount` AS `amount`, `created_at` AS `created_at`, \
                     `note` AS `note`, '{db}.orders' AS `src_table` FROM `{db}`.`orders`"
                )
                .as_str()
            )
        );
        for key in ["table_path", "query"] {
            assert!(upstream_list[1].get(key).is_some(), "{key} is an upstream table_list key");
        }
    }
    let sinks = config.get("sink").unwrap().entries();
    assert_eq!(sinks.len(), 1, "{conf}");
    assert_eq!(sinks[0].1.get("table").and_then(|v| v.text()), Some("public.orders"));
    let Some(hocon::Value::List(keys)) = sinks[0].1.get("primary_keys") else {
        panic!("primary_keys: {conf}")
    };
    let keys: Vec<&str> = keys.iter().filter_map(|k| k.text()).collect();
    assert_eq!(keys, ["id", "src_table"]);

    // Flink SQL: one INSERT of the shards' UNION ALL
    client
        .batch_execute(&create("fl", "dw DATABASE public", "mode = 'full', engine = 'flink'"))
        .await
        .unwrap();
    let script = &rows(&client, "EXPLAIN PIPELINE fl FORMAT flink_sql").await[0][1];
    assert_eq!(script.matches("INSERT INTO").count(), 1, "{script}");
    assert_eq!(script.matches("UNION ALL").count(), 1, "{script}");
    for db in &shards {
        assert!(script.contains(&format!("'{db}.orders'")), "the origin of {db}: {script}");
    }
    drop_shards(maria, &shards).await;
}

/// What a sync of several databases cannot do is refused with its SQLSTATE and a message
/// naming what is wrong, and a refused CREATE stores nothing: `origin_key` without
/// `origin_column` (22023); a matched database with a dot in its name, which the stored
/// `database.table` names could not tell apart (0A000); a merge whose origin column
/// SeaTunnel's CDC sources cannot add (0A000: the engine's job is compiled as the sync is
/// created).
#[tokio::test]
async fn what_a_merge_cannot_do_is_refused_naming_it() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let maria = MariaDb::create().await;
    let shards = vec![shard(&maria, 0, "DECIMAL(12,2)").await, shard(&maria, 1, "DECIMAL(12,2)").await];
    let (_server, client) = maria_to_dw(&maria).await;
    let m = &maria.name;
    let syncs = || rows(&client, "SELECT name FROM sluice.syncs ORDER BY name");

    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE SYNC DATABASE keyed FROM maria DATABASES '{m}_s[0-9]' INCLUDING TABLES 'orders' \
             TO dw DATABASE public WITH (mode = 'full', origin_key = true)"
        ),
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    assert_eq!(message, "option \"origin_key\" of syncs needs option \"origin_column\"");

    let dotted = format!("{m}_s.9");
    for sql in [
        format!("CREATE DATABASE `{dotted}`"),
        format!("CREATE TABLE `{dotted}`.orders (id INT PRIMARY KEY)"),
        format!("GRANT SELECT ON `{dotted}`.* TO '{m}'@'%'"),
    ] {
        maria.execute(&sql).await;
    }
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE SYNC DATABASE dotted FROM maria DATABASES '{m}_s.*' INCLUDING TABLES 'orders' \
             TO dw DATABASE public WITH (mode = 'full', origin_column = 'src_table')"
        ),
    )
    .await;
    assert_eq!(state, "0A000", "{message}");
    assert_eq!(
        message,
        format!(
            "database {dotted} of source maria has a dot in its name, which a sync of several databases cannot tell from its tables'"
        )
    );
    maria.execute(&format!("DROP DATABASE `{dotted}`")).await;

    // refused as it is created: START would deploy exactly this SeaTunnel job
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE SYNC DATABASE st_cdc FROM maria DATABASES '{m}_s[0-9]' INCLUDING TABLES 'orders' \
             TO dw DATABASE public WITH (mode = 'cdc', engine = 'seatunnel', origin_column = 'src_table')"
        ),
    )
    .await;
    assert_eq!(state, "0A000", "{message}");
    assert_eq!(
        message,
        "SeaTunnel cannot write the tables merged into dw.public.orders: the statement adds or renames columns \
         (an origin column), which SeaTunnel's CDC sources cannot"
    );
    assert!(syncs().await.is_empty(), "the refused statements stored nothing");
    let pipelines = rows(&client, "SELECT count(*) FROM sluice.pipelines").await;
    assert_eq!(pipelines, [["0"]], "nor the pipeline a sync compiles into");
    drop_shards(maria, &shards).await;
}
