//! `REFRESH SYNC name` — see [`RefreshSync`] for the syntax. The service plans the sync
//! again ([`crate::service::syncs::refresh`]); the result is a row per change: `change`
//! (`+`, `-`, `~`), `source_table`, `sink_table`.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::error::Result;
use crate::sql::ast::sync::RefreshSync;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &RefreshSync) -> Result<Output> {
    let actor = ctx.actor();
    let changes =
        crate::service::syncs::refresh(ctx.rt, &actor, statement.name.as_str(), &mut ctx.notices).await?;
    let out = changes
        .into_iter()
        .map(|c| vec![text(c.change.to_owned()), text(c.source_table), text(c.sink_table)])
        .collect();
    rows(
        "REFRESH SYNC",
        &[("change", DataType::Utf8), ("source_table", DataType::Utf8), ("sink_table", DataType::Utf8)],
        out,
    )
}
