//! Client modes of the `sluice` command: programs that talk to a running gateway over
//! the PostgreSQL wire, as psql would — `sluice dump` writes the catalog out as SQL
//! files. They sit beside the gateway, not in it: they use the dialect (`sql`) and the
//! wire, never the gateway's own layers.

pub mod dump;
pub mod plan;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Row, ValueRef};

/// How to reach the gateway: `--url`, else libpq's variables (`PGHOST`, `PGPORT`,
/// `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE` …) as psql reads them.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// postgres://user:password@host:port/database (default: the PG* variables)
    #[arg(long)]
    pub url: Option<String>,
}

/// A client-mode failure: what went wrong, for the terminal.
#[derive(Debug)]
pub struct ClientError(pub String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClientError {}

/// An error the gateway reported.
#[derive(Debug)]
pub struct ServerError {
    pub sqlstate: String,
    pub message: String,
    /// 1-based character offset in the statement, when the gateway gave one.
    pub position: Option<usize>,
}

/// Why a statement failed: the gateway said so, or it could not be asked.
#[derive(Debug)]
pub enum Failure {
    Server(ServerError),
    Client(ClientError),
}

/// A connection to the gateway.
pub struct Gateway {
    connection: PgConnection,
}

impl Gateway {
    /// Connects as [`ConnectArgs`] says, naming itself `application` to the gateway.
    pub async fn connect(args: &ConnectArgs, application: &str) -> Result<Gateway, ClientError> {
        let options = match &args.url {
            Some(url) => PgConnectOptions::from_str(url)
                .map_err(|e| ClientError(format!("invalid --url: {}", without_password(&e.to_string()))))?,
            None => PgConnectOptions::new(),
        };
        let options = options.application_name(application).disable_statement_logging();
        let target = format!("{}:{}", options.get_host(), options.get_port());
        let connection = options.connect().await.map_err(|e| {
            ClientError(format!("cannot connect to the gateway at {target}: {}", server_message(&e)))
        })?;
        Ok(Gateway { connection })
    }

    /// The rows of `sql` (run with the simple query protocol), every column as text.
    pub async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<String>>, ClientError> {
        self.query(sql).await.map_err(|e| match e {
            Failure::Server(s) => ClientError(format!("{} (SQLSTATE {})", s.message, s.sqlstate)),
            Failure::Client(e) => e,
        })
    }

    /// [`Gateway::text_rows`], with the gateway's own errors kept whole.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<Vec<String>>, Failure> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut self.connection).await;
        let rows = rows.map_err(|e| match &e {
            sqlx::Error::Database(db) => {
                let position =
                    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|pg| {
                        match pg.position() {
                            Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
                            _ => None,
                        }
                    });
                Failure::Server(ServerError {
                    sqlstate: db.code().unwrap_or_default().into_owned(),
                    message: db.message().to_owned(),
                    position,
                })
            }
            other => Failure::Client(ClientError(without_password(&other.to_string()))),
        })?;
        rows.iter()
            .map(|row| {
                // the simple query protocol sends every value as text, whatever its type
                (0..row.len())
                    .map(|i| {
                        let value = row.try_get_raw(i)?;
                        if value.is_null() { Ok(String::new()) } else { value.as_str().map(str::to_owned) }
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Failure::Client(ClientError(format!("a result value: {e}"))))
            })
            .collect()
    }

    pub async fn close(self) {
        let _ = self.connection.close().await;
    }
}

/// The gateway's error as psql shows it: `ERROR:  message (SQLSTATE 42704)`.
fn server_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            format!("{} (SQLSTATE {})", db.message(), db.code().unwrap_or_default())
        }
        other => without_password(&other.to_string()),
    }
}

/// `text` with the password of any URL in it hidden.
fn without_password(text: &str) -> String {
    let Some(scheme) = text.find("://") else { return text.to_owned() };
    let rest = &text[scheme + 3..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:***{}", &text[..scheme + 3], &rest[..colon], &rest[at..])
        }
        _ => text.to_owned(),
    }
}
