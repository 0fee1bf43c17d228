//! `RESUME PIPELINE name` — see [`ResumePipeline`]: the pipeline's last deployment, if
//! suspended (or stopped with a savepoint), starts again from that savepoint on the same
//! target, running the pipeline's current version.

use super::{Ctx, Output};
use crate::deploy::targets;
use crate::error::{Result, SluiceError};
use crate::service::deployments::{Start, start};
use crate::service::pipelines::load;
use crate::sql::ast::target::ResumePipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &ResumePipeline) -> Result<Output> {
    let name = statement.name.as_str();
    let stored = load(ctx.rt, name).await?;
    let last = ctx.rt.store.deployments(Some(name)).await?.into_iter().next();
    let resumable = last.filter(|d| {
        matches!(d.state, crate::deploy::State::Suspended | crate::deploy::State::Stopped)
            && d.savepoint.is_some()
    });
    let Some(d) = resumable else {
        return Err(SluiceError::Query {
            state: crate::error::SqlState::ObjectNotInPrerequisiteState,
            message: format!("pipeline \"{name}\" has no suspended deployment to resume"),
            hint: Some(format!("SUSPEND PIPELINE {name} (or STOP PIPELINE {name} WITH SAVEPOINT) first.")),
            pos: None,
        });
    };
    let target = targets::load(&ctx.rt.store, &ctx.rt.master_key, &d.target).await?;
    let savepoint = d.savepoint.clone();
    let request = Start {
        stored: &stored,
        target: &target,
        savepoint: savepoint.as_deref(),
        resume: Some(&d),
        interval: None,
    };
    let actor = ctx.actor();
    start(ctx.rt, &actor, request, ctx.cancel.clone(), &mut ctx.notices).await?;
    Ok(Output::Command("RESUME PIPELINE"))
}
