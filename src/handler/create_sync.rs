//! `CREATE SYNC DATABASE` — see [`CreateSync`] for the syntax; what it does is the
//! service's ([`crate::service::syncs`]).

use super::{Ctx, Output};
use crate::error::Result;
use crate::sql::ast::sync::CreateSync;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateSync) -> Result<Output> {
    let actor = ctx.actor();
    crate::service::syncs::create(ctx.rt, &actor, statement, &mut ctx.notices).await?;
    Ok(Output::Command("CREATE SYNC"))
}
