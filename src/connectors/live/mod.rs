//! Talking to the systems behind sources: connectivity tests and live metadata.
//!
//! * MySQL/MariaDB and PostgreSQL: real checks (TCP, TLS, authentication, version,
//!   privileges) and metadata from `information_schema`, through sqlx.
//! * Kafka: TCP and a Metadata request (the wire protocol, v0).
//! * Everything else: whether its endpoints can be reached, saying so.

pub mod types;

use std::time::{Duration, Instant};

use super::{ResolvedOptions, SourceType};
use crate::error::{SluiceError, SqlState};

/// A table and its columns, as introspected.
#[derive(Debug, Clone)]
pub struct Table {
    pub database: String,
    pub name: String,
    pub table_type: String,
    pub columns: Vec<Column>,
    /// What else the catalog keeps of it (Paimon's partition keys, the engine connector
    /// a Gravitino table stands for); its `table_type` is set from the field above.
    pub definition: super::definition::TableDefinition,
}

/// A column, as introspected.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub source_type: String,
    pub nullable: bool,
    pub is_key: bool,
}

/// An error of the sink's database, with the sink's own SQLSTATE where Sluice knows it
/// (a duplicate key is 23505 as in PostgreSQL), else 58000.
pub fn db_error(path: &impl std::fmt::Display, e: sqlx::Error) -> SluiceError {
    let state = match &e {
        sqlx::Error::Database(db) => {
            db.code().map(|c| SqlState::from_sink(&c)).unwrap_or(SqlState::SystemError)
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => SqlState::ConnectionFailure,
        _ => SqlState::SystemError,
    };
    let message = match &e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    };
    SluiceError::Query { state, message: format!("writing {path}: {message}"), hint: None, pos: None }
}

/// Runs `(table shown, statement)`s over the connection `connected` made to `endpoint`,
/// then closes it. A failed connection is the source being unavailable; a failed
/// statement is the sink's database error, naming the table.
pub async fn run_ddl<C>(
    endpoint: &Endpoint<'_>,
    connected: Result<C, String>,
    statements: &[(String, String)],
) -> crate::error::Result<()>
where
    C: sqlx::Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
{
    let mut conn = connected
        .map_err(|message| SluiceError::SourceUnavailable { name: endpoint.source.to_owned(), message })?;
    for (table, ddl) in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl.clone()))
            .execute(&mut conn)
            .await
            .map_err(|e| db_error(table, e))?;
    }
    let _ = conn.close().await;
    Ok(())
}

/// What TEST SOURCE can reach of a type without a protocol check.
pub enum Reach {
    /// Hosts and ports to open a TCP connection to.
    Hosts(Vec<(String, u16)>),
    /// A path or URL (a warehouse, a directory).
    Path(String),
    /// Nothing: it runs inside the engine (datagen, print, blackhole).
    InsideEngine,
}

/// One row of `TEST SOURCE`.
#[derive(Debug, Clone)]
pub struct Check {
    pub check: &'static str,
    pub ok: bool,
    pub latency_ms: f64,
    pub detail: String,
}

impl Check {
    pub fn timed(check: &'static str, started: Instant, result: Result<String, String>) -> Check {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(detail) => Check { check, ok: true, latency_ms, detail },
            Err(detail) => Check { check, ok: false, latency_ms, detail },
        }
    }
}

/// What is needed to reach a source: its type, options, and the values of the secrets
/// they name (resolved by the caller, never stored or shown).
pub struct Endpoint<'a> {
    pub source: &'a str,
    pub source_type: &'static SourceType,
    pub options: &'a ResolvedOptions,
    pub secrets: std::collections::HashMap<String, Vec<u8>>,
}

impl Endpoint<'_> {
    /// A text option (or its default).
    pub fn text(&self, key: &str) -> Option<&str> {
        self.options.text(self.source_type, key)
    }

    /// A secret option's value as text.
    pub fn secret_text(&self, key: &str) -> Option<String> {
        match self.options.0.get(key)? {
            super::StoredValue::Secret { secret } => {
                self.secrets.get(secret).map(|b| String::from_utf8_lossy(b).into_owned())
            }
            super::StoredValue::Text(t) => Some(t.clone()),
        }
    }

    /// `connect_timeout` (default 5 s).
    pub fn timeout(&self) -> Duration {
        self.text("connect_timeout")
            .and_then(crate::units::parse_millis)
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(5))
    }
}

/// Runs the connectivity checks for `endpoint`'s type.
pub async fn test(endpoint: &Endpoint<'_>) -> Vec<Check> {
    endpoint.source_type.connector.test(endpoint).await
}

/// Opens a TCP connection to `host:port` within `timeout`; the detail names the address
/// reached, or the OS error.
pub async fn tcp(host: &str, port: u16, timeout: Duration) -> Check {
    let started = Instant::now();
    let result = async {
        let addrs: Vec<_> = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| format!("resolving {host} timed out after {} ms", timeout.as_millis()))?
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let mut last = format!("{host} has no addresses");
        for addr in addrs {
            let left = timeout.saturating_sub(started.elapsed());
            match tokio::time::timeout(left, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(_)) => return Ok(format!("connected to {addr}")),
                Ok(Err(e)) => last = format!("{addr}: {e}"),
                Err(_) => last = format!("{addr}: no answer within {} ms", timeout.as_millis()),
            }
        }
        Err(last)
    }
    .await;
    Check::timed("tcp", started, result)
}

/// `host:port` pairs of a comma- or semicolon-separated list (`h1:9092,h2:9092`), with
/// URL schemes and paths removed.
pub fn host_ports(list: &str, default_port: u16) -> Vec<(String, u16)> {
    list.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|item| {
            let item = item.split("://").last().unwrap_or(item);
            let item = item.split('/').next().unwrap_or(item);
            let item = item.rsplit('@').next().unwrap_or(item);
            match item.rsplit_once(':') {
                Some((host, port)) => {
                    port.parse().ok().map(|p| (host.trim_matches(['[', ']']).to_owned(), p))
                }
                None => Some((item.to_owned(), default_port)),
            }
        })
        .collect()
}

/// For types without a protocol check: can their endpoints be reached at all?
pub async fn reachability(endpoint: &Endpoint<'_>, reach: Reach) -> Vec<Check> {
    let timeout = endpoint.timeout();
    let targets = match reach {
        Reach::Hosts(hosts) => hosts,
        Reach::Path(path) => return vec![path_check(&path)],
        Reach::InsideEngine => {
            return vec![Check {
                check: "reachability",
                ok: true,
                latency_ms: 0.0,
                detail: format!(
                    "{} runs inside the engine; there is nothing to reach",
                    endpoint.source_type.name
                ),
            }];
        }
    };
    let mut checks = Vec::new();
    for (host, port) in targets {
        let mut check = tcp(&host, port, timeout).await;
        check.detail = format!(
            "{} (reachability only: {} has no protocol check yet)",
            check.detail, endpoint.source_type.name
        );
        checks.push(check);
    }
    checks
}

fn path_check(path: &str) -> Check {
    let started = Instant::now();
    let local = path.strip_prefix("file://").or_else(|| (!path.contains("://")).then_some(path));
    let result = match local {
        Some(p) if std::path::Path::new(p).exists() => Ok(format!("{p} exists on the gateway's machine")),
        Some(p) => Err(format!("{p} does not exist on the gateway's machine")),
        None => Ok(format!("{path}: remote paths are not checked (reachability only)")),
    };
    Check::timed("path", started, result)
}

#[cfg(test)]
mod tests {
    use super::host_ports;

    #[test]
    fn endpoint_lists_are_split() {
        assert_eq!(
            host_ports("k1:9092, k2:19092", 9092),
            [("k1".to_owned(), 9092), ("k2".to_owned(), 19092)]
        );
        assert_eq!(host_ports("pulsar://broker:6650", 1), [("broker".to_owned(), 6650)]);
        assert_eq!(host_ports("http://catalog:8090/api", 1), [("catalog".to_owned(), 8090)]);
        assert_eq!(host_ports("fe1", 8030), [("fe1".to_owned(), 8030)]);
    }
}
