//! Starting a pipeline: START, RESUME and a schedule's task all come here. The deployment
//! is recorded (state `submitting`) before the job is handed to the target, so a second
//! START — from any gateway sharing the catalog — is refused, and a gateway that dies
//! mid-way leaves a record the watcher re-attaches instead of submitting again. A failed
//! submission leaves the deployment `failed` with the engine's reason, and returns it.

use sluice_catalog::privileges::{ObjectKind, Privilege};
use std::collections::HashMap;

use sluice_catalog::{
    DeploymentChange, DeploymentRecord, JobEngine, NewDeployment, PipelineEngine, PipelineMode, StoreError,
};
use tokio_util::sync::CancellationToken;

use super::Actor;
use crate::deploy::targets::{self, LOCAL};
use crate::deploy::{Job, State, Submitted, Target, deployer};
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::plan::stored::StoredPipeline;
use crate::plan::{PipelinePlan, Tables};
use crate::runtime::Runtime;
use crate::sql::placeholders::Interval;

/// What to start, and how.
pub struct Start<'a> {
    pub stored: &'a StoredPipeline,
    pub target: &'a Target,
    /// Start from this savepoint (engine targets only).
    pub savepoint: Option<&'a str>,
    /// RESUME: submit this deployment again instead of recording a new one.
    pub resume: Option<&'a DeploymentRecord>,
    /// A schedule run's logical interval (`${interval_start}`, `${interval_end}`).
    pub interval: Option<&'a Interval>,
}

/// A START by name, as the statement (or a schedule's task) gives it.
pub struct StartNamed<'a> {
    pub pipeline: &'a str,
    /// `ON TARGET t` (a schedule's `target` option), else the pipeline's.
    pub target: Option<&'a str>,
    pub savepoint: Option<&'a str>,
    pub interval: Option<&'a Interval>,
}

/// Where a START runs: the target it names, else the pipeline's `target` option, else
/// `local` — then STARTs it there (see [`start`]). START and a schedule's task share this
/// path, and its privilege checks.
pub async fn start_pipeline(
    rt: &Runtime,
    actor: &Actor,
    named: StartNamed<'_>,
    cancel: CancellationToken,
    notices: &mut Vec<Notice>,
) -> Result<i64> {
    let mut stored = super::pipelines::load(rt, named.pipeline).await?;
    let target = match named.target {
        Some(t) => t.to_owned(),
        None => stored.record.target.clone().unwrap_or_else(|| LOCAL.to_owned()),
    };
    let target = targets::load(&rt.store, &rt.master_key, &target).await?;
    // a full sync reads its source's tables afresh first (and may change its sink tables):
    // only once START's own checks of the caller, the target and the pipeline pass
    let rights = actor.rights(rt).await?;
    rights.require(Privilege::Operate, ObjectKind::Pipeline, named.pipeline).await?;
    rights.require(Privilege::Usage, ObjectKind::Target, &target.name).await?;
    check_runs_there(&stored, &target, named.savepoint.is_some())?;
    if super::syncs::before_start(rt, named.pipeline, notices).await? {
        stored = super::pipelines::load(rt, named.pipeline).await?;
    }
    let request = Start {
        stored: &stored,
        target: &target,
        savepoint: named.savepoint,
        resume: None,
        interval: named.interval,
    };
    start(rt, actor, request, cancel, notices).await
}

/// Submits a pipeline to a target as a new deployment, or (RESUME) as a deployment
/// again; returns the deployment's id. `cancel` stops the submission (and a local job).
pub async fn start(
    rt: &Runtime,
    actor: &Actor,
    request: Start<'_>,
    cancel: CancellationToken,
    notices: &mut Vec<Notice>,
) -> Result<i64> {
    let Start { stored, target, savepoint, resume, interval } = request;
    let name = &stored.record.name;
    let rights = actor.rights(rt).await?;
    rights.require(Privilege::Operate, ObjectKind::Pipeline, name).await?;
    rights.require(Privilege::Usage, ObjectKind::Target, &target.name).await?;
    let engine = deployer(target, rt)?;
    let kind = target.target_type;
    check_runs_there(stored, target, savepoint.is_some())?;
    let tables = if kind.in_gateway { Tables::Live(rt.engine.catalogs()) } else { Tables::Schemas };
    let plan = super::pipelines::plan(rt, notices, stored, tables, interval).await?;
    // a pipeline reads and writes with its owner's rights (an operator needs OPERATE, not
    // the data), checked as the pipeline and the rights are now: a revoked USAGE fails the
    // next START, and the next run of a schedule
    let owner = Actor::new(stored.record.owner.clone()).rights(rt).await?;
    owner.require_usage_of_sources(plan.bound.source_names().iter().map(String::as_str)).await?;
    if !plan.settings().jars.is_empty() && !kind.delivers_jars {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" names extra jars; target \"{}\" of type {} does not deliver jars",
                target.name, kind.name
            ),
            Some(
                "Put the jars on the cluster (Flink's lib/, SeaTunnel's plugins), or run it on a kubernetes target.",
            ),
        ));
    }
    let engine_target = kind.external_engine;
    let secrets = if engine_target { secret_values(rt, &plan).await? } else { HashMap::new() };
    // recorded first: a pipeline already active is refused before anything is made
    let id = record(rt, actor, stored, target, savepoint, resume).await?;

    let cancel = rt.deployments.register(id, cancel.child_token());
    // unregistered once the outcome is recorded (or the statement is dropped): until then
    // the watchers leave the deployment to this statement
    let _registered = Unregister(&rt.deployments, id);
    let job = Job {
        deployment: id,
        plan: &plan,
        secrets: &secrets,
        version: stored.record.version,
        savepoint,
        cancel,
    };
    let submitted = match submit(rt, engine.as_ref(), job, engine_target, notices).await {
        Ok(done) => Ok(done),
        Err(e) => Err(rt.deployments.redact_error(e).await),
    };
    match submitted {
        Ok(done) => submitted_ok(rt, actor, id, name, target, done, notices).await,
        Err(e) => submit_failed(rt, actor, id, name, e).await,
    }
}

/// Creates the sink tables an engine does not create (`engine_target`), then submits.
async fn submit(
    rt: &Runtime,
    engine: &(dyn crate::deploy::Deployer + '_),
    job: Job<'_>,
    engine_target: bool,
    notices: &mut Vec<Notice>,
) -> Result<crate::deploy::Submitted> {
    if engine_target {
        crate::deploy::create_sinks::create_sink_tables(rt, job.plan, notices).await?;
    }
    engine.submit(job).await
}

/// Refuses a pipeline the target cannot run: its engine, its mode, a savepoint.
fn check_runs_there(stored: &StoredPipeline, target: &Target, savepoint: bool) -> Result<()> {
    let name = &stored.record.name;
    let kind = target.target_type;
    if let Some(engine) = kind.engine
        && stored.record.engine != engine
    {
        let (runs, hint) = match engine {
            PipelineEngine::SeaTunnel => (
                "SeaTunnel jobs",
                "ALTER PIPELINE … SET (engine = 'seatunnel'), or start it on a flink target.",
            ),
            _ => (
                "Flink SQL",
                "ALTER PIPELINE … SET (engine = 'flink'), or render it with a directory target.",
            ),
        };
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" has engine {}; target \"{}\" runs {runs}",
                stored.record.engine, target.name
            ),
            Some(hint),
        ));
    }
    if kind.in_gateway && stored.record.mode == PipelineMode::Streaming {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" is a streaming pipeline; the local target runs batch pipelines only"
            ),
            Some("Start it ON TARGET a flink target, or ALTER PIPELINE … SET (mode = 'batch')."),
        ));
    }
    if savepoint && !kind.external_engine {
        return Err(SluiceError::not_supported(
            format!("target \"{}\" of type {} does not start from savepoints", target.name, kind.name),
            None,
        ));
    }
    Ok(())
}

/// Records the deployment `submitting` (a new one, or `resume` again); refused while
/// the pipeline has an active deployment.
async fn record(
    rt: &Runtime,
    actor: &Actor,
    stored: &StoredPipeline,
    target: &Target,
    savepoint: Option<&str>,
    resume: Option<&DeploymentRecord>,
) -> Result<i64> {
    let name = &stored.record.name;
    match resume {
        None => {
            let new = NewDeployment {
                pipeline: name.clone(),
                pipeline_version: stored.record.version,
                target: target.name.clone(),
                engine: if target.target_type.in_gateway {
                    JobEngine::DataFusion
                } else {
                    stored.record.engine.into()
                },
                state: State::Submitting,
                started_from: savepoint.map(str::to_owned),
            };
            let id = rt.store.create_deployment(&new, &actor.role).await.map_err(|e| match e {
                StoreError::InUse { .. } => SluiceError::ObjectNotInState(format!(
                    "pipeline \"{name}\" is already running; STOP PIPELINE {name} first"
                )),
                other => other.into(),
            })?;
            rt.deployments.changed(id, State::Submitting).await;
            Ok(id)
        }
        Some(d) => {
            let change = DeploymentChange {
                started_from: Some(savepoint.map(str::to_owned)),
                last_error: Some(None),
                ..Default::default()
            };
            if !rt.deployments.move_to(d.id, State::Submitting, change, &actor.role).await? {
                return Err(SluiceError::ObjectNotInState(format!(
                    "deployment {} of pipeline \"{name}\" changed meanwhile; see SHOW DEPLOYMENTS",
                    d.id
                )));
            }
            Ok(d.id)
        }
    }
}

/// Records what the target answered and tells the client.
async fn submitted_ok(
    rt: &Runtime,
    actor: &Actor,
    id: i64,
    name: &str,
    target: &Target,
    done: Submitted,
    notices: &mut Vec<Notice>,
) -> Result<i64> {
    let state = done.state.unwrap_or(State::Running);
    let change = DeploymentChange {
        engine_job_id: done.engine_job_id.clone(),
        rows_in: done.rows_in,
        rows_out: done.rows_out,
        ..Default::default()
    };
    let recorded = rt.deployments.move_to(id, state, change, &actor.role).await?;
    // a watcher may have recorded a later state meanwhile (the job already ended)
    let state = match recorded {
        true => state,
        false => match rt.store.deployment(id).await? {
            Some(now) => now.state,
            None => state,
        },
    };
    notices.extend(done.notes.into_iter().map(Notice::notice));
    notices.push(Notice::notice(format!(
        "deployment {id} of pipeline \"{name}\" on target \"{}\": {state}",
        target.name
    )));
    Ok(id)
}

/// Records a failed (or stopped) submission; a stop is reported as a cancel.
async fn submit_failed(rt: &Runtime, actor: &Actor, id: i64, name: &str, e: SluiceError) -> Result<i64> {
    let stopped = matches!(e, SluiceError::Canceled);
    let state = if stopped { State::Stopped } else { State::Failed };
    let change = DeploymentChange { last_error: Some(Some(e.message())), ..Default::default() };
    rt.deployments.move_to(id, state, change, &actor.role).await?;
    if stopped {
        return Err(SluiceError::Query {
            state: SqlState::QueryCanceled,
            message: format!("pipeline \"{name}\" was stopped while it ran; nothing was committed"),
            hint: None,
            pos: None,
        });
    }
    Err(e)
}

/// The values of the secrets the pipeline's sources name, by secret name.
async fn secret_values(rt: &Runtime, plan: &PipelinePlan) -> Result<HashMap<String, Vec<u8>>> {
    let mut values = HashMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for table in &plan.bound.tables {
        if seen.contains(&table.path.source.as_str()) {
            continue;
        }
        seen.push(&table.path.source);
        let source = super::sources::load(rt, &table.path.source).await?;
        values.extend(source.secret_values().clone());
    }
    Ok(values)
}

/// Unregisters a deployment from this gateway's running statements when dropped.
struct Unregister<'a>(&'a crate::deploy::Deployments, i64);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.unregister(self.1);
    }
}
