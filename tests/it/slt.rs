//! The SQL surface in sqllogictest scripts (`tests/slt/*.slt`), each run against its own
//! server through tokio-postgres' simple query protocol (values as PostgreSQL text).
//! `statement error (SQLSTATE)` checks codes.

use async_trait::async_trait;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::common::{TestServer, repo};

struct Sluice {
    client: Client,
}

#[derive(Debug)]
struct SltError(tokio_postgres::Error);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
            None => write!(f, "{}", self.0),
        }
    }
}

impl std::error::Error for SltError {}

#[async_trait]
impl AsyncDB for Sluice {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let messages = self.client.simple_query(sql).await.map_err(SltError)?;
        let mut rows = Vec::new();
        let mut columns = 0;
        let mut completed = 0;
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => {
                    columns = row.len();
                    rows.push(
                        (0..row.len())
                            .map(|i| match row.get(i) {
                                None => "NULL".to_owned(),
                                Some("") => "(empty)".to_owned(),
                                Some(v) => v.to_owned(),
                            })
                            .collect(),
                    );
                }
                SimpleQueryMessage::RowDescription(desc) => columns = desc.len(),
                SimpleQueryMessage::CommandComplete(n) => completed = n,
                _ => {}
            }
        }
        if columns == 0 && rows.is_empty() {
            return Ok(DBOutput::StatementComplete(completed));
        }
        Ok(DBOutput::Rows { types: vec![DefaultColumnType::Any; columns], rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "sluice"
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        err.0.as_db_error().map(|db| db.code().code().to_owned())
    }
}

async fn run_file(name: &str) {
    let server = TestServer::start();
    let port = server.port;
    let mut runner = sqllogictest::Runner::new(move || async move {
        let conn = format!(
            "host=127.0.0.1 port={port} user=sluice password='{}' dbname=sluice",
            crate::common::PASSWORD
        );
        let (client, connection) =
            tokio_postgres::connect(&conn, tokio_postgres::NoTls).await.map_err(SltError)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Sluice { client })
    });
    let path = repo().join("tests/slt").join(name);
    if let Err(e) = runner.run_file_async(&path).await {
        panic!("{}\n\nserver log:\n{}", e.display(true), server.log_text());
    }
}

#[tokio::test]
async fn session_slt() {
    run_file("session.slt").await;
}

#[tokio::test]
async fn catalog_slt() {
    run_file("catalog.slt").await;
}

#[tokio::test]
async fn roles_slt() {
    run_file("roles.slt").await;
}

#[tokio::test]
async fn errors_slt() {
    run_file("errors.slt").await;
}

#[tokio::test]
async fn queries_slt() {
    run_file("queries.slt").await;
}
