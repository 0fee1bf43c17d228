//! `SHOW CREATE PIPELINE name` — the normalised statement that recreates the pipeline.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::error::Result;
use crate::service::pipelines::load;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let stored = load(ctx.rt, name.as_str()).await?;
    let statement = stored.create_statement();
    rows(
        "SHOW",
        &[("pipeline", DataType::Utf8), ("create_statement", DataType::Utf8)],
        vec![vec![text(stored.record.name.clone()), text(format!("{statement};"))]],
    )
}
