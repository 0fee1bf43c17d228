//! PostgreSQL through sqlx: connectivity checks and `information_schema`. The source's
//! "databases" are the schemas of its `database`.

use std::time::Instant;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{Connection, Row};

use crate::connectors::definition::TableDefinition;
use crate::connectors::live::types::{SourceColumn, postgres_type};
use crate::connectors::live::{Check, Column, Endpoint, Table, tcp};

const SYSTEM: &str = "schema_name NOT IN ('pg_catalog', 'information_schema') AND schema_name NOT LIKE 'pg\\_toast%' AND schema_name NOT LIKE 'pg\\_temp%'";

fn options(endpoint: &Endpoint<'_>) -> PgConnectOptions {
    let mut options = PgConnectOptions::new()
        .host(endpoint.text("host").unwrap_or("localhost"))
        .port(endpoint.text("port").and_then(|p| p.parse().ok()).unwrap_or(5432))
        .username(endpoint.text("username").unwrap_or_default())
        .database(endpoint.text("database").unwrap_or("postgres"))
        .application_name("sluice")
        .ssl_mode(match endpoint.text("ssl_mode").unwrap_or("prefer") {
            "disable" => PgSslMode::Disable,
            "allow" => PgSslMode::Allow,
            "require" => PgSslMode::Require,
            "verify-ca" => PgSslMode::VerifyCa,
            "verify-full" => PgSslMode::VerifyFull,
            _ => PgSslMode::Prefer,
        });
    if let Some(password) = endpoint.secret_text("password") {
        options = options.password(&password);
    }
    options
}

/// Connects within the source's timeout.
pub async fn connect(endpoint: &Endpoint<'_>) -> Result<PgConnection, String> {
    let timeout = endpoint.timeout();
    match tokio::time::timeout(timeout, PgConnection::connect_with(&options(endpoint))).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {} ms", timeout.as_millis())),
    }
}

pub async fn test(endpoint: &Endpoint<'_>) -> Vec<Check> {
    let host = endpoint.text("host").unwrap_or("localhost");
    let port = endpoint.text("port").and_then(|p| p.parse().ok()).unwrap_or(5432);
    let mut checks = vec![tcp(host, port, endpoint.timeout()).await];
    if !checks[0].ok {
        return checks;
    }
    let started = Instant::now();
    let mut conn = match connect(endpoint).await {
        Ok(conn) => {
            checks.push(Check::timed(
                "authentication",
                started,
                Ok(format!("logged in as {}", endpoint.text("username").unwrap_or_default())),
            ));
            conn
        }
        Err(e) => {
            checks.push(Check::timed("authentication", started, Err(e)));
            return checks;
        }
    };
    let started = Instant::now();
    let ssl = sqlx::query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_optional(&mut conn)
        .await
        .map_err(|e| e.to_string())
        .map(|row| match row {
            Some(r) => (
                r.try_get::<bool, _>("ssl").unwrap_or(false),
                r.try_get::<Option<String>, _>("version").unwrap_or(None),
            ),
            None => (false, None),
        });
    let required = matches!(endpoint.text("ssl_mode"), Some("require" | "verify-ca" | "verify-full"));
    let tls = match ssl {
        Ok((true, version)) => Ok(format!("TLS in use ({})", version.unwrap_or_default())),
        Ok((false, _)) if required => Err("TLS is required but not in use".to_owned()),
        Ok((false, _)) => {
            Ok(format!("not in use (ssl_mode = {})", endpoint.text("ssl_mode").unwrap_or("prefer")))
        }
        Err(e) => Err(e),
    };
    checks.push(Check::timed("tls", started, tls));
    let started = Instant::now();
    let version = sqlx::query("SELECT version() AS v")
        .fetch_one(&mut conn)
        .await
        .and_then(|r| r.try_get::<String, _>("v"))
        .map_err(|e| e.to_string());
    checks.push(Check::timed("version", started, version));
    let started = Instant::now();
    let sql = format!(
        "SELECT COUNT(DISTINCT table_schema) AS schemas, COUNT(*) AS tables FROM information_schema.tables \
         WHERE {}",
        SYSTEM.replace("schema_name", "table_schema")
    );
    let privileges = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut conn)
        .await
        .and_then(|r| Ok((r.try_get::<i64, _>("schemas")?, r.try_get::<i64, _>("tables")?)))
        .map(|(schemas, tables)| format!("can see {tables} tables in {schemas} schemas"))
        .map_err(|e| e.to_string());
    checks.push(Check::timed("privileges", started, privileges));
    let _ = conn.close().await;
    checks
}

/// The schemas of the source's database.
pub async fn databases(endpoint: &Endpoint<'_>) -> Result<Vec<String>, String> {
    let mut conn = connect(endpoint).await?;
    let sql = format!(
        "SELECT schema_name::text AS name FROM information_schema.schemata WHERE {SYSTEM} ORDER BY 1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    rows.iter().map(|r| r.try_get("name").map_err(|e| e.to_string())).collect()
}

/// The tables of schema `schema` with their columns (of one table when `table` is given).
pub async fn tables(
    endpoint: &Endpoint<'_>,
    schema: &str,
    table: Option<&str>,
) -> Result<Vec<Table>, String> {
    let mut conn = connect(endpoint).await?;
    let e = |e: sqlx::Error| e.to_string();
    let mut tables: Vec<Table> = sqlx::query(
        "SELECT table_name::text AS name, table_type::text AS kind, \
         obj_description(format('%I.%I', table_schema, table_name)::regclass, 'pg_class') AS comment \
         FROM information_schema.tables WHERE table_schema = $1 AND ($2::text IS NULL OR table_name = $2) ORDER BY table_name",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(&mut conn)
    .await
    .map_err(e)?
    .iter()
    .map(|r| {
        Ok(Table {
            database: schema.to_owned(),
            name: r.try_get("name")?,
            table_type: r.try_get("kind")?,
            columns: Vec::new(),
            definition: TableDefinition { comment: r.try_get("comment")?, ..Default::default() },
        })
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(e)?;
    let keys: Vec<(String, String)> = sqlx::query(
        // pg_catalog, not information_schema: the latter hides constraints from users
        // that only have SELECT on a table.
        "SELECT c.relname::text AS t, a.attname::text AS c FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) \
         WHERE i.indisprimary AND n.nspname = $1",
    )
    .bind(schema)
    .fetch_all(&mut conn)
    .await
    .map_err(e)?
    .iter()
    .filter_map(|r| Some((r.try_get("t").ok()?, r.try_get("c").ok()?)))
    .collect();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS name, data_type::text AS data_type, udt_name::text AS udt, \
         is_nullable::text AS nullable, character_maximum_length::bigint AS len, numeric_precision::bigint AS prec, \
         numeric_scale::bigint AS scale, datetime_precision::bigint AS dtp, \
         col_description(format('%I.%I', table_schema, table_name)::regclass, ordinal_position::int) AS comment \
         FROM information_schema.columns WHERE table_schema = $1 AND ($2::text IS NULL OR table_name = $2) \
         ORDER BY table_name, ordinal_position",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(&mut conn)
    .await
    .map_err(e)?;
    let _ = conn.close().await;
    let index: std::collections::HashMap<String, usize> =
        tables.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    for row in rows {
        let table_name: String = row.try_get("t").map_err(e)?;
        let name: String = row.try_get("name").map_err(e)?;
        let source = SourceColumn {
            data_type: row.try_get("data_type").map_err(e)?,
            column_type: String::new(),
            char_length: row.try_get("len").map_err(e)?,
            precision: row.try_get("prec").map_err(e)?,
            scale: row.try_get("scale").map_err(e)?,
            datetime_precision: row.try_get("dtp").map_err(e)?,
        };
        let udt: String = row.try_get("udt").map_err(e)?;
        if let (Some(comment), Some(&i)) =
            (row.try_get::<Option<String>, _>("comment").map_err(e)?, index.get(&table_name))
        {
            tables[i].definition.column_comments.insert(name.clone(), comment);
        }
        let column = Column {
            data_type: postgres_type(&source),
            source_type: source_type_name(&source, &udt),
            nullable: row.try_get::<String, _>("nullable").map_err(e)? == "YES",
            is_key: keys.iter().any(|(t, c)| *t == table_name && *c == name),
            name,
        };
        if let Some(&i) = index.get(&table_name) {
            tables[i].columns.push(column);
        }
    }
    Ok(tables)
}

/// PostgreSQL's own spelling of a column's type (`numeric(10,2)`, `varchar(64)`, `jsonb`).
fn source_type_name(c: &SourceColumn, udt: &str) -> String {
    match (udt, c.char_length, c.precision, c.scale) {
        ("varchar" | "bpchar", Some(n), _, _) => format!("{udt}({n})"),
        ("numeric", _, Some(p), Some(s)) => format!("numeric({p},{s})"),
        _ => udt.to_owned(),
    }
}
