//! The `local` target: batch pipelines run inside the gateway. Each INSERT's query runs
//! in DataFusion over the live source tables (filters pushed down to them) and its rows
//! stream into the sink (each type's [`crate::connectors::sink::LocalSink`]). Every sink
//! is written in its own transaction (files: hidden until committed); once every INSERT
//! has succeeded every sink is prepared (deferred constraints checked, files on disk), and
//! only then are they committed, one after another. A failure before that, or STOP, rolls
//! every sink back; a sink that cannot commit after being prepared (its connection or
//! disk lost) leaves those committed before it. A job is `running` from its start and
//! renews its lease every 10 s while it runs ([`Heartbeat`]); another gateway's watcher
//! fails it only after a minute without one (its gateway died).

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use sluice_catalog::{DeploymentChange, DeploymentRecord};

use super::{Deployer, Job, Observed, State, StopMode, Submitted, Target};
use crate::connectors::access::{self, LoadedSource};
use crate::connectors::live::Check;
use crate::connectors::sink::{self, LocalSink, SinkSpec};
use crate::error::{Result, SluiceError};
use crate::plan::query::sink_query;
use crate::runtime::Runtime;

/// How often progress is written to the store (and so to SHOW DEPLOYMENTS), in rows.
const PROGRESS_EVERY: i64 = 50_000;

/// How often a running local job renews its lease (the deployment's `updated_at`), well
/// within the 60 s after which other gateways' watchers take a silent job for dead.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

/// A job's heartbeat, stopped when dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(store: sluice_catalog::Store, deployment: i64) -> Heartbeat {
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) = store.touch_deployment(deployment).await {
                    tracing::warn!(deployment, error = %e, "cannot renew the local job's lease");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
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
        let _heartbeat = Heartbeat::start(self.rt.store.clone(), job.deployment);
        let batch_size = plan.settings().batch_size.unwrap_or(self.batch_size);
        let mode = plan.settings().write_mode;
        let queries = (0..plan.bound.inserts.len())
            .map(|i| sink_query(plan, i, None, "the local target"))
            .collect::<Result<Vec<_>>>()?;
        let mut sources: HashMap<String, LoadedSource> = HashMap::new();
        let mut writers: Vec<Box<dyn LocalSink>> = Vec::new();
        let mut notes = Vec::new();
        let (mut rows_in, mut rows_out) = (0i64, 0i64);
        let outcome: Result<()> = async {
            for (i, query) in queries.into_iter().enumerate() {
                let insert = &plan.bound.inserts[i];
                let table = &plan.bound.tables[insert.sink];
                if !sources.contains_key(&table.path.source) {
                    sources.insert(
                        table.path.source.clone(),
                        access::load(&self.rt.store, &self.rt.master_key, &table.path.source).await?,
                    );
                }
                let source = &sources[&table.path.source];
                let spec = SinkSpec { table, source, columns: &insert.columns, mode, batch_size };
                let mut writer = sink::open(&spec).await?;
                let read = |e| read_error(e, plan);
                let frame = plan.bound.planner.execute_logical_plan(query).await.map_err(read)?;
                let mut stream = frame.execute_stream().await.map_err(read)?;
                let mut written = 0i64;
                let mut reported = 0i64;
                let result: Result<()> = loop {
                    let next = tokio::select! {
                        _ = job.cancel.cancelled() => break Err(SluiceError::Canceled),
                        next = stream.next() => next,
                    };
                    let Some(batch) = next else { break Ok(()) };
                    let batch = match batch {
                        Ok(b) => b,
                        Err(e) => break Err(read(e)),
                    };
                    if let Err(e) = writer.write(&batch).await {
                        break Err(e);
                    }
                    written += batch.num_rows() as i64;
                    if written - reported >= PROGRESS_EVERY {
                        reported = written;
                        let change = DeploymentChange {
                            rows_in: Some(rows_in + written),
                            rows_out: Some(rows_out + written),
                            ..Default::default()
                        };
                        let _ = self
                            .rt
                            .deployments
                            .move_to(job.deployment, State::Running, change, "local")
                            .await;
                    }
                };
                writers.push(writer);
                result?;
                rows_in += written;
                rows_out += written;
                notes.push(format!("{} rows written to {}", written, table.path));
            }
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            rollback(writers).await;
            return Err(e);
        }
        let mut prepared = Ok(());
        for writer in writers.iter_mut() {
            prepared = writer.prepare().await;
            if prepared.is_err() {
                break;
            }
        }
        if let Err(e) = prepared {
            rollback(writers).await;
            return Err(e);
        }
        // every sink is prepared: what is left can fail only with the sink's connection or
        // disk, and then the sinks committed before it stay committed (see README)
        let mut writers = writers.into_iter();
        while let Some(writer) = writers.next() {
            if let Err(e) = writer.commit().await {
                rollback(writers.collect()).await;
                return Err(e);
            }
        }
        Ok(Submitted {
            engine_job_id: None,
            state: Some(State::Finished),
            rows_in: Some(rows_in),
            rows_out: Some(rows_out),
            notes,
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

/// Rolls every sink of `writers` back.
async fn rollback(writers: Vec<Box<dyn LocalSink>>) {
    for writer in writers {
        writer.rollback().await;
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
/// restarted), an error naming the source(s) the job reads (08001) instead of the driver's
/// words wrapped by DataFusion; otherwise DataFusion's error as usual.
fn read_error(e: datafusion::error::DataFusionError, plan: &crate::plan::PipelinePlan) -> SluiceError {
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
    SluiceError::SourceUnavailable {
        name: read.join("\", \""),
        message: format!("the connection to the source was lost while reading it: {}", cause.trim()),
    }
}
