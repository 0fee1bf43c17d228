//! The MySQL protocol of Apache Doris and StarRocks frontends (their query port, 9030 by
//! default): TEST SOURCE, databases, tables and columns from `information_schema`, and
//! live reads through the MySQL table provider. Each type maps its own type spellings
//! (`connectors/doris/types.rs`, `connectors/starrocks/types.rs`); what they share — the
//! connection, the queries, the parsing of a spelling such as `map<string,int(11)>` — is
//! here.
//!
//! Statements are sent as text (the frontends' support for server-side prepared
//! statements varies by version), with names as escaped literals.

use std::time::Instant;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow, MySqlSslMode};
use sqlx::{Connection, Row};

use crate::connectors::access::{LoadedSource, live_params};
use crate::connectors::definition::TableDefinition;
use crate::connectors::live::types::SourceColumn;
use crate::connectors::live::{Check, Column, Endpoint, Table, tcp};
use crate::engine::sources::{LiveKind, SourceCatalog};

/// Schemas of the frontends (and of MySQL/MariaDB standing in for one) that hold no user
/// tables.
const SYSTEM: &[&str] =
    &["information_schema", "mysql", "performance_schema", "sys", "__internal_schema", "_statistics_"];

/// Where a frontend's MySQL protocol listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontend {
    pub host: String,
    pub port: u16,
}

impl Frontend {
    /// The first host of `list` (`fe1:8030,fe2:8030`, `http://fe:8030`, or a JDBC URL
    /// `jdbc:mysql://fe:9030/`) with port `port`, or the URL's own port when `port` is
    /// `None`.
    pub fn from_list(list: &str, port: Option<u16>) -> Frontend {
        let first = list.split([',', ';']).map(str::trim).find(|s| !s.is_empty()).unwrap_or("localhost");
        let rest = first.rsplit("://").next().unwrap_or(first);
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, own_port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()),
            None => (authority, None),
        };
        Frontend { host: host.to_owned(), port: port.or(own_port).unwrap_or(9030) }
    }
}

/// A spelling's string literal for the frontends' SQL (quotes and backslashes escaped).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Connects within the source's timeout (without TLS: the query port speaks plain MySQL).
pub async fn connect(endpoint: &Endpoint<'_>, fe: &Frontend) -> Result<MySqlConnection, String> {
    let mut options = MySqlConnectOptions::new()
        .host(&fe.host)
        .port(fe.port)
        .username(endpoint.text("username").unwrap_or_default())
        .ssl_mode(MySqlSslMode::Disabled);
    if let Some(password) = endpoint.secret_text("password") {
        options = options.password(&password);
    }
    let timeout = endpoint.timeout();
    match tokio::time::timeout(timeout, MySqlConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(format!("{}:{}: {e}", fe.host, fe.port)),
        Err(_) => Err(format!("{}:{}: no connection within {} ms", fe.host, fe.port, timeout.as_millis())),
    }
}

/// A column of a text-protocol row as text, whatever its wire type.
fn text(row: &MySqlRow, column: &str) -> Option<String> {
    if let Ok(v) = row.try_get::<Option<String>, _>(column) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(column) {
        return v.map(|b| String::from_utf8_lossy(&b).into_owned());
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(column) {
        return v.map(|n| n.to_string());
    }
    row.try_get::<Option<u64>, _>(column).ok().flatten().map(|n| n.to_string())
}

fn number(row: &MySqlRow, column: &str) -> Option<i64> {
    text(row, column).and_then(|t| t.trim().parse().ok())
}

/// TEST SOURCE: the query port (TCP, login, version, what the user sees), then whether
/// the HTTP addresses (`http`: stream load, scans) can be reached.
pub async fn test(endpoint: &Endpoint<'_>, fe: &Frontend, http: Vec<(String, u16)>) -> Vec<Check> {
    let timeout = endpoint.timeout();
    let mut checks = vec![tcp(&fe.host, fe.port, timeout).await];
    if checks[0].ok {
        let started = Instant::now();
        match connect(endpoint, fe).await {
            Ok(mut conn) => {
                let user = endpoint.text("username").unwrap_or_default();
                checks.push(Check::timed("authentication", started, Ok(format!("logged in as {user}"))));
                let started = Instant::now();
                let version = sqlx::raw_sql("SELECT VERSION() AS v")
                    .fetch_one(&mut conn)
                    .await
                    .map(|r| text(&r, "v").unwrap_or_default())
                    .map_err(|e| e.to_string());
                checks.push(Check::timed("version", started, version));
                let started = Instant::now();
                let seen = user_databases(&mut conn)
                    .await
                    .map(|dbs| format!("can see {} databases", dbs.len()))
                    .map_err(|e| e.to_string());
                checks.push(Check::timed("privileges", started, seen));
                let _ = conn.close().await;
            }
            Err(e) => checks.push(Check::timed("authentication", started, Err(e))),
        }
    }
    for (host, port) in http {
        let mut check = tcp(&host, port, timeout).await;
        check.check = "http";
        check.detail = format!("{} (stream load and scans)", check.detail);
        checks.push(check);
    }
    checks
}

async fn user_databases(conn: &mut MySqlConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::raw_sql("SHOW DATABASES").fetch_all(conn).await?;
    let mut out: Vec<String> = rows
        .iter()
        .filter_map(|r| text(r, "Database"))
        .filter(|d| !SYSTEM.contains(&d.to_lowercase().as_str()))
        .collect();
    out.sort();
    Ok(out)
}

/// The user databases of the frontend.
pub async fn databases(endpoint: &Endpoint<'_>, fe: &Frontend) -> Result<Vec<String>, String> {
    let mut conn = connect(endpoint, fe).await?;
    let databases = user_databases(&mut conn).await.map_err(|e| e.to_string());
    let _ = conn.close().await;
    databases
}

/// A type's own column type for Sluice (Flink SQL), or why the engines cannot read it.
pub type TypeMapper = fn(&SourceColumn) -> Result<String, String>;

/// The tables of `database` (or one of them) with their columns, typed by `map`; columns
/// no engine can read are kept in the definition, not among the columns.
pub async fn tables(
    endpoint: &Endpoint<'_>,
    fe: &Frontend,
    database: &str,
    table: Option<&str>,
    map: TypeMapper,
) -> Result<Vec<Table>, String> {
    let mut conn = connect(endpoint, fe).await?;
    let e = |e: sqlx::Error| e.to_string();
    let only = table.map(|t| format!(" AND table_name = {}", literal(t))).unwrap_or_default();
    let sql = format!(
        "SELECT table_name AS name, table_type AS kind FROM information_schema.tables \
         WHERE table_schema = {}{only} ORDER BY table_name",
        literal(database)
    );
    let mut tables: Vec<Table> = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .map_err(e)?
        .iter()
        .filter_map(|r| {
            Some(Table {
                database: database.to_owned(),
                name: text(r, "name")?,
                table_type: text(r, "kind").unwrap_or_else(|| "BASE TABLE".into()),
                columns: Vec::new(),
                definition: TableDefinition::default(),
            })
        })
        .collect();
    let sql = format!(
        "SELECT table_name AS t, column_name AS name, data_type, column_type, is_nullable AS nullable, \
         column_key AS col_key, character_maximum_length AS len, numeric_precision AS prec, \
         numeric_scale AS scale, datetime_precision AS dtp \
         FROM information_schema.columns WHERE table_schema = {}{only} ORDER BY table_name, ordinal_position",
        literal(database)
    );
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.map_err(e)?;
    let _ = conn.close().await;
    for row in &rows {
        let Some(table) = text(row, "t").and_then(|t| tables.iter_mut().find(|x| x.name == t)) else {
            continue;
        };
        let source = SourceColumn {
            data_type: text(row, "data_type").unwrap_or_default(),
            column_type: text(row, "column_type").unwrap_or_default(),
            char_length: number(row, "len"),
            precision: number(row, "prec"),
            scale: number(row, "scale"),
            datetime_precision: number(row, "dtp"),
        };
        let name = text(row, "name").unwrap_or_default();
        let shown =
            if source.column_type.is_empty() { source.data_type.clone() } else { source.column_type.clone() };
        match map(&source) {
            Ok(data_type) => table.columns.push(Column {
                name,
                data_type,
                source_type: shown,
                nullable: text(row, "nullable").is_none_or(|n| n.eq_ignore_ascii_case("YES")),
                // unique-key (Doris) and primary-key (StarRocks, MySQL) columns identify rows
                is_key: text(row, "col_key")
                    .is_some_and(|k| matches!(k.to_uppercase().as_str(), "PRI" | "UNI")),
            }),
            Err(why) => table.definition.unreadable.push(super::definition::Unreadable {
                column: name,
                source_type: shown,
                why,
            }),
        }
    }
    Ok(tables)
}

/// Live reads of a frontend's tables: its MySQL protocol, without TLS.
pub fn live_catalog(source: &LoadedSource, fe: &Frontend) -> SourceCatalog {
    let endpoint = source.endpoint();
    let params = live_params(vec![
        ("host", Some(fe.host.clone())),
        ("tcp_port", Some(fe.port.to_string())),
        ("user", endpoint.text("username").map(str::to_owned)),
        ("pass", endpoint.secret_text("password")),
        ("pool_max", Some("4".into())),
        ("sslmode", Some("disabled".into())),
    ]);
    SourceCatalog::new(source.record.name.clone(), LiveKind::MySql, params)
}

/// A type as the frontends spell it: `decimalv3(10, 2)`, `datetime(3)`, `bigint unsigned`,
/// `array<int(11)>`, `map<string,int(11)>`, `struct<a:int,b:string>` (Doris),
/// `struct<a int(11)>` (StarRocks). Names are lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spelling {
    pub name: String,
    pub args: Vec<u32>,
    /// Element, key and value, or fields (with their names where the spelling has them).
    pub children: Vec<(Option<String>, Spelling)>,
    pub unsigned: bool,
}

impl Spelling {
    /// Reads `text` (`None` when it is not a type spelling).
    pub fn parse(text: &str) -> Option<Spelling> {
        let t = text.trim().to_lowercase();
        let open = t.find(['(', '<', ' ']).unwrap_or(t.len());
        let name = t[..open].trim().to_owned();
        if name.is_empty() {
            return None;
        }
        let mut rest = t[open..].trim_start();
        let mut args = Vec::new();
        if let Some(inner) = rest.strip_prefix('(') {
            let close = inner.find(')')?;
            args = inner[..close].split(',').filter_map(|a| a.trim().parse().ok()).collect();
            rest = inner[close + 1..].trim_start();
        }
        let mut children = Vec::new();
        if let Some(inner) = rest.strip_prefix('<') {
            let close = inner.rfind('>')?;
            for part in split_top(&inner[..close]) {
                children.push(child(part)?);
            }
            rest = inner[close + 1..].trim_start();
        }
        Some(Spelling { name, args, children, unsigned: rest.contains("unsigned") })
    }
}

/// The Flink SQL type of the spellings both frontends report alike, as both connectors
/// read them: MySQL's integer, floating and decimal types (TINYINT(1) is BOOLEAN; LARGEINT,
/// reported as `bigint unsigned`, and decimals wider than 38 digits are STRING) and DATE.
pub fn shared_type(s: &Spelling) -> Option<String> {
    let arg = |i: usize| s.args.get(i).copied();
    Some(match s.name.as_str() {
        "boolean" | "bool" => "BOOLEAN".into(),
        "tinyint" if arg(0) == Some(1) => "BOOLEAN".into(),
        "tinyint" => "TINYINT".into(),
        "smallint" => "SMALLINT".into(),
        "int" | "integer" => "INT".into(),
        "bigint" if s.unsigned => "STRING".into(),
        "bigint" => "BIGINT".into(),
        "largeint" => "STRING".into(),
        "float" => "FLOAT".into(),
        "double" => "DOUBLE".into(),
        "decimal" | "decimalv2" | "decimalv3" | "decimal32" | "decimal64" | "decimal128" | "decimal128i"
        | "decimal256" => {
            let (p, sc) = (arg(0).unwrap_or(10), arg(1).unwrap_or(0));
            if p <= 38 { format!("DECIMAL({p}, {sc})") } else { "STRING".into() }
        }
        "date" | "datev2" => "DATE".into(),
        "binary" | "varbinary" | "blob" | "tinyblob" | "mediumblob" | "longblob" => "BYTES".into(),
        _ => return None,
    })
}

/// `name:type`, `name type` or a bare `type` inside `<…>`.
fn child(part: &str) -> Option<(Option<String>, Spelling)> {
    let part = part.trim();
    if let Some((name, ty)) = part.split_once(':')
        && !name.contains(['(', '<'])
    {
        return Some((Some(name.trim().to_owned()), Spelling::parse(ty)?));
    }
    match part.split_once(' ') {
        Some((name, ty)) if !name.contains(['(', '<']) && !is_type(name) => {
            Some((Some(name.to_owned()), Spelling::parse(ty)?))
        }
        _ => Some((None, Spelling::parse(part)?)),
    }
}

/// Whether `name` is a type name (so `int unsigned` is not a field named `int`).
fn is_type(name: &str) -> bool {
    matches!(
        name,
        "boolean"
            | "bool"
            | "tinyint"
            | "smallint"
            | "int"
            | "integer"
            | "bigint"
            | "largeint"
            | "float"
            | "double"
            | "decimal"
            | "decimalv2"
            | "decimalv3"
            | "date"
            | "datev2"
            | "datetime"
            | "datetimev2"
            | "char"
            | "varchar"
            | "string"
            | "text"
            | "json"
            | "jsonb"
            | "variant"
            | "array"
            | "map"
            | "struct"
    )
}

/// `a, b<c, d>, e` split at the commas outside brackets.
fn split_top(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in list.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, args: &[u32]) -> Spelling {
        Spelling { name: name.into(), args: args.to_vec(), children: Vec::new(), unsigned: false }
    }

    #[test]
    fn spellings_are_read_with_their_arguments_and_children() {
        assert_eq!(Spelling::parse("decimalv3(10, 2)"), Some(s("decimalv3", &[10, 2])));
        assert_eq!(Spelling::parse("DATETIMEV2(3)"), Some(s("datetimev2", &[3])));
        assert!(Spelling::parse("bigint(20) unsigned").is_some_and(|t| t.unsigned && t.args == [20]));
        let map = Spelling::parse("map<string,int(11)>").expect("map");
        assert_eq!(map.children, [(None, s("string", &[])), (None, s("int", &[11]))]);
        let array = Spelling::parse("array<array<decimal(5, 1)>>").expect("nested");
        assert_eq!(array.children[0].1.children[0].1, s("decimal", &[5, 1]));
        let doris = Spelling::parse("struct<a:int,b:varchar(10)>").expect("doris struct");
        assert_eq!(doris.children[1], (Some("b".into()), s("varchar", &[10])));
        let starrocks =
            Spelling::parse("struct<col1 int(11), col2 map<int(11),int(11)>>").expect("starrocks");
        assert_eq!(starrocks.children[0], (Some("col1".into()), s("int", &[11])));
        assert_eq!(starrocks.children[1].1.name, "map");
        assert_eq!(Spelling::parse(""), None);
    }

    #[test]
    fn frontends_are_found_in_address_lists_and_jdbc_urls() {
        let fe = |h: &str, p: u16| Frontend { host: h.into(), port: p };
        assert_eq!(Frontend::from_list("fe1:8030,fe2:8030", Some(9030)), fe("fe1", 9030));
        assert_eq!(Frontend::from_list("http://10.0.0.5:8030", None), fe("10.0.0.5", 8030));
        assert_eq!(Frontend::from_list("jdbc:mysql://fe:9031/ods?x=1", None), fe("fe", 9031));
        assert_eq!(Frontend::from_list("fe", None), fe("fe", 9030));
        assert_eq!(literal("o'k\\"), "'o''k\\\\'");
    }
}
