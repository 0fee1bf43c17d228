//! `START PIPELINE` — see [`StartPipeline`]; what it does is the service's
//! ([`crate::service::deployments`]).

use super::{Ctx, Output};
use crate::error::Result;
use crate::service::deployments::{StartNamed, start_pipeline};
use crate::sql::ast::target::StartPipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &StartPipeline) -> Result<Output> {
    let named = StartNamed {
        pipeline: statement.name.as_str(),
        target: statement.target.as_ref().map(|t| t.as_str()),
        savepoint: statement.savepoint.as_deref(),
        interval: None,
    };
    let actor = ctx.actor();
    start_pipeline(ctx.rt, &actor, named, ctx.cancel.clone(), &mut ctx.notices).await?;
    Ok(Output::Command("START PIPELINE"))
}
