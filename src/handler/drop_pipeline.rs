//! `DROP PIPELINE [IF EXISTS] name [, …]` — see [`DropPipeline`]. Every name is checked
//! before any is dropped, so a failed statement drops nothing; a pipeline with an active
//! deployment, or that a schedule runs, is refused (2BP01).

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::deploy::targets;
use crate::error::{Result, SluiceError};
use crate::sql::ast::pipeline::DropPipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropPipeline) -> Result<Output> {
    for name in &statement.names {
        require_owner(ctx, ObjectKind::Pipeline, name.as_str()).await?;
    }
    let mut existing = Vec::new();
    for name in &statement.names {
        match ctx.rt.store.pipeline(name.as_str()).await? {
            Some(_) if ctx.rt.store.sync(name.as_str()).await?.is_some() => {
                return Err(SluiceError::DependentObjects {
                    what: format!("pipeline {name}"),
                    detail: format!("sync {name} compiles into it"),
                    hint: Some("DROP SYNC drops the sync with its pipeline."),
                });
            }
            Some(_) => {
                let schedules = ctx.rt.store.schedules_running(name.as_str()).await?;
                if let Some(schedule) = schedules.first() {
                    return Err(SluiceError::DependentObjects {
                        what: format!("pipeline {name}"),
                        detail: format!("schedule {schedule} runs it"),
                        hint: Some(
                            "Remove it from the schedule (CREATE OR REPLACE SCHEDULE) or DROP SCHEDULE first.",
                        ),
                    });
                }
                let deployments = ctx.rt.store.deployments(Some(name.as_str())).await?;
                if let Some(d) = deployments.iter().find(|d| d.state.is_active()) {
                    return Err(SluiceError::DependentObjects {
                        what: format!("pipeline {name}"),
                        detail: format!("deployment {} on target {} is {}", d.id, d.target, d.state),
                        hint: Some("STOP PIPELINE it first."),
                    });
                }
                existing.push(name.as_str())
            }
            None if statement.if_exists => {
                ctx.notices.push(Notice::notice(format!("pipeline \"{name}\" does not exist, skipping")));
            }
            None => {
                return Err(SluiceError::UndefinedObject {
                    kind: "pipeline",
                    name: name.as_str().to_owned(),
                });
            }
        }
    }
    // every target is asked first, so one that cannot answer leaves every pipeline as it was
    let server = ctx.rt;
    let mut removals = Vec::new();
    for name in &existing {
        for target in deployed_to(ctx, name).await? {
            let engine = crate::deploy::deployer(&target, server)?;
            engine.removable(name).await?;
            removals.push((engine, *name));
        }
    }
    for (engine, name) in &removals {
        engine.remove(name).await?;
    }
    for name in existing {
        ctx.rt.store.drop_pipeline(name, &ctx.session.user).await?;
    }
    Ok(Output::Command("DROP PIPELINE"))
}

/// The (still existing) targets pipeline `name` was deployed to: what its deployments left
/// there (a Kubernetes target's FlinkDeployment, which owns its ConfigMap and Secret) goes
/// with it.
async fn deployed_to(ctx: &mut Ctx<'_>, name: &str) -> Result<Vec<crate::deploy::Target>> {
    let mut names: Vec<String> =
        ctx.rt.store.deployments(Some(name)).await?.into_iter().map(|d| d.target).collect();
    names.sort();
    names.dedup();
    let mut targets = Vec::new();
    for target in names {
        match targets::load(&ctx.rt.store, &ctx.rt.master_key, &target).await {
            Ok(target) => targets.push(target),
            // a dropped target's resources are not Sluice's to remove any more
            Err(SluiceError::UndefinedObject { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(targets)
}
