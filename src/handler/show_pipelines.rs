//! `SHOW PIPELINES` — name, version, engine, mode, target, sources, owner, updated_at.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text, timestamp, timestamptz};
use crate::error::Result;

pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let pipelines = ctx.rt.store.pipelines().await?;
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("version", DataType::Int64),
            ("engine", DataType::Utf8),
            ("mode", DataType::Utf8),
            ("target", DataType::Utf8),
            ("owner", DataType::Utf8),
            ("updated_at", timestamptz()),
        ],
        pipelines
            .into_iter()
            .map(|p| {
                vec![
                    text(p.name),
                    ScalarValue::Int64(Some(p.version)),
                    text(p.engine.as_str()),
                    text(p.mode.as_str()),
                    opt_text(p.target),
                    text(p.owner),
                    timestamp(p.updated_at),
                ]
            })
            .collect(),
    )
}
