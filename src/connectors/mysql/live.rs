//! MySQL and MariaDB through sqlx: connectivity checks and `information_schema`.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::{Connection, Row};

use crate::connectors::definition::TableDefinition;
use crate::connectors::live::types::{SourceColumn, mysql_type};
use crate::connectors::live::{Check, Column, Endpoint, Table, tcp};

/// Schemas that belong to the server, not to users.
const SYSTEM: &str = "('information_schema', 'mysql', 'performance_schema', 'sys')";

fn options(endpoint: &Endpoint<'_>) -> MySqlConnectOptions {
    let mut options = MySqlConnectOptions::new()
        .host(endpoint.text("host").unwrap_or("localhost"))
        .port(endpoint.text("port").and_then(|p| p.parse().ok()).unwrap_or(3306))
        .username(endpoint.text("username").unwrap_or_default())
        .ssl_mode(match endpoint.text("ssl_mode").unwrap_or("preferred") {
            "disabled" => MySqlSslMode::Disabled,
            "required" => MySqlSslMode::Required,
            "verify_ca" => MySqlSslMode::VerifyCa,
            "verify_identity" => MySqlSslMode::VerifyIdentity,
            _ => MySqlSslMode::Preferred,
        });
    if let Some(ca) = endpoint.text("ssl_ca") {
        options = options.ssl_ca(ca);
    }
    if let Some(password) = endpoint.secret_text("password") {
        options = options.password(&password);
    }
    if let Some(database) = endpoint.text("database") {
        options = options.database(database);
    }
    options
}

/// Connects within the source's timeout.
pub async fn connect(endpoint: &Endpoint<'_>) -> Result<MySqlConnection, String> {
    connect_with(endpoint, &options(endpoint)).await
}

async fn connect_with(
    endpoint: &Endpoint<'_>,
    options: &MySqlConnectOptions,
) -> Result<MySqlConnection, String> {
    let timeout = endpoint.timeout();
    match tokio::time::timeout(timeout, MySqlConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no connection within {} ms", timeout.as_millis())),
    }
}

pub async fn test(endpoint: &Endpoint<'_>) -> Vec<Check> {
    let host = endpoint.text("host").unwrap_or("localhost");
    let port = endpoint.text("port").and_then(|p| p.parse().ok()).unwrap_or(3306);
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
    let cipher: Result<Option<String>, String> = sqlx::query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .fetch_optional(&mut conn)
        .await
        .map_err(|e| e.to_string())
        .and_then(|row| row.map(|r| r.try_get::<String, _>(1).map_err(|e| e.to_string())).transpose());
    let required = matches!(endpoint.text("ssl_mode"), Some("required" | "verify_ca" | "verify_identity"));
    let tls = match cipher {
        Ok(Some(c)) if !c.is_empty() => Ok(format!("TLS in use ({c})")),
        Ok(_) if required => Err("TLS is required but not in use".to_owned()),
        Ok(_) => Ok(format!("not in use (ssl_mode = {})", endpoint.text("ssl_mode").unwrap_or("preferred"))),
        Err(e) => Err(e),
    };
    checks.push(Check::timed("tls", started, tls));
    let started = Instant::now();
    let version = sqlx::query("SELECT VERSION() AS v")
        .fetch_one(&mut conn)
        .await
        .and_then(|r| r.try_get::<String, _>("v"))
        .map_err(|e| e.to_string());
    checks.push(Check::timed("version", started, version));
    let started = Instant::now();
    let sql = format!(
        "SELECT COUNT(DISTINCT table_schema) AS dbs, COUNT(*) AS tables FROM information_schema.tables \
         WHERE table_schema NOT IN {SYSTEM}"
    );
    let privileges = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut conn)
        .await
        .and_then(|r| Ok((r.try_get::<i64, _>("dbs")?, r.try_get::<i64, _>("tables")?)))
        .map(|(dbs, tables)| format!("can see {tables} tables in {dbs} databases"))
        .map_err(|e| e.to_string());
    checks.push(Check::timed("privileges", started, privileges));
    let _ = conn.close().await;
    checks
}

/// The user databases of the server.
pub async fn databases(endpoint: &Endpoint<'_>) -> Result<Vec<String>, String> {
    let mut conn = connect(endpoint).await?;
    let sql = format!(
        "SELECT CAST(schema_name AS CHAR) AS name FROM information_schema.schemata WHERE schema_name NOT IN {SYSTEM} ORDER BY 1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    rows.iter().map(|r| r.try_get("name").map_err(|e| e.to_string())).collect()
}

/// The tables of `database` with their columns (of one table when `table` is given).
pub async fn tables(
    endpoint: &Endpoint<'_>,
    database: &str,
    table: Option<&str>,
) -> Result<Vec<Table>, String> {
    let mut conn = connect(endpoint).await?;
    let e = |e: sqlx::Error| e.to_string();
    let mut tables: Vec<Table> = sqlx::query(
        "SELECT CAST(table_name AS CHAR) AS name, CAST(table_type AS CHAR) AS kind, \
         CAST(table_comment AS CHAR) AS comment FROM information_schema.tables \
         WHERE table_schema = ? AND (? IS NULL OR table_name = ?) ORDER BY table_name",
    )
    .bind(database)
    .bind(table)
    .bind(table)
    .fetch_all(&mut conn)
    .await
    .map_err(e)?
    .iter()
    .map(|r| {
        let table_type: String = r.try_get("kind")?;
        // MySQL's comment on a view is the word VIEW
        let comment =
            r.try_get::<Option<String>, _>("comment")?.filter(|c| !c.is_empty() && table_type != "VIEW");
        Ok(Table {
            database: database.to_owned(),
            name: r.try_get("name")?,
            table_type,
            columns: Vec::new(),
            definition: TableDefinition { comment, ..Default::default() },
        })
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(e)?;
    let rows = sqlx::query(
        "SELECT CAST(table_name AS CHAR) AS t, CAST(column_name AS CHAR) AS name, CAST(data_type AS CHAR) AS data_type, \
         CAST(column_type AS CHAR) AS column_type, CAST(is_nullable AS CHAR) AS nullable, CAST(column_key AS CHAR) AS col_key, \
         CAST(character_maximum_length AS SIGNED) AS len, CAST(numeric_precision AS SIGNED) AS prec, \
         CAST(numeric_scale AS SIGNED) AS scale, CAST(datetime_precision AS SIGNED) AS dtp, \
         CAST(column_comment AS CHAR) AS comment \
         FROM information_schema.columns WHERE table_schema = ? AND (? IS NULL OR table_name = ?) \
         ORDER BY table_name, ordinal_position",
    )
    .bind(database)
    .bind(table)
    .bind(table)
    .fetch_all(&mut conn)
    .await
    .map_err(e)?;
    let json = json_columns(&mut conn, database, &rows).await;
    let _ = conn.close().await;
    let index: HashMap<String, usize> = tables.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    for row in rows {
        let table_name: String = row.try_get("t").map_err(e)?;
        let name: String = row.try_get("name").map_err(e)?;
        let mut source = SourceColumn {
            data_type: row.try_get("data_type").map_err(e)?,
            column_type: row.try_get("column_type").map_err(e)?,
            char_length: row.try_get("len").map_err(e)?,
            precision: row.try_get("prec").map_err(e)?,
            scale: row.try_get("scale").map_err(e)?,
            datetime_precision: row.try_get("dtp").map_err(e)?,
        };
        if json.contains(&(table_name.clone(), name.to_lowercase())) {
            source.data_type = "json".into();
            source.column_type = "json".into();
        }
        let comment = row.try_get::<Option<String>, _>("comment").map_err(e)?.filter(|c| !c.is_empty());
        if let (Some(comment), Some(&i)) = (comment, index.get(&table_name)) {
            tables[i].definition.column_comments.insert(name.clone(), comment);
        }
        let column = Column {
            data_type: mysql_type(&source),
            source_type: source.column_type.clone(),
            nullable: row.try_get::<String, _>("nullable").map_err(e)? == "YES",
            is_key: row.try_get::<String, _>("col_key").map_err(e)? == "PRI",
            name,
        };
        if let Some(&i) = index.get(&table_name) {
            tables[i].columns.push(column);
        }
    }
    Ok(tables)
}

/// Tables whose CHECK constraints are read at a time (a list the server looks up one by one).
const CHECKS_PER_QUERY: usize = 500;

/// MariaDB keeps JSON as LONGTEXT with a `json_valid(column)` CHECK: the (table, lowercased
/// column) pairs of the LONGTEXT `columns` that such a check validates (a column of another
/// type with one stays as it is). Only tables with a LONGTEXT column are asked
/// about, by name — reading CHECK constraints makes the server open each table it lists,
/// seconds for a whole database of thousands of tables. MySQL has a JSON type and no
/// `table_name` in `check_constraints`: its query fails and nothing is JSON by a check.
async fn json_columns(
    conn: &mut MySqlConnection,
    database: &str,
    columns: &[sqlx::mysql::MySqlRow],
) -> HashSet<(String, String)> {
    let longtext: HashSet<(String, String)> = columns
        .iter()
        .filter(|r| r.try_get::<String, _>("data_type").is_ok_and(|t| t.eq_ignore_ascii_case("longtext")))
        .filter_map(|r| {
            Some((r.try_get::<String, _>("t").ok()?, r.try_get::<String, _>("name").ok()?.to_lowercase()))
        })
        .collect();
    let mut candidates: Vec<&String> = longtext.iter().map(|(t, _)| t).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut json = HashSet::new();
    for names in candidates.chunks(CHECKS_PER_QUERY) {
        let sql = format!(
            "SELECT CAST(table_name AS CHAR) AS t, CAST(check_clause AS CHAR) AS c \
             FROM information_schema.check_constraints WHERE constraint_schema = ? AND table_name IN ({})",
            vec!["?"; names.len()].join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(database);
        for name in names {
            query = query.bind(name);
        }
        let Ok(rows) = query.fetch_all(&mut *conn).await else { break };
        for row in rows {
            let (Ok(table), Ok(clause)) = (row.try_get::<String, _>("t"), row.try_get::<String, _>("c"))
            else {
                continue;
            };
            for column in json_valid_columns(&clause) {
                let pair = (table.clone(), column);
                if longtext.contains(&pair) {
                    json.insert(pair);
                }
            }
        }
    }
    json
}

/// The columns a MariaDB CHECK clause validates with `json_valid(`column`)`, lowercased
/// (MariaDB writes the JSON type's own check so; a clause may hold more than one).
fn json_valid_columns(clause: &str) -> Vec<String> {
    let lower = clause.to_lowercase();
    lower
        .match_indices("json_valid(`")
        .filter_map(|(at, m)| {
            let rest = &lower[at + m.len()..];
            let (column, tail) = rest.split_once('`')?;
            tail.trim_start().starts_with(')').then(|| column.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::json_valid_columns;

    #[test]
    fn json_checks_name_their_columns() {
        assert_eq!(json_valid_columns("json_valid(`Doc`)"), vec!["doc"]);
        assert_eq!(
            json_valid_columns("json_valid(`a`) and json_valid(`b` )"),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert!(json_valid_columns("`n` > 0").is_empty());
        assert!(json_valid_columns("json_valid(`a` || 'x')").is_empty());
    }
}
