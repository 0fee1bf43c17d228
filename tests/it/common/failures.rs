//! The error a statement fails with: SQLSTATE, message and position.

use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::common::{message, sqlstate};

/// The error `sql` fails with: SQLSTATE, message, and the 1-based character position.
pub async fn failure(client: &Client, sql: &str) -> (String, String, Option<u32>) {
    let e = client.batch_execute(sql).await.expect_err(sql);
    let position = e.as_db_error().and_then(|d| d.position()).and_then(|p| match p {
        ErrorPosition::Original(n) => Some(*n),
        ErrorPosition::Internal { .. } => None,
    });
    (sqlstate(&e), message(&e), position)
}

/// The error `sql` fails with: SQLSTATE, message and HINT (empty when it has none).
pub async fn failure_hint(client: &Client, sql: &str) -> (String, String, String) {
    let e = client.batch_execute(sql).await.expect_err(sql);
    let hint = e.as_db_error().and_then(|d| d.hint()).unwrap_or_default().to_owned();
    (sqlstate(&e), message(&e), hint)
}

/// The error `sql` fails with: SQLSTATE, message and DETAIL (empty when it has none).
pub async fn failure_detail(client: &Client, sql: &str) -> (String, String, String) {
    let e = client.batch_execute(sql).await.expect_err(sql);
    let detail = e.as_db_error().and_then(|d| d.detail()).unwrap_or_default().to_owned();
    (sqlstate(&e), message(&e), detail)
}
