//! The `local` target: batch pipelines run inside the gateway. Each INSERT's query runs
//! in DataFusion over the live source tables (filters pushed down to them) and its rows
//! stream into the sink (each type's [`crate::connectors::sink::LocalSink`]), several
//! tables at once ([`copy`]: `workers`, one sink connection per worker and server). With
//! `transaction = 'job'` (pipelines' default) nothing is committed until every INSERT
//! has succeeded and every sink is prepared (deferred constraints checked, files on
//! disk); with `'table'` (syncs') each table is committed as soon as it is written. A
//! failure, or STOP, rolls back whatever is not committed; a sink that cannot commit
//! after being prepared (its connection or disk lost) leaves those committed before it.
//! A job is `running` from its start and renews its lease every 10 s while it runs
//! ([`heartbeat`]); another gateway's watcher fails it only after a minute without one
//! (its gateway died).

mod copy;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use sluice_catalog::{DeploymentChange, DeploymentRecord};

use super::{Deployer, Deployments, Job, Observed, State, StopMode, Submitted, Target};
use crate::connectors::access::{self, LoadedSource};
use crate::connectors::live::Check;
use crate::error::{Result, SluiceError};
use crate::plan::query::sink_query;
use crate::runtime::Runtime;

/// How often progress is written to the store (and so to SHOW DEPLOYMENTS), in rows.
const PROGRESS_EVERY: i64 = 50_000;

/// How often a running local job renews its lease (the deployment's `updated_at`), well
/// within the 60 s after which other gateways' watchers take a silent job for dead.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

/// A task of a running job (its heartbeat, its progress, a table's reader), aborted
/// when dropped.
struct Task(tokio::task::JoinHandle<()>);

impl Task {
    fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) -> Task {
        Task(tokio::spawn(work))
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A job's heartbeat: its lease renewed every [`HEARTBEAT`].
fn heartbeat(store: sluice_catalog::Store, deployment: i64) -> Task {
    Task::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(e) = store.touch_deployment(deployment).await {
                tracing::warn!(deployment, error = %e, "cannot renew the local job's lease");
            }
        }
    })
}

/// Writes a running job's row count to the store (and so to SHOW DEPLOYMENTS) every
/// [`PROGRESS_EVERY`] rows, checked each second.
fn progress(deployments: Arc<Deployments>, deployment: i64, rows: Arc<AtomicI64>) -> Task {
    Task::spawn(async move {
        let mut reported = 0;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let now = rows.load(Ordering::Relaxed);
            if now - reported < PROGRESS_EVERY {
                continue;
            }
            reported = now;
            let change = DeploymentChange { rows_in: Some(now), rows_out: Some(now), ..Default::default() };
            let _ = deployments.move_to(deployment, State::Running, change, "local").await;
        }
    })
}

pub struct LocalDeployer<'a> {
    rt: &'a Runtime,
    batch_size: usize,
}

/// The deployer of a local target (its `TargetType::deployer`).
pub fn make<'a>(target: &Target, rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    Ok(Box::new(LocalDeployer::new(target, rt)))
}

impl<'a> LocalDeployer<'a> {
    pub fn new(target: &Target, rt: &'a Runtime) -> LocalDeployer<'a> {
        let batch_size = target.text("batch_size").and_then(|b| b.parse().ok()).unwrap_or(5000);
        LocalDeployer { rt, batch_size }
    }
}

#[async_trait]
impl Deployer for LocalDeployer<'_> {
    async fn submit(&self, job: Job<'_>) -> Result<Submitted> {
        let plan = job.plan;
        if plan.settings().streaming {
            return Err(SluiceError::not_supported(
                format!(
                    "pipeline \"{}\" is a streaming pipeline; the local target runs batch pipelines only",
                    plan.name
                ),
                Some("Start it ON TARGET a flink target, or set mode = 'batch'."),
            ));
        }
        // running from the start (STOP reaches it at once), its lease renewed while it runs
        self.rt
            .deployments
            .move_to(job.deployment, State::Running, DeploymentChange::default(), "local")
            .await?;
        let _heartbeat = heartbeat(self.rt.store.clone(), job.deployment);
        let settings = plan.settings();
        let mut copies = Vec::with_capacity(plan.bound.inserts.len());
        let mut sinks: HashMap<String, LoadedSource> = HashMap::new();
        for (i, insert) in plan.bound.inserts.iter().enumerate() {
            let query = sink_query(plan, i, None, "the local target")?;
            let table = &plan.bound.tables[insert.sink];
            if !sinks.contains_key(&table.path.source) {
                let loaded = access::load(&self.rt.store, &self.rt.master_key, &table.path.source).await?;
                sinks.insert(table.path.source.clone(), loaded);
            }
            copies.push(copy::Copy { query, table: table.clone(), columns: insert.columns.clone() });
        }
        let copying = copy::Settings {
            workers: settings.workers.unwrap_or_else(default_workers),
            scope: settings.transaction,
            mode: settings.write_mode,
            batch_size: settings.batch_size.unwrap_or(self.batch_size),
            read: read_sources(plan),
        };
        let rows = Arc::new(AtomicI64::new(0));
        let _progress = progress(self.rt.deployments.clone(), job.deployment, rows.clone());
        let planner = plan.bound.planner.clone();
        let copied = copy::run(copies, sinks, planner, copying, &job.cancel, rows).await?;
        let total: i64 = copied.iter().map(|c| c.rows).sum();
        Ok(Submitted {
            engine_job_id: None,
            state: Some(State::Finished),
            rows_in: Some(total),
            rows_out: Some(total),
            notes: notes(&copied),
        })
    }

    async fn stop(&self, d: &DeploymentRecord, mode: StopMode) -> Result<Option<String>> {
        let savepoint = mode.savepoint();
        if savepoint {
            return Err(SluiceError::not_supported(
                "the local target takes no savepoints: its batch jobs restart from the beginning",
                Some("Use STOP PIPELINE without WITH SAVEPOINT."),
            ));
        }
        if !self.rt.deployments.cancel_local(d.id) {
            return Err(SluiceError::ObjectNotInState(format!(
                "deployment {} of pipeline \"{}\" runs in another gateway",
                d.id, d.pipeline
            )));
        }
        Ok(None)
    }

    async fn observe(&self, _: &DeploymentRecord) -> Result<Option<Observed>> {
        Ok(None)
    }

    async fn test(&self) -> Vec<Check> {
        vec![Check { check: "local", ok: true, latency_ms: 0.0, detail: "runs inside the gateway".into() }]
    }
}

/// What a broken connection to a source reads as, in the drivers' words (tokio-postgres,
/// mysql_async, the OS) inside DataFusion's and the table providers' wrapping.
const CONNECTION_LOST: &[&str] = &[
    "connection closed",
    "connection refused",
    "connection reset",
    "broken pipe",
    "unexpected eof",
    "terminating connection",
    "server closed the connection",
    "lost connection",
    "error communicating with",
];

/// A read that failed: when a source's connection broke (its server stopped or
/// restarted), an error naming the source(s) the job reads, `read` (08001), instead of
/// the driver's words wrapped by DataFusion; otherwise DataFusion's error as usual.
fn read_error(e: datafusion::error::DataFusionError, read: &str) -> SluiceError {
    let text = e.to_string();
    let error = SluiceError::from(e);
    if matches!(error, SluiceError::SourceUnavailable { .. }) {
        return error;
    }
    let lost = |line: &&str| {
        let line = line.to_lowercase();
        CONNECTION_LOST.iter().any(|m| line.contains(m))
    };
    let Some(cause) = text.lines().find(lost) else { return error };
    SluiceError::SourceUnavailable {
        name: read.to_owned(),
        message: format!("the connection to the source was lost while reading it: {}", cause.trim()),
    }
}

/// The sources the job reads (not its sinks), as an error names them.
fn read_sources(plan: &crate::plan::PipelinePlan) -> String {
    let sinks: Vec<usize> = plan.bound.inserts.iter().map(|i| i.sink).collect();
    let mut read: Vec<&str> = plan
        .bound
        .tables
        .iter()
        .enumerate()
        .filter(|(i, t)| !sinks.contains(i) && t.source_type.introspects)
        .map(|(_, t)| t.path.source.as_str())
        .collect();
    read.sort_unstable();
    read.dedup();
    read.join("\", \"")
}

/// The gateway's cores: how many tables a job copies at once unless told.
fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(16)
}

/// Tables listed one by one in the notes up to this many; beyond, a summary.
const NOTED_TABLES: usize = 20;

/// What START tells about the copy: rows and seconds per table, or for a wide job the
/// totals and the slowest tables.
fn notes(copied: &[copy::Copied]) -> Vec<String> {
    let line = |c: &copy::Copied| format!("{} rows written to {} in {:.2} s", c.rows, c.table, c.seconds);
    if copied.len() <= NOTED_TABLES {
        return copied.iter().map(line).collect();
    }
    let total: i64 = copied.iter().map(|c| c.rows).sum();
    let mut slowest: Vec<&copy::Copied> = copied.iter().collect();
    slowest.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    let mut out = vec![format!("{total} rows written to {} tables", copied.len())];
    out.extend(slowest.iter().take(3).map(|c| format!("slowest: {}", line(c))));
    out
}
