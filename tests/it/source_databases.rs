//! Every source as a PostgreSQL database: a client connecting to database `<source>`
//! browses the source's databases (MySQL) or schemas (PostgreSQL) as schemas — psql's
//! `\l`, `\dn`, `\dt`, `\d`, SQLAlchemy's inspector, `information_schema` — and reads its
//! tables by unqualified or two-part names. Connecting needs SELECT on the source.

use std::process::{Command, Output};

use tokio_postgres::{Client, NoTls};

use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::sources::{maria_source, pg_source, text_rows};
use crate::common::{PASSWORD, TestServer, have_program, message, python, repo, require, sqlstate};

fn conn_str(server: &TestServer, user: &str, password: &str, database: &str) -> String {
    format!("host=127.0.0.1 port={} user={user} password='{password}' dbname={database}", server.port)
}

async fn connect(
    server: &TestServer,
    user: &str,
    password: &str,
    database: &str,
) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) =
        tokio_postgres::connect(&conn_str(server, user, password, database), NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// psql connected to `database`, `-A -t` unless `aligned`.
fn psql(server: &TestServer, database: &str, command: &str, aligned: bool) -> String {
    let mut cmd = Command::new("psql");
    cmd.arg(format!("host=127.0.0.1 port={} user=sluice dbname={database}", server.port))
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-c", command])
        .env("PGPASSWORD", PASSWORD);
    if !aligned {
        cmd.args(["-A", "-t"]);
    }
    let out: Output = cmd.output().expect("run psql");
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// A MariaDB source `shop` over the fixture database, with a second table keyed on two
/// columns.
async fn shop() -> Option<(MariaDb, TestServer, Client)> {
    if !require("MariaDB on 127.0.0.1:3306", mariadb_up().await) {
        return None;
    }
    let maria = MariaDb::create().await;
    maria
        .execute(&format!(
            "CREATE TABLE {}.lines (order_id INT NOT NULL, line INT NOT NULL, sku VARCHAR(20) COMMENT 'stock keeping unit', \
             PRIMARY KEY (order_id, line)) COMMENT 'what each order holds'",
            maria.name
        ))
        .await;
    maria
        .execute(&format!(
            "INSERT INTO {}.lines VALUES (1, 1, 'a-1'), (1, 2, 'b-2'), (2, 1, 'c-3')",
            maria.name
        ))
        .await;
    let server = TestServer::start();
    let admin = server.client().await;
    maria_source(&admin, &maria, "shop").await;
    Some((maria, server, admin))
}

#[tokio::test]
async fn psql_browses_a_mariadb_source_as_a_database_and_reads_it_by_short_names() {
    let Some((maria, server, admin)) = shop().await else { return };
    if !require("psql", have_program("psql")) {
        return;
    }
    let db = &maria.name;
    // \l: the gateway's database and the source (read live); its owner is the source's
    admin
        .batch_execute("CREATE SOURCE events TYPE kafka WITH (bootstrap_servers = '127.0.0.1:9')")
        .await
        .unwrap();
    let databases: Vec<String> = lines(&psql(&server, "shop", "\\l", false))
        .iter()
        .map(|l| l.split('|').take(2).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(databases, ["shop|sluice", "sluice|sluice"]);
    // the source's databases as schemas, its tables as tables, with their keys
    assert_eq!(lines(&psql(&server, "shop", "\\dn", false)), [format!("{db}|sluice")]);
    assert_eq!(
        lines(&psql(&server, "shop", "\\dt", false)),
        [format!("{db}|lines|table|sluice"), format!("{db}|orders|table|sluice")]
    );
    let described = psql(&server, "shop", "\\d lines", true);
    assert!(described.contains(&format!("Table \"{db}.lines\"")), "{described}");
    assert!(described.contains("\"lines_pkey\" PRIMARY KEY, btree (order_id, line)"), "{described}");
    let columns = lines(&psql(&server, "shop", "\\d lines", false));
    assert_eq!(
        columns,
        ["order_id|integer||not null|", "line|integer||not null|", "sku|character varying(20)|||"]
    );
    let described = psql(&server, "shop", &format!("\\d {db}.orders"), true);
    assert!(described.contains("\"orders_pkey\" PRIMARY KEY, btree (id)"), "{described}");
    // types with their modifiers, as the source declares them
    let columns = lines(&psql(&server, "shop", &format!("\\d {db}.orders"), false));
    let types: Vec<&str> = columns.iter().filter_map(|l| l.split('|').nth(1)).collect();
    assert_eq!(
        &types[..4],
        ["integer", "numeric(20,0)", "numeric(10,2)", "character varying(64)"],
        "{columns:?}"
    );
    assert_eq!(types[6], "timestamp(3) without time zone", "{columns:?}");
    // the comments the source keeps, as descriptions
    let listed = lines(&psql(&server, "shop", "\\dt+ lines", false));
    assert!(listed.len() == 1 && listed[0].ends_with("|what each order holds"), "{listed:?}");
    let described = lines(&psql(&server, "shop", "\\d+ lines", false));
    let descriptions: Vec<&str> = described.iter().filter_map(|l| l.rsplit('|').next()).take(3).collect();
    assert_eq!(descriptions, ["", "", "stock keeping unit"], "{described:?}");

    // unqualified and two-part names resolve inside the source
    let client = connect(&server, "sluice", PASSWORD, "shop").await.unwrap();
    assert_eq!(
        text_rows(&client, "SELECT current_database(), current_schema()").await,
        [["shop".to_owned(), db.clone()]]
    );
    let sql = "SELECT id, amount, name FROM orders WHERE id <= 3 ORDER BY id";
    let direct = format!(
        "SELECT CAST(id AS CHAR), CAST(amount AS CHAR), name FROM {db}.orders WHERE id <= 3 ORDER BY id"
    );
    assert_eq!(text_rows(&client, sql).await, maria.text_rows(&direct).await);
    let from = format!("FROM {db}.lines l JOIN {db}.orders o ON o.id = l.order_id ORDER BY 1, 2");
    let sql = format!("SELECT l.order_id, l.line, l.sku, o.name {from}");
    let direct = format!("SELECT CAST(l.order_id AS CHAR), CAST(l.line AS CHAR), l.sku, o.name {from}");
    assert_eq!(text_rows(&client, &sql).await, maria.text_rows(&direct).await);
    // a prepared statement too, and information_schema of the source's tables
    let rows = client
        .query(&format!("SELECT sku FROM {db}.lines WHERE order_id = $1 ORDER BY line"), &[&1i32])
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(), ["a-1", "b-2"]);
    let columns = text_rows(
        &client,
        "SELECT table_name, column_name, ordinal_position, is_nullable FROM information_schema.columns \
         WHERE table_name = 'lines' ORDER BY ordinal_position",
    )
    .await;
    assert_eq!(
        columns,
        [["lines", "order_id", "1", "NO"], ["lines", "line", "2", "NO"], ["lines", "sku", "3", "YES"]]
            .map(|r| r.map(str::to_owned).to_vec())
    );
    // the gateway's own database is one name away
    let gateway = text_rows(&client, "SELECT name FROM sluice.sluice.sources ORDER BY name").await;
    assert_eq!(gateway, [["events"], ["shop"]].map(|r| r.map(str::to_owned).to_vec()));
    maria.drop().await;
}

#[tokio::test]
async fn connecting_to_a_source_database_needs_it_to_exist_be_read_live_and_select_on_it() {
    let Some((maria, server, admin)) = shop().await else { return };
    let err = connect(&server, "sluice", PASSWORD, "nowhere").await.expect_err("connected to nowhere");
    assert_eq!(sqlstate(&err), "3D000");
    assert!(message(&err).contains("database \"nowhere\" does not exist"), "{}", message(&err));
    admin
        .batch_execute("CREATE SOURCE events TYPE kafka WITH (bootstrap_servers = '127.0.0.1:9')")
        .await
        .unwrap();
    let err = connect(&server, "sluice", PASSWORD, "events").await.expect_err("connected to a kafka source");
    assert_eq!(sqlstate(&err), "3D000");
    assert!(message(&err).contains("of type kafka, which is not read live"), "{}", message(&err));

    admin.batch_execute("CREATE ROLE bob LOGIN PASSWORD 'b0b'").await.unwrap();
    let err = connect(&server, "bob", "b0b", "shop").await.expect_err("bob connected without SELECT");
    assert_eq!(sqlstate(&err), "42501");
    assert!(message(&err).contains("permission denied for database \"shop\""), "{}", message(&err));
    // the refusal changed nothing: bob still reaches the gateway's database
    let bob = connect(&server, "bob", "b0b", "sluice").await.unwrap();
    assert_eq!(
        text_rows(
            &bob,
            "SELECT has_database_privilege('shop', 'CONNECT'), has_database_privilege('sluice', 'CONNECT')"
        )
        .await,
        [["f", "t"]]
    );

    admin.batch_execute("GRANT SELECT ON SOURCE shop TO bob").await.unwrap();
    let bob = connect(&server, "bob", "b0b", "shop").await.unwrap();
    let db = &maria.name;
    assert_eq!(text_rows(&bob, &format!("SELECT count(*) FROM {db}.orders")).await, [["20"]]);
    assert_eq!(
        text_rows(
            &bob,
            &format!(
                "SELECT has_schema_privilege('{db}', 'USAGE'), has_table_privilege('{db}.orders', 'SELECT'), \
                 has_table_privilege('orders', 'INSERT'), has_database_privilege('shop', 'CONNECT')"
            )
        )
        .await,
        [["t", "t", "f", "t"]]
    );
    // REVOKE: reading stops at once for the session already connected
    admin.batch_execute("REVOKE SELECT ON SOURCE shop FROM bob").await.unwrap();
    let err = bob.simple_query(&format!("SELECT count(*) FROM {db}.orders")).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    maria.drop().await;
}

#[tokio::test]
async fn a_postgresql_source_is_browsed_with_its_schemas_and_keys() {
    if !require("PostgreSQL on 127.0.0.1:5432", postgres_up().await) || !require("psql", have_program("psql"))
    {
        return;
    }
    let pg = Postgres::create().await;
    let schema = &pg.name;
    pg.execute(&format!("COMMENT ON TABLE {schema}.orders IS 'one row per order'")).await;
    pg.execute(&format!("COMMENT ON COLUMN {schema}.orders.amount IS 'in euros'")).await;
    let server = TestServer::start();
    let admin = server.client().await;
    pg_source(&admin, &pg, "warehouse").await;
    let schemas = lines(&psql(&server, "warehouse", "\\dn", false));
    assert!(schemas.contains(&format!("{schema}|sluice")), "{schemas:?}");
    let tables = lines(&psql(&server, "warehouse", &format!("\\dt {schema}.*"), false));
    assert_eq!(tables, [format!("{schema}|orders|table|sluice")]);
    let described = psql(&server, "warehouse", &format!("\\d {schema}.orders"), true);
    assert!(described.contains("\"orders_pkey\" PRIMARY KEY, btree (id)"), "{described}");
    let client = connect(&server, "sluice", PASSWORD, "warehouse").await.unwrap();
    let comments = format!(
        "SELECT obj_description('{schema}.orders'::regclass, 'pg_class'), \
         col_description('{schema}.orders'::regclass, 1), col_description('{schema}.orders'::regclass, 2)"
    );
    assert_eq!(text_rows(&client, &comments).await, pg.text_rows(&comments).await);
    assert_eq!(pg.text_rows(&comments).await[0][2], "in euros");
    let sql = format!("SELECT id, amount, name FROM {schema}.orders WHERE id BETWEEN 5 AND 7 ORDER BY id");
    let direct = format!(
        "SELECT id::text, amount::text, name FROM {schema}.orders WHERE id BETWEEN 5 AND 7 ORDER BY id"
    );
    assert_eq!(text_rows(&client, &sql).await, pg.text_rows(&direct).await);
    pg.drop().await;
}

#[tokio::test]
async fn sqlalchemy_inspects_a_mariadb_source_database() {
    let Some(python) = python() else {
        require("the Python venv with SQLAlchemy (scripts/test.sh makes it)", false);
        return;
    };
    let Some((maria, server, _admin)) = shop().await else { return };
    let out = Command::new(python)
        .arg(repo().join("tests/clients/source_database.py"))
        .args(["127.0.0.1", &server.port.to_string(), "sluice", PASSWORD, "shop", &maria.name])
        .output()
        .expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let db = maria.name.as_str();
    assert_eq!(seen["schemas"], serde_json::json!([db]));
    assert_eq!(seen["tables"], serde_json::json!(["lines", "orders"]));
    assert_eq!(
        seen["columns"],
        serde_json::json!([
            ["order_id", "INTEGER", false],
            ["line", "INTEGER", false],
            ["sku", "VARCHAR(20)", true]
        ])
    );
    assert_eq!(
        seen["primary_key"],
        serde_json::json!({"name": "lines_pkey", "columns": ["order_id", "line"]})
    );
    assert_eq!(seen["rows"], serde_json::json!([[1, 1, "a-1"], [1, 2, "b-2"], [2, 1, "c-3"]]));
    maria.drop().await;
}
