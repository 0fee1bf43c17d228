//! `SHOW CREATE kind name` and `SHOW CREATE ALL` — see [`ShowCreate`] for the syntax: the
//! scripts that re-create objects ([`crate::service::definitions`]).

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::error::Result;
use crate::service::definitions::{all, definition};
use crate::sql::ast::show_create::ShowCreate;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &ShowCreate) -> Result<Output> {
    match statement {
        ShowCreate::Object { kind, name } => {
            let def = definition(ctx.rt, &ctx.session.user, *kind, name).await?;
            rows(
                "SHOW",
                &[(kind.name(), DataType::Utf8), ("create_statement", DataType::Utf8)],
                vec![vec![text(def.name.clone()), text(def.script())]],
            )
        }
        ShowCreate::All => {
            let defs = all(ctx.rt, &ctx.session.user).await?;
            rows(
                "SHOW",
                &[("kind", DataType::Utf8), ("name", DataType::Utf8), ("create_statement", DataType::Utf8)],
                defs.into_iter()
                    .map(|d| vec![text(d.kind.name()), text(d.name.clone()), text(d.script())])
                    .collect(),
            )
        }
    }
}
