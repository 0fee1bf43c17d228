//! CREATE SYNC DATABASE against the machine's real MariaDB and PostgreSQL: a database of
//! 30 tables of varied types (a table without a primary key, reserved and mixed-case
//! names) synced with the local engine in full mode; every table arrives with the same
//! rows, excluded tables do not, and the created PostgreSQL types are the documented
//! mapping.

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::hocon;
use crate::common::k8s_schema::{crd_schema, validate};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{TestServer, require};

const ROWS: u32 = 20;

/// A column type of the generated tables: MariaDB type, value for row `seq`, and how each
/// side renders a value as text for comparison (`{c}` is the column).
struct Kind {
    mariadb: &'static str,
    value: &'static str,
    maria_text: &'static str,
    pg_text: &'static str,
    /// The PostgreSQL type the sync documents for it (`format_type`).
    pg_type: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        mariadb: "INT",
        value: "seq * 7",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "integer",
    },
    Kind {
        mariadb: "BIGINT UNSIGNED",
        value: "18446744073709551615 - seq",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "numeric(20,0)",
    },
    Kind {
        mariadb: "DECIMAL(38,10)",
        value: "seq * 12345.6789012345 - 99999",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "numeric(38,10)",
    },
    Kind {
        mariadb: "DATETIME(6)",
        value: "TIMESTAMP('2026-03-01 08:00:00.123456') + INTERVAL seq * 3601 SECOND",
        maria_text: "DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')",
        pg_text: "to_char({c}, 'YYYY-MM-DD HH24:MI:SS.US')",
        pg_type: "timestamp(6) without time zone",
    },
    Kind {
        mariadb: "DATE",
        value: "DATE('2026-01-01') + INTERVAL seq * 9 DAY",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "date",
    },
    Kind {
        mariadb: "JSON",
        value: "CONCAT('{\"n\": ', seq, '}')",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "jsonb",
    },
    Kind {
        mariadb: "ENUM('new','paid','späť')",
        value: "ELT(1 + seq % 3, 'new', 'paid', 'späť')",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "text",
    },
    Kind {
        mariadb: "BLOB",
        value: "UNHEX(MD5(seq))",
        maria_text: "LOWER(HEX({c}))",
        pg_text: "encode({c}, 'hex')",
        pg_type: "bytea",
    },
    Kind {
        mariadb: "TINYINT(1)",
        value: "seq % 2",
        maria_text: "CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN 't' ELSE 'f' END",
        pg_text: "CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN 't' ELSE 'f' END",
        pg_type: "boolean",
    },
    Kind {
        mariadb: "TEXT",
        value: "CONCAT('naïve ☃ «', seq, '» tab\\there')",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "text",
    },
    Kind {
        mariadb: "SMALLINT",
        value: "CAST(seq AS SIGNED) - 10",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "smallint",
    },
    Kind {
        mariadb: "VARCHAR(40)",
        value: "CONCAT('v', seq)",
        maria_text: "CAST({c} AS CHAR)",
        pg_text: "{c}::text",
        pg_type: "character varying(40)",
    },
];

/// A generated table: name, primary key column (if any) and its columns' kinds.
struct Table {
    name: String,
    key: bool,
    kinds: Vec<usize>,
}

fn tables() -> Vec<Table> {
    let mut out = vec![
        Table { name: "order".into(), key: true, kinds: vec![2, 3, 9] },
        Table { name: "UserEvents".into(), key: true, kinds: vec![1, 5, 6, 7, 8] },
        Table { name: "no_pk".into(), key: false, kinds: vec![0, 11] },
    ];
    for i in 0..25 {
        out.push(Table {
            name: format!("t{i:02}"),
            key: true,
            kinds: (0..3).map(|k| (i + k * 5) % KINDS.len()).collect(),
        });
    }
    out
}

/// The tables EXCLUDING TABLES leaves out.
const EXCLUDED: &[&str] = &["tmp_a", "tmp_b"];

fn column(k: usize) -> String {
    format!("c{k}_{}", KINDS[k].mariadb.split(['(', ' ']).next().unwrap_or("x").to_lowercase())
}

async fn create_source_tables(maria: &MariaDb, pg: &Postgres) {
    let db = &maria.name;
    // the fixtures' own tables are not part of this database
    maria.execute(&format!("DROP TABLE {db}.orders")).await;
    pg.execute(&format!("DROP TABLE {}.orders", pg.name)).await;
    for t in tables() {
        let mut columns = vec![if t.key { "id INT PRIMARY KEY".to_owned() } else { "id INT".to_owned() }];
        columns.extend(t.kinds.iter().map(|&k| format!("{} {}", column(k), KINDS[k].mariadb)));
        maria.execute(&format!("CREATE TABLE {db}.`{}` ({})", t.name, columns.join(", "))).await;
        let values: Vec<String> =
            t.kinds.iter().map(|&k| format!("IF(seq % 5 = 0, NULL, {})", KINDS[k].value)).collect();
        maria
            .execute(&format!(
                "INSERT INTO {db}.`{}` SELECT seq, {} FROM seq_1_to_{ROWS}",
                t.name,
                values.join(", ")
            ))
            .await;
    }
    for name in EXCLUDED {
        maria.execute(&format!("CREATE TABLE {db}.{name} (id INT PRIMARY KEY)")).await;
    }
}

/// Every row of table `t` on both sides, rendered the same way, in key order.
async fn both_sides(maria: &MariaDb, pg: &Postgres, t: &Table) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let maria_columns: Vec<String> = std::iter::once("CAST(id AS CHAR)".to_owned())
        .chain(t.kinds.iter().map(|&k| KINDS[k].maria_text.replace("{c}", &format!("`{}`", column(k)))))
        .collect();
    let pg_columns: Vec<String> = std::iter::once("\"id\"::text".to_owned())
        .chain(t.kinds.iter().map(|&k| KINDS[k].pg_text.replace("{c}", &format!("\"{}\"", column(k)))))
        .collect();
    let source = maria
        .text_rows(&format!(
            "SELECT {} FROM {}.`{}` ORDER BY id",
            maria_columns.join(", "),
            maria.name,
            t.name
        ))
        .await;
    let sink = pg
        .text_rows(&format!(
            "SELECT {} FROM {}.\"{}\" t ORDER BY t.id",
            pg_columns.join(", "),
            pg.name,
            t.name
        ))
        .await;
    (source, sink)
}

/// A checksum of rows (FNV-1a over every value, NULL distinct from 'NULL').
fn checksum(rows: &[Vec<String>]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for row in rows {
        for value in row {
            for b in value.bytes().chain([0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100000001b3);
            }
        }
        h ^= 0x0a;
    }
    h
}

async fn pg_sink(client: &Client) {
    client
        .batch_execute("CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_whole_mariadb_database_is_synced_into_postgres_table_for_table() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    create_source_tables(&maria, &pg).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;

    let create = format!(
        "CREATE SYNC DATABASE shop FROM maria DATABASE {} EXCLUDING TABLES 'tmp_.*' TO dw DATABASE {} \
         WITH (engine = 'local', mode = 'full', batch_size = 500)",
        maria.name, pg.name
    );
    client.batch_execute(&create).await.unwrap();
    let synced = tables();
    assert_eq!(synced.len() + EXCLUDED.len(), 30, "a database of 30 tables");

    // SHOW SYNCS, DESCRIBE SYNC (the mapping), EXPLAIN SYNC (the DDL), and its pipeline
    let shown = rows(&client, "SHOW SYNCS").await;
    assert_eq!(shown.len(), 1);
    assert_eq!((shown[0][0].as_str(), shown[0][7].as_str()), ("shop", "28"), "{shown:?}");
    let mapping = rows(&client, "DESCRIBE SYNC shop").await;
    let row =
        mapping.iter().find(|r| r[0] == "UserEvents" && r[2] == column(1)).expect("bigint unsigned column");
    assert_eq!((row[3].as_str(), row[4].as_str()), ("bigint(20) unsigned", "numeric(20,0)"), "{row:?}");
    let ddl = rows(&client, "EXPLAIN SYNC shop").await;
    let order = ddl.iter().find(|r| r[0] == "order").expect("order planned");
    assert!(
        order[3].starts_with(&format!("CREATE TABLE IF NOT EXISTS \"{}\".\"order\"", pg.name)),
        "{order:?}"
    );
    assert!(order[3].contains("PRIMARY KEY (\"id\")"), "{order:?}");
    assert!(ddl.iter().all(|r| !EXCLUDED.contains(&r[0].as_str())), "excluded tables are not planned");
    let pipelines = rows(&client, "SELECT name, engine, mode, target, options FROM sluice.pipelines").await;
    assert_eq!(pipelines[0][..4], ["shop", "flink", "batch", "local"]);
    assert!(pipelines[0][4].contains("\"batch_size\""), "passed on to the pipeline: {pipelines:?}");
    // its lineage: each table into the table of its name, each column into its own
    let lineage = rows(
        &client,
        "SELECT input_table, output_table, count(*) FROM sluice.lineage WHERE pipeline = 'shop' \
         AND input_column = output_column GROUP BY input_table, output_table ORDER BY input_table",
    );
    let copied: Vec<Vec<String>> = lineage.await;
    assert_eq!(copied.len(), synced.len(), "{copied:?}");
    let order = copied.iter().find(|r| r[0] == "order").expect("order's lineage");
    assert_eq!(order[1], "order");
    let order_columns =
        rows(&client, "SELECT count(*) FROM sluice.lineage WHERE input_table = 'order'").await;
    assert_eq!(order[2].parse::<i64>().ok().map(|n| n + 1), order_columns[0][0].parse().ok(), "{order:?}");
    let flink_sql = rows(&client, "EXPLAIN PIPELINE shop FORMAT flink_sql").await;
    let script = &flink_sql[0][1];
    assert_eq!(script.matches("INSERT INTO").count(), synced.len(), "{script}");
    assert!(script.contains("EXECUTE STATEMENT SET"), "{script}");
    let resources = rows(&client, "EXPLAIN PIPELINE shop FORMAT kubernetes").await;
    let (_, schema) = crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let file = resources.iter().find(|r| r[0].ends_with("-flinkdeployment.yaml")).expect("a FlinkDeployment");
    let deployment: serde_yaml::Value = serde_yaml::from_str(&file[1]).unwrap();
    assert_eq!(validate(&deployment, &schema), Vec::<String>::new());

    // SeaTunnel: one multi-table job, shaped like upstream's multi-table JDBC config
    let seatunnel = rows(&client, "EXPLAIN PIPELINE shop FORMAT seatunnel").await;
    let config = hocon::parse(&seatunnel[0][1]).unwrap_or_else(|e| panic!("{e}: {}", seatunnel[0][1]));
    let reference = hocon::parse(
        &std::fs::read_to_string(
            crate::common::repo()
                .join("tests/fixtures/seatunnel/jdbc_mysql_source_and_sink_with_multiple_tables.conf"),
        )
        .unwrap(),
    )
    .unwrap();
    let (source, reference_source) =
        (&config.get("source").unwrap().entries(), &reference.get("source").unwrap().entries());
    assert_eq!(source.len(), 1, "one source block for every table");
    assert_eq!(source[0].0.to_lowercase(), reference_source[0].0.to_lowercase());
    let Some(hocon::Value::List(list)) = source[0].1.get("table_list") else {
        panic!("table_list: {config:?}")
    };
    assert_eq!(list.len(), synced.len());
    let sinks = config.get("sink").unwrap().entries();
    assert_eq!(sinks.len(), 1, "one sink block");
    assert_eq!(
        sinks[0].1.get("table").and_then(|v| v.text()),
        Some(format!("{}.${{table_name}}", pg.name).as_str())
    );
    for key in ["database", "generate_sink_sql"] {
        assert!(
            reference.get("sink").unwrap().entries()[0].1.get(key).is_some() && sinks[0].1.get(key).is_some(),
            "{key}"
        );
    }

    // PREVIEW: one result set per table, nothing written
    let previews = client.simple_query("PREVIEW PIPELINE shop LIMIT 2").await.unwrap();
    let sets = previews
        .iter()
        .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(_)))
        .count();
    assert_eq!(sets, synced.len(), "a result set per sink table");

    // nothing exists on the sink before START
    let before =
        pg.text_rows(&format!("SELECT count(*)::text FROM pg_tables WHERE schemaname = '{}'", pg.name)).await;
    assert_eq!(before, [["0"]]);

    client.batch_execute("START PIPELINE shop").await.unwrap();
    let deployment =
        rows(&client, "SELECT state, rows_out FROM sluice.deployments WHERE pipeline = 'shop'").await;
    assert_eq!(deployment, [["finished".to_owned(), (ROWS as usize * synced.len()).to_string()]]);

    for t in &synced {
        let (source, sink) = both_sides(&maria, &pg, t).await;
        assert_eq!(sink.len(), ROWS as usize, "{}", t.name);
        assert_eq!(checksum(&sink), checksum(&source), "{}: {sink:?} vs {source:?}", t.name);
    }
    let created = pg
        .text_rows(&format!(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = '{}' ORDER BY 1",
            pg.name
        ))
        .await;
    assert_eq!(created.len(), synced.len());
    assert!(created.iter().all(|r| !EXCLUDED.contains(&r[0].as_str())), "{created:?}");

    // the documented types, NOT NULL keys, and primary keys where MariaDB has them
    for t in &synced {
        let types = pg
            .text_rows(&format!(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull::text \
                 FROM pg_attribute a WHERE a.attrelid = '{}.\"{}\"'::regclass AND a.attnum > 0 ORDER BY a.attnum",
                pg.name, t.name
            ))
            .await;
        let mut expected = vec![vec!["id".to_owned(), "integer".to_owned(), t.key.to_string()]];
        expected.extend(
            t.kinds.iter().map(|&k| vec![column(k), KINDS[k].pg_type.to_owned(), "false".to_owned()]),
        );
        assert_eq!(types, expected, "{}", t.name);
        let keys = pg
            .text_rows(&format!(
                "SELECT count(*)::text FROM pg_index WHERE indrelid = '{}.\"{}\"'::regclass AND indisprimary",
                pg.name, t.name
            ))
            .await;
        assert_eq!(keys, [[if t.key { "1" } else { "0" }]], "{}", t.name);
    }

    // a second START replaces the rows (full mode overwrites): still equal
    client.batch_execute("START PIPELINE shop").await.unwrap();
    let order = synced.iter().find(|t| t.name == "order").expect("order");
    let (source, sink) = both_sides(&maria, &pg, order).await;
    assert_eq!(checksum(&sink), checksum(&source));

    // the sync owns its pipeline
    let (state, message, _) = failure(&client, "DROP PIPELINE shop").await;
    assert_eq!(state, "2BP01", "{message}");
    client.batch_execute("DROP SYNC shop").await.unwrap();
    assert!(rows(&client, "SELECT name FROM sluice.pipelines").await.is_empty());
    assert!(rows(&client, "SELECT sync FROM sluice.sync_tables").await.is_empty());
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn sync_errors_name_the_object_and_store_nothing() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let db = &maria.name;
    maria.execute(&format!("CREATE TABLE {db}.places (id INT PRIMARY KEY, spot POINT)")).await;
    maria.execute(&format!("CREATE TABLE {db}.logs (line TEXT)")).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    let sync = |tail: &str| {
        format!(
            "CREATE SYNC DATABASE s FROM maria DATABASE {db} {tail} TO dw DATABASE {} WITH (mode = 'full')",
            pg.name
        )
    };

    let (state, message, _) = failure(&client, &sync("INCLUDING TABLES 'places'")).await;
    assert_eq!(state, "42804", "{message}");
    assert!(message.contains("places.spot") && message.contains("point"), "{message}");
    let (state, message, _) = failure(&client, &sync("INCLUDING TABLES 'nothing_.*'")).await;
    assert_eq!(state, "42P01", "{message}");
    let (state, message, _) = failure(
        &client,
        &format!("CREATE SYNC DATABASE s FROM maria DATABASE {db} INCLUDING TABLES 'logs' TO dw DATABASE {} WITH (mode = 'cdc', engine = 'flink')", pg.name),
    )
    .await;
    assert_eq!(state, "0A000", "a table without a key cannot stream changes: {message}");
    assert!(message.contains("logs"), "{message}");
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE SYNC DATABASE s FROM maria DATABASE {db} TO dw DATABASE {} WITH (table_prefx = 'x_')",
            pg.name
        ),
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    let (state, message, _) = failure(
        &client,
        &format!("CREATE SYNC DATABASE s FROM maria DATABASE nope TO dw DATABASE {}", pg.name),
    )
    .await;
    assert_eq!(state, "3D000", "{message}");
    let (state, _, _) =
        failure(&client, &format!("CREATE SYNC DATABASE s FROM maria DATABASE {db} TO dw")).await;
    assert_eq!(state, "42601", "a postgres sink needs DATABASE");
    assert!(rows(&client, "SHOW SYNCS").await.is_empty(), "no failed statement stored anything");
    assert!(rows(&client, "SHOW PIPELINES").await.is_empty());

    // skipping what cannot be mapped, with a NOTICE; an engine chosen when not given
    client
        .batch_execute(&sync("INCLUDING TABLES 'places' EXCLUDING TABLES 'logs'").replace(
            "WITH (mode = 'full')",
            "WITH (mode = 'full', unsupported_types = 'skip', table_prefix = 'ods_')",
        ))
        .await
        .unwrap();
    let mapping = rows(&client, "DESCRIBE SYNC s").await;
    assert_eq!(mapping.len(), 1, "only places.id: {mapping:?}");
    assert_eq!((mapping[0][1].as_str(), mapping[0][2].as_str()), ("ods_places", "id"));

    // a change-streaming sync compiles into a Flink CDC pipeline with its schema-change behaviour
    client
        .batch_execute(&format!(
            "CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = '127.0.0.1:9092'); \
             CREATE OR REPLACE SYNC DATABASE s FROM maria DATABASE {db} INCLUDING TABLES 'places' TO k \
             WITH (mode = 'cdc', unsupported_types = 'skip', schema_change = 'try_evolve')"
        ))
        .await
        .unwrap();
    let yaml = rows(&client, "EXPLAIN PIPELINE s FORMAT flink_cdc").await;
    let doc: serde_yaml::Value = serde_yaml::from_str(&yaml[0][1]).unwrap();
    assert_eq!(doc["pipeline"]["schema.change.behavior"].as_str(), Some("TRY_EVOLVE"), "{}", yaml[0][1]);
    assert_eq!(doc["source"]["scan.startup.mode"].as_str(), Some("latest-offset"), "cdc starts from now");
    assert_eq!(
        doc["sink"]["type"].as_str(),
        Some("kafka"),
        "flink-cdc chosen for a streaming sync into Kafka"
    );
    assert_eq!(doc["route"][0]["sink-table"].as_str(), Some("places"));
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE SYNC DATABASE s2 FROM maria DATABASE {db} TO dw DATABASE {} WITH (engine = 'flink-cdc')",
            pg.name
        ),
    )
    .await;
    assert_eq!(state, "0A000", "Flink CDC has no PostgreSQL sink: {message}");
    let versions = rows(&client, "SELECT version FROM sluice.pipeline_versions WHERE pipeline = 's'").await;
    assert_eq!(versions.len(), 2, "OR REPLACE gave the sync's pipeline a new version");
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn every_refused_sync_statement_has_its_sqlstate() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (db, sink_db) = (maria.name.clone(), pg.name.clone());
    maria.execute(&format!("CREATE TABLE {db}.logs (line TEXT)")).await;
    pg.execute(&format!("DROP TABLE {sink_db}.orders")).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    client
        .batch_execute(
            "CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = '127.0.0.1:9092');
             CREATE SOURCE out TYPE print;
             CREATE SOURCE gen TYPE datagen; CREATE TABLE gen.seq (id BIGINT);
             CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.ids (id BIGINT);
             CREATE PIPELINE taken AS INSERT INTO hole.ids SELECT id FROM gen.seq;",
        )
        .await
        .unwrap();
    let to_pg = |with: &str| {
        format!(
            "CREATE SYNC DATABASE s FROM maria DATABASE {db} INCLUDING TABLES 'orders' TO dw DATABASE {sink_db} WITH ({with})"
        )
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (to_pg("engine = 'local', mode = 'cdc'"), "0A000", "local engine"),
        (to_pg("engine = 'local', mode = 'full', target = 'elsewhere'"), "22023", "elsewhere"),
        // a schema-change behaviour the engine cannot honour is refused, never ignored (a
        // full sync's START applies every one itself: tests/it/sync_evolve.rs)
        (to_pg("mode = 'full+cdc', schema_change = 'exception'"), "0A000", "engine flink cannot honour"),
        (to_pg("engine = 'seatunnel', schema_change = 'try_evolve'"), "0A000", "engine seatunnel"),
        (to_pg("schema_change = 'sometimes'"), "22023", "schema_change"),
        (
            format!(
                "CREATE SYNC DATABASE s FROM maria DATABASE {db} TO k WITH (engine = 'flink-cdc', mode = 'full')"
            ),
            "0A000",
            "mode full",
        ),
        (format!("CREATE SYNC DATABASE s FROM k DATABASE x TO dw DATABASE {sink_db}"), "42809", "kafka"),
        (format!("CREATE SYNC DATABASE s FROM maria DATABASE {db} TO out"), "42809", "print"),
        (
            format!("CREATE SYNC DATABASE s FROM maria DATABASE {db} TO k DATABASE x"),
            "42601",
            "leave out DATABASE",
        ),
        (
            format!(
                "CREATE SYNC DATABASE s FROM maria DATABASE {db} INCLUDING TABLES '(' TO dw DATABASE {sink_db}"
            ),
            "22023",
            "INCLUDING TABLES",
        ),
        (to_pg("table_mapping = 'orders-x'"), "22023", "table_mapping"),
        (to_pg("route_pattern = 'o(.*)'"), "22023", "route_replacement"),
        (to_pg("route_pattern = '(', route_replacement = 'x'"), "22023", "route_pattern"),
        (
            format!(
                "CREATE SYNC DATABASE s FROM maria DATABASE {db} TO dw DATABASE {sink_db} \
                 WITH (mode = 'full', table_mapping = 'logs:orders')"
            ),
            // two tables named alike merge; these cannot, their keys differ
            "42P17",
            "logs (no primary key) and orders (primary key (id)) merge into sink table orders",
        ),
        (
            format!(
                "CREATE SYNC DATABASE taken FROM maria DATABASE {db} INCLUDING TABLES 'orders' TO dw DATABASE {sink_db} WITH (mode = 'full')"
            ),
            "42710",
            "pipeline \"taken\"",
        ),
        ("DROP SYNC nope".to_owned(), "42704", "nope"),
        ("DESCRIBE SYNC nope".to_owned(), "42704", "nope"),
        ("EXPLAIN SYNC nope".to_owned(), "42704", "nope"),
    ];
    for (sql, state, needle) in &cases {
        let (got, message, _) = failure(&client, sql).await;
        assert_eq!(got, *state, "{sql}: {message}");
        assert!(message.contains(needle), "{sql}: {message}");
    }
    assert!(rows(&client, "SHOW SYNCS").await.is_empty(), "no failed statement stored anything");
    assert_eq!(rows(&client, "SELECT name FROM sluice.pipelines").await, [["taken"]]);

    // a sync exists once; its pipeline is changed through the sync only ('ignore' is what
    // the local engine does)
    client.batch_execute(&to_pg("mode = 'full', engine = 'local', schema_change = 'ignore'")).await.unwrap();
    let (state, message, _) = failure(&client, &to_pg("mode = 'full'")).await;
    assert_eq!(state, "42710", "{message}");
    client
        .batch_execute(&to_pg("mode = 'full'").replace("SYNC DATABASE s", "SYNC DATABASE IF NOT EXISTS s"))
        .await
        .unwrap();
    let (state, message, _) = failure(
        &client,
        &format!(
            "CREATE OR REPLACE PIPELINE s AS INSERT INTO dw.{sink_db}.orders SELECT * FROM maria.{db}.orders"
        ),
    )
    .await;
    assert_eq!(state, "2BP01", "{message}");
    assert!(message.contains("sync s"), "{message}");
    maria.drop().await;
    pg.drop().await;
}
