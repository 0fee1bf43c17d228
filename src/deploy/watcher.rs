//! Moves deployments forward without a client asking: every second it asks each active
//! deployment's engine for its job's state ([`super::Deployer::observe`]) and applies
//! it. A target that does not answer is asked again later, with exponential backoff (up
//! to 30 s), and its deployments keep their state meanwhile. Kubernetes targets are not
//! asked: while one has active deployments, a Kubernetes watch on it
//! ([`super::kubernetes::watch`]) applies what the operator reports.
//!
//! It also re-attaches after a restart: a deployment left `submitting` by a gateway that
//! died mid-submission is observed by the job id recorded before the submission was sent
//! (Flink, SeaTunnel), never submitted again, and fails once the target's
//! `submit_timeout` passes without the job; a local job whose gateway died is marked
//! failed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_catalog::{DeploymentChange, DeploymentRecord};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::target_types::Observation;
use super::{State, Target, deployer};
use crate::deploy::targets;
use crate::runtime::Runtime;

const TICK: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A local job whose progress has not been written for this long lost its gateway.
const LOCAL_STALE: Duration = Duration::from_secs(60);

struct Backoff {
    next: Instant,
    delay: Duration,
}

/// Runs until `shutdown` turns true.
pub async fn run(rt: Arc<Runtime>, mut shutdown: watch::Receiver<bool>) {
    let mut backoff: HashMap<String, Backoff> = HashMap::new();
    let mut last_poll: HashMap<String, Instant> = HashMap::new();
    // a kube watch is stopped between two events, never in the middle of applying one (a
    // finished batch job's state is recorded and then its cluster deleted: both or none)
    let mut kube_watches: HashMap<String, (tokio::task::JoinHandle<()>, CancellationToken)> = HashMap::new();
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(TICK) => false,
            _ = shutdown.wait_for(|stop| *stop) => true,
        };
        if stopping {
            // each watch finishes the event it is applying (within a bound), so nothing is
            // left half done when the store closes
            kube_watches.values().for_each(|(_, stop)| stop.cancel());
            let ended = futures::future::join_all(kube_watches.into_values().map(|(task, _)| task));
            if tokio::time::timeout(Duration::from_secs(10), ended).await.is_err() {
                tracing::warn!("a Kubernetes watch did not end within 10 s of shutdown");
            }
            return;
        }
        let active = match rt.store.deployments_in(&[State::Submitting, State::Running]).await {
            Ok(active) => active,
            Err(e) => {
                tracing::debug!(error = %e, "watcher cannot read deployments");
                continue;
            }
        };
        let mut by_target: HashMap<String, Vec<DeploymentRecord>> = HashMap::new();
        for d in active {
            by_target.entry(d.target.clone()).or_default().push(d);
        }
        kube_watches.retain(|name, (task, stop)| {
            let keep = by_target.contains_key(name) && !task.is_finished();
            if !keep {
                stop.cancel();
            }
            keep
        });
        for (name, deployments) in by_target {
            if backoff.get(&name).is_some_and(|b| Instant::now() < b.next) {
                continue;
            }
            let Ok(target) = targets::load(&rt.store, &rt.master_key, &name).await else { continue };
            if target.target_type.observation == Observation::Watch {
                for d in &deployments {
                    if let Err(e) = fail_interrupted(&rt, &target, d, "timeout").await {
                        tracing::debug!(deployment = d.id, error = %e, "cannot record an interrupted submission");
                    }
                }
                kube_watches.entry(name).or_insert_with(|| {
                    let stop = CancellationToken::new();
                    let watch = super::kubernetes::watch::run(rt.clone(), target, stop.clone());
                    (tokio::spawn(watch), stop)
                });
                continue;
            }
            let interval = Duration::from_millis(target.millis("poll_interval").unwrap_or(1000));
            if last_poll.get(&name).is_some_and(|t| t.elapsed() < interval) {
                continue;
            }
            last_poll.insert(name.clone(), Instant::now());
            match watch_target(&rt, &target, &deployments).await {
                Ok(()) => {
                    backoff.remove(&name);
                }
                Err(e) => {
                    let e = rt.deployments.redact_error(e).await;
                    let delay =
                        backoff.get(&name).map_or(Duration::from_secs(1), |b| (b.delay * 2).min(MAX_BACKOFF));
                    tracing::warn!(target = %name, error = %e, retry_in = ?delay, "target did not answer the watcher");
                    backoff.insert(name, Backoff { next: Instant::now() + delay, delay });
                }
            }
        }
    }
}

async fn watch_target(
    rt: &Runtime,
    target: &Target,
    deployments: &[DeploymentRecord],
) -> crate::error::Result<()> {
    let engine = deployer(target, rt)?;
    for d in deployments {
        if rt.deployments.runs_here(d.id) {
            continue; // its statement is still at work
        }
        match target.target_type.observation {
            Observation::InGateway => {
                let why = "the gateway that ran this local job stopped before it finished";
                fail_after(rt, d, d.updated_at, LOCAL_STALE, why.into()).await?
            }
            // an interrupted submission: the job has the id recorded before it was sent, if
            // the engine got it
            Observation::PollById if d.state == State::Submitting => match engine.observe(d).await {
                Ok(Some(seen)) => {
                    rt.deployments.observe(d, seen).await?;
                }
                Ok(None) | Err(_) => fail_interrupted(rt, target, d, "submit_timeout").await?,
            },
            _ => {
                if let Some(seen) = engine.observe(d).await? {
                    rt.deployments.observe(d, seen).await?;
                }
            }
        }
    }
    Ok(())
}

/// A submission no statement is waiting for any more (its gateway stopped mid-way) whose
/// job the target does not report: failed once the target's timeout (option
/// `timeout_key`) has passed, so the pipeline can be started again.
async fn fail_interrupted(
    rt: &Runtime,
    target: &Target,
    d: &DeploymentRecord,
    timeout_key: &str,
) -> crate::error::Result<()> {
    if d.state != State::Submitting || rt.deployments.runs_here(d.id) {
        return Ok(());
    }
    let mut timeout = Duration::from_millis(target.millis(timeout_key).unwrap_or(300_000));
    if target.target_type.observation == Observation::Watch {
        // a START there may first wait for an earlier resource to go, then for its job
        timeout = timeout * 2 + Duration::from_secs(60);
    }
    let why = format!(
        "the submission was interrupted (the gateway stopped) and target {} reported no job for it within {timeout:?}",
        target.name
    );
    fail_after(rt, d, d.since, timeout, why).await
}

/// Fails deployment `d` with `why` once `timeout` has passed since `since` (microseconds).
async fn fail_after(
    rt: &Runtime,
    d: &DeploymentRecord,
    since: i64,
    timeout: Duration,
    why: String,
) -> crate::error::Result<()> {
    let waited = Duration::from_micros((sluice_catalog::time::now_micros() - since).max(0) as u64);
    if waited > timeout {
        let change = DeploymentChange { last_error: Some(Some(why)), ..Default::default() };
        rt.deployments.move_to(d.id, State::Failed, change, "watcher").await?;
    }
    Ok(())
}
