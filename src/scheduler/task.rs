//! One attempt of one task: START of the task's pipeline (as the schedule's owner, with
//! the run's interval), then waiting for its deployment to end. A timeout or a cancel
//! stops the deployment — a local job rolls back, an engine's job is cancelled — and
//! waits until it has.

use std::sync::Arc;
use std::time::Duration;

use sluice_catalog::DeploymentChange;
use tokio_util::sync::CancellationToken;

use crate::deploy::{State, deployer, targets};
use crate::error::{Result, SluiceError};
use crate::runtime::Runtime;
use crate::service::Actor;
use crate::service::deployments::{StartNamed, start_pipeline};
use crate::sql::placeholders::Interval;

const POLL: Duration = Duration::from_millis(200);

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed(String),
    /// The task's or the run's time ran out; the deployment was cancelled.
    TimedOut(String),
    /// The run was cancelled (or its gateway lost the run) while the attempt ran.
    Cancelled,
}

/// What an attempt needs.
pub struct Attempt {
    pub rt: Arc<Runtime>,
    /// The schedule's owner: tasks run with that role's rights.
    pub owner: String,
    pub pipeline: String,
    pub interval: Interval,
    /// The schedule's `target` option.
    pub target: Option<String>,
    pub timeout: Option<Duration>,
    /// Cancelled when the run times out or its lease is lost.
    pub cancel: CancellationToken,
    /// An engine deployment of an earlier gateway to wait for instead of submitting.
    pub adopt: Option<i64>,
    /// The run and this gateway's name (the deployment is recorded on the task, fenced).
    pub run: i64,
    pub me: String,
}

impl Attempt {
    pub async fn run(self) -> Outcome {
        let own = self.cancel.child_token();
        let work = self.work(own.clone());
        tokio::pin!(work);
        let timeout = async {
            match self.timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = &mut work => match result {
                Ok(()) => Outcome::Succeeded,
                Err(SluiceError::Canceled) => Outcome::Cancelled,
                Err(e) if self.cancel.is_cancelled() && matches!(e, SluiceError::Query { .. }) => Outcome::Cancelled,
                Err(e) => Outcome::Failed(format!("{} (SQLSTATE {})", e.message(), e.sqlstate().code())),
            },
            _ = timeout => {
                own.cancel();
                let _ = work.await;
                let limit = self.timeout.map(|t| format!("{t:?}")).unwrap_or_default();
                Outcome::TimedOut(format!("task \"{}\" took longer than task_timeout {limit}; its deployment was cancelled", self.pipeline))
            }
        }
    }

    async fn work(&self, cancel: CancellationToken) -> Result<()> {
        let id = match self.adopt {
            Some(id) => id,
            None => {
                let id = self.submit(cancel.clone()).await?;
                let change = sluice_catalog::TaskChange { deployment: Some(Some(id)), ..Default::default() };
                self.rt.store.set_task(self.run, &self.pipeline, &self.me, &change).await?;
                id
            }
        };
        wait_for_end(&self.rt, id, &cancel).await
    }

    /// STARTs the pipeline as the schedule's owner (its rights as they are now); returns
    /// its deployment (a local job has ended by then). Notices go to the log.
    async fn submit(&self, cancel: CancellationToken) -> Result<i64> {
        crate::service::sources::publish_missing(&self.rt).await?;
        let actor = Actor::new(self.owner.clone());
        let mut notices = Vec::new();
        let named = StartNamed {
            pipeline: &self.pipeline,
            target: self.target.as_deref(),
            savepoint: None,
            interval: Some(&self.interval),
        };
        let started = start_pipeline(&self.rt, &actor, named, cancel, &mut notices).await;
        for notice in notices {
            tracing::debug!(pipeline = %self.pipeline, run = self.run, "{}", notice.message);
        }
        started
    }
}

/// Waits until deployment `id` has ended: `Ok` when it finished, its error when it failed
/// or was stopped. `cancel` stops it (and then waits for the stop).
pub async fn wait_for_end(rt: &Runtime, id: i64, cancel: &CancellationToken) -> Result<()> {
    loop {
        let d = rt
            .store
            .deployment(id)
            .await?
            .ok_or_else(|| SluiceError::Internal(format!("deployment {id} disappeared")))?;
        match d.state {
            State::Finished => return Ok(()),
            State::Failed | State::Stopped | State::Suspended => {
                return Err(SluiceError::EngineRejected {
                    target: d.target.clone(),
                    message: d
                        .last_error
                        .clone()
                        .unwrap_or_else(|| format!("deployment {id} ended {}", d.state)),
                });
            }
            _ => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => {
                stop(rt, id).await;
                return Err(SluiceError::Canceled);
            }
        }
    }
}

/// Cancels deployment `id` on its engine and records it stopped (best effort: a failure
/// is logged; the watcher still follows the job).
pub async fn stop(rt: &Runtime, id: i64) {
    let Ok(Some(d)) = rt.store.deployment(id).await else { return };
    if !d.state.is_active() {
        return;
    }
    let result = async {
        let target = targets::load(&rt.store, &rt.master_key, &d.target).await?;
        let engine = deployer(&target, rt)?;
        rt.deployments.move_to(d.id, State::Stopping, DeploymentChange::default(), "scheduler").await?;
        engine.stop(&d, crate::deploy::StopMode::Cancel).await?;
        let change = DeploymentChange {
            last_error: Some(Some("cancelled by its schedule (timeout)".into())),
            ..Default::default()
        };
        rt.deployments.move_to(d.id, State::Stopped, change, "scheduler").await?;
        Ok::<_, SluiceError>(())
    }
    .await;
    if let Err(e) = result {
        let e = rt.deployments.redact_error(e).await;
        tracing::warn!(deployment = id, error = %e.message(), "a schedule could not stop its deployment");
    }
}
