//! `START PIPELINE` — see [`StartPipeline`]. The deployment is recorded (state
//! `submitting`) before the job is handed to the target, so a second START — from any
//! gateway sharing the catalog — is refused, and a gateway that dies mid-way leaves a
//! record the watcher re-attaches instead of submitting again. A failed submission
//! leaves the deployment `failed` with the engine's reason, and returns it.

use std::collections::HashMap;

use sluice_catalog::{DeploymentChange, DeploymentRecord, NewDeployment, StoreError};

use super::pipeline_access::{StoredPipeline, load, plan_in};
use super::source_access::load_in;
use super::target_access::{LOCAL, load_target};
use super::{Ctx, Notice, Output, require_superuser};
use crate::deploy::{Job, State, Target, deployer};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::Tables;
use crate::server::state::ServerState;
use crate::sql::ast::target::StartPipeline;
use crate::sql::placeholders::Interval;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &StartPipeline) -> Result<Output> {
    require_superuser(ctx, "start pipelines").await?;
    let stored = load(ctx, statement.name.as_str()).await?;
    let target_name = match &statement.target {
        Some(t) => t.as_str().to_owned(),
        None => stored.record.target.clone().unwrap_or_else(|| LOCAL.to_owned()),
    };
    let target = load_target(ctx, &target_name).await?;
    run(ctx, &stored, &target, statement.savepoint.as_deref(), None, None).await?;
    Ok(Output::Command("START PIPELINE"))
}

/// Submits `stored` to `target` as a new deployment, or (RESUME) as deployment `resume`
/// again; returns the deployment's id. A schedule run passes its logical `interval`.
pub async fn run(
    ctx: &mut Ctx<'_>,
    stored: &StoredPipeline,
    target: &Target,
    savepoint: Option<&str>,
    resume: Option<&DeploymentRecord>,
    interval: Option<&Interval>,
) -> Result<i64> {
    let name = &stored.record.name;
    let engine = deployer(target, ctx.server)?;
    let kind = target.target_type.name;
    let engine_target = matches!(kind, "flink" | "kubernetes" | "seatunnel");
    if matches!(kind, "flink" | "kubernetes") && stored.record.engine != "flink" {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" has engine {}; target \"{}\" runs Flink SQL",
                stored.record.engine, target.name
            ),
            Some("ALTER PIPELINE … SET (engine = 'flink'), or render it with a directory target."),
        ));
    }
    if kind == "local" && stored.record.mode == "streaming" {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" is a streaming pipeline; the local target runs batch pipelines only"
            ),
            Some("Start it ON TARGET a flink target, or ALTER PIPELINE … SET (mode = 'batch')."),
        ));
    }
    if kind == "seatunnel" && stored.record.engine != "seatunnel" {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" has engine {}; target \"{}\" runs SeaTunnel jobs",
                stored.record.engine, target.name
            ),
            Some("ALTER PIPELINE … SET (engine = 'seatunnel'), or start it on a flink target."),
        ));
    }
    if savepoint.is_some() && !engine_target {
        return Err(SluiceError::not_supported(
            format!("target \"{}\" of type {kind} does not start from savepoints", target.name),
            None,
        ));
    }
    let tables = if kind == "local" { Tables::Live(ctx.server.engine.catalogs()) } else { Tables::Schemas };
    let plan = plan_in(ctx, stored, tables, interval).await?;
    if !plan.settings().jars.is_empty() && kind != "kubernetes" {
        return Err(SluiceError::not_supported(
            format!(
                "pipeline \"{name}\" names extra jars; target \"{}\" of type {kind} does not deliver jars",
                target.name
            ),
            Some(
                "Put the jars on the cluster (Flink's lib/, SeaTunnel's plugins), or run it on a kubernetes target.",
            ),
        ));
    }
    let secrets = if engine_target { secret_values(ctx.server, &plan).await? } else { HashMap::new() };
    if engine_target {
        crate::deploy::create_sinks::create_sink_tables(ctx.server, &plan, &mut ctx.notices).await?;
    }

    let server = ctx.server;
    let actor = ctx.session.user.clone();
    let id = match resume {
        None => {
            let new = NewDeployment {
                pipeline: name.clone(),
                pipeline_version: stored.record.version,
                target: target.name.clone(),
                engine: if kind == "local" { "datafusion".into() } else { stored.record.engine.clone() },
                state: State::Submitting.as_str().to_owned(),
                started_from: savepoint.map(str::to_owned),
            };
            server.store.create_deployment(&new, &actor).await.map_err(|e| match e {
                StoreError::InUse { .. } => SluiceError::ObjectNotInState(format!(
                    "pipeline \"{name}\" is already running; STOP PIPELINE {name} first"
                )),
                other => other.into(),
            })?
        }
        Some(d) => {
            let change = DeploymentChange {
                started_from: Some(savepoint.map(str::to_owned)),
                last_error: Some(None),
                ..Default::default()
            };
            if !server.deployments.move_to(d.id, State::Submitting, change, &actor).await? {
                return Err(SluiceError::ObjectNotInState(format!(
                    "deployment {} of pipeline \"{name}\" changed meanwhile; see SHOW DEPLOYMENTS",
                    d.id
                )));
            }
            d.id
        }
    };

    let cancel = server.deployments.register(id, ctx.cancel.child_token());
    // unregistered once the outcome is recorded (or the statement is dropped): until then
    // the watchers leave the deployment to this statement
    let _registered = Unregister(&server.deployments, id);
    let job = Job {
        deployment: id,
        plan: &plan,
        secrets: &secrets,
        version: stored.record.version,
        savepoint,
        cancel,
    };
    let submitted = match engine.submit(job).await {
        Ok(done) => Ok(done),
        Err(e) => Err(server.deployments.redact_error(e).await),
    };
    match submitted {
        Ok(done) => {
            let state = done.state.unwrap_or(State::Running);
            let change = DeploymentChange {
                engine_job_id: done.engine_job_id.clone(),
                rows_in: done.rows_in,
                rows_out: done.rows_out,
                ..Default::default()
            };
            let recorded = server.deployments.move_to(id, state, change, &actor).await?;
            // a watcher may have recorded a later state meanwhile (the job already ended)
            let state = match recorded {
                true => state,
                false => match server.store.deployment(id).await? {
                    Some(now) => State::parse(&now.state).unwrap_or(state),
                    None => state,
                },
            };
            for note in done.notes {
                ctx.notices.push(Notice::notice(note));
            }
            ctx.notices.push(Notice::notice(format!(
                "deployment {id} of pipeline \"{name}\" on target \"{}\": {state}",
                target.name
            )));
            Ok(id)
        }
        Err(e) => {
            let stopped = matches!(e, SluiceError::Canceled);
            let state = if stopped { State::Stopped } else { State::Failed };
            let change = DeploymentChange { last_error: Some(Some(e.message())), ..Default::default() };
            server.deployments.move_to(id, state, change, &actor).await?;
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
    }
}

/// The values of the secrets the pipeline's sources name, by secret name.
async fn secret_values(
    server: &ServerState,
    plan: &crate::plan::PipelinePlan,
) -> Result<HashMap<String, Vec<u8>>> {
    let mut values = HashMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for table in &plan.bound.tables {
        if seen.contains(&table.path.source.as_str()) {
            continue;
        }
        seen.push(&table.path.source);
        let source = load_in(server, &table.path.source).await?;
        values.extend(source.secret_values().clone());
    }
    Ok(values)
}

/// The name pipeline `pipeline`'s Flink job has on the cluster (`job_name`, else the
/// pipeline's name).
pub async fn job_name(server: &ServerState, pipeline: &str) -> String {
    let options = server.store.pipeline(pipeline).await.ok().flatten().map(|p| p.options);
    options
        .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok())
        .and_then(|o| o["job_name"].as_str().map(str::to_owned))
        .unwrap_or_else(|| pipeline.to_owned())
}

/// Unregisters a deployment from this gateway's running statements when dropped.
struct Unregister<'a>(&'a crate::deploy::Deployments, i64);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.unregister(self.1);
    }
}
