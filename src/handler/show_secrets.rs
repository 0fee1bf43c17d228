//! `SHOW SECRETS` — name, kind, created_at, used_by; never a value.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text, text_array, text_list, timestamp, timestamptz};
use crate::error::Result;

pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let secrets = ctx.rt.store.secrets().await?;
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("kind", DataType::Utf8),
            ("created_at", timestamptz()),
            ("used_by", text_array()),
        ],
        secrets
            .into_iter()
            .map(|s| vec![text(s.name), text(s.kind), timestamp(s.created_at), text_list(&s.used_by)])
            .collect(),
    )
}
