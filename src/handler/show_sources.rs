//! `SHOW SOURCES` — name, type, options (secrets by name), status, created_at.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text, timestamp, timestamptz};
use crate::error::Result;

pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let sources = ctx.rt.store.sources().await?;
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("type", DataType::Utf8),
            ("options", DataType::Utf8),
            ("status", DataType::Utf8),
            ("created_at", timestamptz()),
        ],
        sources
            .into_iter()
            .map(|s| {
                vec![
                    text(s.name),
                    text(s.source_type),
                    text(s.options),
                    text(s.status),
                    timestamp(s.created_at),
                ]
            })
            .collect(),
    )
}
