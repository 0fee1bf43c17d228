//! Real clients as users run them: psql, pgjdbc (Debian's driver), psycopg2, psycopg 3,
//! the SQLAlchemy inspector, asyncpg, sqlx.

use std::process::{Command, Output};

use crate::common::{PASSWORD, TestServer, have_program, repo, require};
use crate::fixtures::{Postgres, postgres_up};
use crate::pipelines::sinks;
use crate::sources::pg_source;

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
    assert_eq!(roles.trim(), "sluice|t");
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

/// The Python interpreter of the venv `scripts/test.sh` prepares (or SLUICE_TEST_PYTHON).
pub fn python() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("SLUICE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    path.exists().then_some(path)
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
