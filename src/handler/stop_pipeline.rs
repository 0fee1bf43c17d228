//! `STOP PIPELINE name [WITH SAVEPOINT]` and `SUSPEND PIPELINE name` — see
//! [`StopPipeline`]. Acts on the pipeline's running deployment and returns when its job
//! has stopped; the savepoint's path is recorded (and shown as a NOTICE).

use std::time::Duration;

use sluice_catalog::{DeploymentChange, DeploymentRecord};

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Notice, Output};
use crate::deploy::targets;
use crate::deploy::{State, StopMode, deployer};
use crate::error::{Result, SluiceError};
use crate::sql::ast::target::{StopKind, StopPipeline};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &StopPipeline) -> Result<Output> {
    let name = statement.name.as_str();
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require(Privilege::Operate, ObjectKind::Pipeline, name).await?;
    if ctx.rt.store.pipeline(name).await?.is_none() {
        return Err(SluiceError::UndefinedObject { kind: "pipeline", name: name.to_owned() });
    }
    let tag = if statement.kind == StopKind::Suspend { "SUSPEND PIPELINE" } else { "STOP PIPELINE" };
    let running = ctx
        .rt
        .store
        .deployments(Some(name))
        .await?
        .into_iter()
        .find(|d| d.state == crate::deploy::State::Running);
    let Some(d) = running else {
        return Err(SluiceError::ObjectNotInState(format!("pipeline \"{name}\" is not running")));
    };
    rights.require(Privilege::Usage, ObjectKind::Target, &d.target).await?;
    let target = targets::load(&ctx.rt.store, &ctx.rt.master_key, &d.target).await?;
    let engine = deployer(&target, ctx.rt)?;
    let mode = match statement.kind {
        StopKind::Cancel => StopMode::Cancel,
        StopKind::Suspend => StopMode::Suspend,
        _ => StopMode::Savepoint,
    };
    if mode.savepoint() && !target.target_type.external_engine {
        return Err(SluiceError::not_supported(
            format!("target \"{}\" of type {} takes no savepoints", target.name, target.target_type.name),
            Some("Use STOP PIPELINE without WITH SAVEPOINT."),
        ));
    }
    let (during, after) = match statement.kind {
        StopKind::Suspend => (State::Suspending, State::Suspended),
        _ => (State::Stopping, State::Stopped),
    };
    let actor = ctx.session.user.clone();
    let deployments = &ctx.rt.deployments;
    if !deployments.move_to(d.id, during, DeploymentChange::default(), &actor).await? {
        return Err(SluiceError::ObjectNotInState(format!("pipeline \"{name}\" is not running any more")));
    }
    match engine.stop(&d, mode).await {
        Ok(path) => {
            if target.target_type.in_gateway {
                wait_for_end(ctx, &d).await;
                return Ok(Output::Command(tag));
            }
            let change = DeploymentChange { savepoint: path.clone(), ..Default::default() };
            deployments.move_to(d.id, after, change, &actor).await?;
            if let Some(path) = path {
                ctx.notices.push(Notice::notice(format!("savepoint of pipeline \"{name}\": {path}")));
            }
            Ok(Output::Command(tag))
        }
        Err(e) => {
            let e = deployments.redact_error(e).await;
            let change = DeploymentChange { last_error: Some(Some(e.message())), ..Default::default() };
            deployments.move_to(d.id, State::Running, change, &actor).await?;
            Err(e)
        }
    }
}

/// Waits (up to a minute) until the local job's own statement has rolled back and
/// recorded the end.
async fn wait_for_end(ctx: &Ctx<'_>, d: &DeploymentRecord) {
    for _ in 0..600 {
        match ctx.rt.store.deployment(d.id).await {
            Ok(Some(now)) if now.state != crate::deploy::State::Stopping => return,
            Ok(None) | Err(_) => return,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
