//! Dropping pipelines — by DROP PIPELINE, or as the dependents of a source dropped with
//! CASCADE — through one set of checks and one clean-up: a pipeline that a sync compiles
//! into, that a schedule runs, or with an active deployment is refused (2BP01, naming what
//! depends on it), and what its deployments left on their targets (a Kubernetes target's
//! FlinkDeployment …) is removed once every target has said it can be.

use crate::deploy::{Deployer, Target, targets};
use crate::error::{Result, SluiceError};
use crate::runtime::Runtime;

/// What dropping some pipelines removes from their targets, checked and ready.
pub struct Removals<'a> {
    removals: Vec<(Box<dyn Deployer + 'a>, String)>,
}

/// Checks that each pipeline of `names` (all existing) may be dropped, and asks every
/// target it was deployed to whether what it left there can be removed; nothing is
/// removed yet, so a refusal changes nothing.
pub async fn prepare<'a>(rt: &'a Runtime, names: &[&str]) -> Result<Removals<'a>> {
    for name in names {
        droppable(rt, name).await?;
    }
    let mut removals = Vec::new();
    for name in names {
        for target in deployed_to(rt, name).await? {
            let engine = crate::deploy::deployer(&target, rt)?;
            engine.removable(name).await?;
            removals.push((engine, (*name).to_owned()));
        }
    }
    Ok(Removals { removals })
}

impl Removals<'_> {
    /// Removes what the pipelines' deployments left on their targets.
    pub async fn run(self) -> Result<()> {
        for (engine, name) in &self.removals {
            engine.remove(name).await?;
        }
        Ok(())
    }
}

/// 2BP01 unless pipeline `name` can go: no sync compiles into it, no schedule runs it, no
/// deployment of it is active.
async fn droppable(rt: &Runtime, name: &str) -> Result<()> {
    if rt.store.sync(name).await?.is_some() {
        return Err(SluiceError::DependentObjects {
            what: format!("drop pipeline {name}"),
            detail: format!("sync {name} compiles into it"),
            hint: Some("DROP SYNC drops the sync with its pipeline."),
        });
    }
    if let Some(schedule) = rt.store.schedules_running(name).await?.first() {
        return Err(SluiceError::DependentObjects {
            what: format!("drop pipeline {name}"),
            detail: format!("schedule {schedule} runs it"),
            hint: Some("Remove it from the schedule (CREATE OR REPLACE SCHEDULE) or DROP SCHEDULE first."),
        });
    }
    let deployments = rt.store.deployments(Some(name)).await?;
    if let Some(d) = deployments.iter().find(|d| d.state.is_active()) {
        return Err(SluiceError::DependentObjects {
            what: format!("drop pipeline {name}"),
            detail: format!("deployment {} on target {} is {}", d.id, d.target, d.state),
            hint: Some("STOP PIPELINE it first."),
        });
    }
    Ok(())
}

/// The (still existing) targets pipeline `name` was deployed to: what its deployments left
/// there (a Kubernetes target's FlinkDeployment, which owns its ConfigMap and Secret) goes
/// with it.
async fn deployed_to(rt: &Runtime, name: &str) -> Result<Vec<Target>> {
    let mut names: Vec<String> =
        rt.store.deployments(Some(name)).await?.into_iter().map(|d| d.target).collect();
    names.sort();
    names.dedup();
    let mut found = Vec::new();
    for target in names {
        match targets::load(&rt.store, &rt.master_key, &target).await {
            Ok(target) => found.push(target),
            // a dropped target's resources are not Sluice's to remove any more
            Err(SluiceError::UndefinedObject { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}
