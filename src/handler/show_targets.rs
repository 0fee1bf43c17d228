//! `SHOW TARGETS`, `SHOW TARGET TYPES`, `DESCRIBE TARGET TYPE type`.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text, timestamp, timestamptz};
use crate::deploy::target_types::{TARGET_TYPES, target_type};
use crate::error::Result;

/// name, type, options (as given; secrets by name), owner, created_at.
pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let targets = ctx.rt.store.targets().await?;
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("type", DataType::Utf8),
            ("options", DataType::Utf8),
            ("owner", DataType::Utf8),
            ("created_at", timestamptz()),
        ],
        targets
            .into_iter()
            .map(|t| {
                vec![
                    text(t.name),
                    text(t.target_type),
                    text(t.options),
                    text(t.owner),
                    timestamp(t.created_at),
                ]
            })
            .collect(),
    )
}

/// name, runs (whether START works on it in this version), description.
pub fn types() -> Result<Output> {
    rows(
        "SHOW",
        &[("name", DataType::Utf8), ("runs", DataType::Boolean), ("description", DataType::Utf8)],
        TARGET_TYPES
            .iter()
            .map(|t| vec![text(t.name), ScalarValue::Boolean(Some(t.runs)), text(t.description)])
            .collect(),
    )
}

/// One row per option: name, type, required, default, description.
pub fn describe_type(name: &str) -> Result<Output> {
    let t = target_type(name)?;
    rows(
        "DESCRIBE",
        &[
            ("option", DataType::Utf8),
            ("type", DataType::Utf8),
            ("required", DataType::Boolean),
            ("default", DataType::Utf8),
            ("description", DataType::Utf8),
        ],
        t.options
            .iter()
            .map(|o| {
                vec![
                    text(o.name),
                    text(o.value_type.name()),
                    ScalarValue::Boolean(Some(o.required)),
                    opt_text(o.default),
                    text(o.description),
                ]
            })
            .collect(),
    )
}
