//! `START PIPELINE` — see [`StartPipeline`]; what it does is the service's
//! ([`crate::service::deployments`]).

use super::{Ctx, Output};
use crate::error::Result;
use crate::service::deployments::start_pipeline;
use crate::sql::ast::target::StartPipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &StartPipeline) -> Result<Output> {
    let target = statement.target.as_ref().map(|t| t.as_str());
    let savepoint = statement.savepoint.as_deref();
    let actor = ctx.actor();
    let cancel = ctx.cancel.clone();
    start_pipeline(
        ctx.rt,
        &actor,
        statement.name.as_str(),
        target,
        savepoint,
        None,
        cancel,
        &mut ctx.notices,
    )
    .await?;
    Ok(Output::Command("START PIPELINE"))
}
