//! `TEST SOURCE name` — rows (check, ok, latency_ms, detail): for MySQL/MariaDB and
//! PostgreSQL TCP, authentication, TLS, version and privileges; for Kafka TCP and a
//! metadata request; for the rest, reachability (and the detail says so). The outcome is
//! kept as the source's status.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, rows, text};
use crate::connectors::live;
use crate::error::Result;
use crate::sql::ast::Ident;

/// The result columns.
pub const COLUMNS: &[(&str, DataType)] = &[
    ("check", DataType::Utf8),
    ("ok", DataType::Boolean),
    ("latency_ms", DataType::Float64),
    ("detail", DataType::Utf8),
];

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let source = crate::service::sources::load(ctx.rt, name.as_str()).await?;
    let checks = live::test(&source.endpoint()).await;
    let status = if checks.iter().all(|c| c.ok) { "ok" } else { "unreachable" };
    ctx.rt.store.set_source_status(&source.record.name, status).await?;
    checks_output(checks)
}

/// Connectivity checks as rows of [`COLUMNS`] (TEST SOURCE, TEST TARGET).
pub fn checks_output(checks: Vec<live::Check>) -> Result<Output> {
    rows(
        "TEST",
        COLUMNS,
        checks
            .into_iter()
            .map(|c| {
                vec![
                    text(c.check),
                    ScalarValue::Boolean(Some(c.ok)),
                    ScalarValue::Float64(Some((c.latency_ms * 100.0).round() / 100.0)),
                    text(c.detail),
                ]
            })
            .collect(),
    )
}
