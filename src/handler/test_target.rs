//! `TEST TARGET name` — rows (check, ok, latency_ms, detail), as TEST SOURCE: for a
//! flink target its REST API (version, free slots) and the runner jar; for a directory
//! target whether it can write there.

use datafusion::common::ScalarValue;

use super::target_access::load_target;
use super::test_source::COLUMNS;
use super::{Ctx, Output, rows, text};
use crate::deploy::deployer;
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let target = load_target(ctx, name.as_str()).await?;
    let checks = deployer(&target, ctx.server)?.test().await;
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
