//! Real clients as users run them: psql, pgjdbc (Debian's driver), psycopg2, psycopg 3,
//! the SQLAlchemy inspector, asyncpg, node-postgres, pgcli, sqlx.

use std::process::{Command, Output};

use crate::common::fixtures::{Postgres, postgres_up};
use crate::common::sinks::sinks;
use crate::common::sources::pg_source;
use crate::common::{PASSWORD, TestServer, have_program, python, repo, require};

fn psql(server: &TestServer, args: &[&str]) -> Output {
    Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice", server.port))
        .args(["-X", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("run psql")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn psql_meta_commands_list_the_catalog() {
    if !require("psql", have_program("psql")) {
        return;
    }
    let server = TestServer::start();
    let databases = stdout(&psql(&server, &["-c", "\\l"]));
    assert!(databases.contains(" sluice "), "{databases}");
    let schemas = stdout(&psql(&server, &["-c", "\\dn"]));
    assert!(schemas.contains(" sluice "), "{schemas}");
    let tables = stdout(&psql(&server, &["-c", "\\dt sluice.*"]));
    for table in
        ["roles", "sources", "source_types", "pipelines", "deployments", "schedules", "runs", "events"]
    {
        assert!(tables.contains(&format!(" {table} ")), "{table} missing from\n{tables}");
    }
    let sources = stdout(&psql(&server, &["-c", "\\d sluice.sources"]));
    assert!(sources.contains("Table \"sluice.sources\""), "{sources}");
    assert!(sources.contains(" created_at ") && sources.contains("timestamp with time zone"), "{sources}");
    let roles = stdout(&psql(&server, &["-At", "-c", "SELECT name, superuser FROM sluice.roles"]));
    assert_eq!(roles.trim(), "sluice|t\nsluice_create_target|f");
    // \dp: the gateway's tables are readable by everyone (PUBLIC) and written by no one
    let dp = stdout(&psql(&server, &["-At", "-F", "|", "-c", "\\dp sluice.grants"]));
    assert_eq!(dp.trim(), "sluice|grants|table|sluice=r/sluice\n=r/sluice||");
    // \du: roles with their attributes and memberships
    stdout(&psql(&server, &["-c", "CREATE ROLE team; CREATE ROLE ana LOGIN; GRANT team TO ana"]));
    let du = stdout(&psql(&server, &["-At", "-F", "|", "-c", "\\du ana"]));
    assert_eq!(du.trim(), "ana||{team}");
}

/// What `\d+`, `\df` and `\dT` show: keys, the tables that refer to one, comments.
#[test]
fn psql_describes_keys_comments_functions_and_types() {
    if !require("psql", have_program("psql")) {
        return;
    }
    let server = TestServer::start();
    let sources = stdout(&psql(&server, &["-c", "\\d+ sluice.sources"]));
    let row = |column: &str| {
        sources
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{column} ")))
            .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
    };
    assert_eq!(
        row("name").map(|r| (r[1].to_owned(), r[3].to_owned(), r[r.len() - 1].to_owned())),
        Some((
            "text".into(),
            "not null".into(),
            "Source name, the catalog its tables are queried under".into()
        )),
        "{sources}"
    );
    assert_eq!(
        row("created_at").map(|r| r[r.len() - 1].to_owned()).as_deref(),
        Some("When it was created"),
        "{sources}"
    );
    let after_columns: Vec<&str> =
        sources.lines().skip_while(|l| !l.starts_with("Indexes:")).map(str::trim).collect();
    assert_eq!(
        after_columns.get(..4),
        Some(
            &[
                "Indexes:",
                "\"sources_pkey\" PRIMARY KEY, btree (name)",
                "Referenced by:",
                "TABLE \"sluice.tables\" CONSTRAINT \"tables_source_fkey\" FOREIGN KEY (source) REFERENCES sluice.sources(name)",
            ][..]
        ),
        "{sources}"
    );
    let columns = stdout(&psql(&server, &["-c", "\\d sluice.columns"]));
    assert!(
        columns.contains("\"columns_pkey\" PRIMARY KEY, btree (source, database, table_name, ordinal)")
            && columns.contains(
                "Foreign-key constraints:\n    \"columns_source_database_table_name_fkey\" FOREIGN KEY (source, database, \
                 table_name) REFERENCES sluice.tables(source, database, name)"
            ),
        "{columns}"
    );
    let comment = stdout(&psql(
        &server,
        &["-At", "-c", "SELECT obj_description('sluice.roles'::regclass, 'pg_class')"],
    ));
    assert_eq!(comment.trim(), "Roles that may connect to Sluice and own its objects");
    // no functions or types of its own: \df and \dT list none; the system's are there
    let functions = stdout(&psql(&server, &["-c", "\\df"]));
    assert!(functions.contains("List of functions") && functions.contains("(0 rows)"), "{functions}");
    let system = stdout(&psql(&server, &["-At", "-c", "\\dfS array_length"]));
    assert_eq!(system.trim(), "pg_catalog|array_length|integer|anyarray, integer|func", "{system}");
    let types = stdout(&psql(&server, &["-c", "\\dT"]));
    assert!(types.contains("List of data types") && types.contains("(0 rows)"), "{types}");
    let int4 = stdout(&psql(&server, &["-At", "-c", "\\dTS int4"]));
    assert_eq!(int4.trim(), "pg_catalog|integer|", "{int4}");
}

#[test]
fn psql_runs_a_script_and_stops_at_the_first_error() {
    if !require("psql", have_program("psql")) {
        return;
    }
    let server = TestServer::start();
    let script = repo().join("tests/scripts/tour.sql");
    let out = stdout(&psql(&server, &["-At", "-f", script.to_str().unwrap()]));
    assert!(out.contains("tour"), "{out}");
    assert!(out.contains("analyst|f|t"), "{out}");
    assert!(out.contains("role|rename|reporter"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("failing.sql");
    std::fs::write(&failing, "SELECT 1;\nSELECT * FROM sluice.missing;\nCREATE ROLE never_created;\n")
        .unwrap();
    let out = psql(&server, &["-f", failing.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("relation \"sluice.missing\" does not exist"), "{stderr}");
    let count = stdout(&psql(
        &server,
        &["-At", "-c", "SELECT count(*) FROM sluice.roles WHERE name = 'never_created'"],
    ));
    assert_eq!(count.trim(), "0", "ON_ERROR_STOP stopped the script");
}

#[tokio::test]
async fn pgjdbc_metadata_and_server_side_prepared_statements() {
    let jar = std::path::Path::new("/usr/share/java/postgresql.jar");
    if !require("java and Debian's libpostgresql-jdbc-java", have_program("java") && jar.exists())
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let server = TestServer::start();
    let pg = Postgres::create().await;
    let client = server.client().await;
    pg_source(&client, &pg, "pg").await;
    sinks(&client).await;
    let preview =
        format!("PREVIEW INSERT INTO out.console SELECT id, amount FROM pg.{}.orders WHERE id > ?", pg.name);
    let out = Command::new("java")
        .arg("-cp")
        .arg(jar)
        .arg(repo().join("tests/clients/JdbcCheck.java"))
        .arg(format!("jdbc:postgresql://127.0.0.1:{}/sluice", server.port))
        .arg("sluice")
        .arg(PASSWORD)
        .arg(&preview)
        .arg("16")
        .output()
        .expect("run java");
    let text = stdout(&out);
    assert!(text.contains("ok server-side prepare in use") && text.trim_end().ends_with("done"), "{text}");
    // what PREVIEW returned, as the source holds it
    let expected: Vec<String> = pg
        .text_rows(&format!(
            "SELECT id::text || '|' || amount::text FROM {}.orders WHERE id > 16 ORDER BY 1",
            pg.name
        ))
        .await
        .concat();
    assert!(
        text.contains(&format!("ok PREVIEW with a parameter, run 6: [{}]", expected.join(", "))),
        "{text}"
    );
    pg.drop().await;
}

#[test]
fn python_drivers_sqlalchemy_inspector_and_asyncpg() {
    let Some(python) = python() else {
        require(
            "the Python venv with psycopg2, psycopg, sqlalchemy and asyncpg (scripts/test.sh makes it)",
            false,
        );
        return;
    };
    let server = TestServer::start();
    let out = Command::new(python)
        .arg(repo().join("tests/clients/python_clients.py"))
        .args(["127.0.0.1", &server.port.to_string(), "sluice", PASSWORD])
        .output()
        .expect("run python");
    let text = stdout(&out);
    for check in [
        "psycopg2",
        "psycopg 3",
        "catalog types",
        "postgresql+psycopg2",
        "postgresql+psycopg)",
        "asyncpg",
        "asyncpg wrong password",
    ] {
        assert!(text.contains(check), "{check} missing in\n{text}");
    }
}

/// node-postgres (npm `pg`), installed by scripts/test-deps.sh.
#[test]
fn node_postgres_reads_numbers_and_numerics() {
    let script = repo().join("tests/clients/node/check.js");
    let installed = repo().join("tests/clients/node/node_modules/pg").exists();
    if !require(
        "node and node-postgres (scripts/test-deps.sh installs it)",
        have_program("node") && installed,
    ) {
        return;
    }
    let server = TestServer::start();
    let out = Command::new("node")
        .arg(&script)
        .args(["127.0.0.1", &server.port.to_string(), "sluice", PASSWORD])
        .output()
        .expect("run node");
    let text = stdout(&out);
    for check in
        ["SELECT 1 is the number 1", "numeric parameters keep their scale", "errors carry their SQLSTATE"]
    {
        assert!(text.contains(&format!("ok {check}")), "{check} missing in\n{text}");
    }
    assert!(text.trim_end().ends_with("done"), "{text}");
}

/// pgcli from PyPI starts against Sluice (its catalog queries at connect) and lists and
/// describes tables.
#[test]
fn pgcli_lists_and_describes_tables() {
    let pgcli = repo().join(".venv/bin/pgcli");
    if !require("pgcli in the venv (scripts/test-deps.sh installs it)", pgcli.exists()) {
        return;
    }
    let server = TestServer::start();
    let config = tempfile::tempdir().unwrap();
    let out = Command::new(&pgcli)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "sluice",
            "-d",
            "sluice",
            "--less-chatty",
        ])
        .args([
            "-c",
            "\\dt sluice.*",
            "-c",
            "SELECT name, superuser FROM sluice.roles",
            "-c",
            "\\d sluice.tables",
        ])
        .env("PGPASSWORD", PASSWORD)
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .output()
        .expect("run pgcli");
    let text = stdout(&out);
    fn cells(line: &str) -> Vec<&str> {
        line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect()
    }
    let rows: Vec<Vec<&str>> = text.lines().filter(|l| l.starts_with('|')).map(cells).collect();
    for table in ["roles", "sources", "pipelines", "deployments", "events"] {
        assert!(rows.contains(&vec!["sluice", table, "table", "sluice"]), "{table} missing in\n{text}");
    }
    assert!(rows.contains(&vec!["sluice", "True"]), "{text}");
    assert!(rows.contains(&vec!["refreshed_at", "timestamp with time zone", "not null"]), "{text}");
    assert!(text.contains("\"tables_pkey\" PRIMARY KEY, btree (source, database, name)"), "{text}");
}

#[tokio::test]
async fn sqlx_queries_with_parameters() {
    use sqlx::Row;
    let server = TestServer::start();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&server.url("sluice", PASSWORD))
        .await
        .unwrap();
    let row = sqlx::query("SELECT name, superuser FROM sluice.roles WHERE name = $1")
        .bind("sluice")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("name"), "sluice");
    assert!(row.get::<bool, _>("superuser"));
    let n: i64 = sqlx::query_scalar("SELECT $1::BIGINT * 3").bind(14_i64).fetch_one(&pool).await.unwrap();
    assert_eq!(n, 42);
    let err = sqlx::query("SELECT * FROM sluice.absent").fetch_all(&pool).await.unwrap_err();
    let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("42P01"));
}
