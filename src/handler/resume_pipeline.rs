//! `RESUME PIPELINE name` — see [`ResumePipeline`]: the pipeline's last deployment, if
//! suspended (or stopped with a savepoint), starts again from that savepoint on the same
//! target, running the pipeline's current version.

use super::pipeline_access::load;
use super::start_pipeline::run;
use super::target_access::load_target;
use super::{Ctx, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::sql::ast::target::ResumePipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &ResumePipeline) -> Result<Output> {
    require_superuser(ctx, "resume pipelines").await?;
    let name = statement.name.as_str();
    let stored = load(ctx, name).await?;
    let last = ctx.server.store.deployments(Some(name)).await?.into_iter().next();
    let resumable =
        last.filter(|d| matches!(d.state.as_str(), "suspended" | "stopped") && d.savepoint.is_some());
    let Some(d) = resumable else {
        return Err(SluiceError::Query {
            state: crate::error::SqlState::ObjectNotInPrerequisiteState,
            message: format!("pipeline \"{name}\" has no suspended deployment to resume"),
            hint: Some(format!("SUSPEND PIPELINE {name} (or STOP PIPELINE {name} WITH SAVEPOINT) first.")),
            pos: None,
        });
    };
    let target = load_target(ctx, &d.target).await?;
    let savepoint = d.savepoint.clone();
    run(ctx, &stored, &target, savepoint.as_deref(), Some(&d), None).await?;
    Ok(Output::Command("RESUME PIPELINE"))
}
