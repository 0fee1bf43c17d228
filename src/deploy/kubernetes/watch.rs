//! Deployment states from the Kubernetes API's watch: one kube-runtime watcher per
//! `kubernetes` target on the FlinkDeployments (or FlinkSessionJobs) labelled
//! `app.kubernetes.io/managed-by=sluice`. Every status the operator writes for the spec
//! it has caught up with moves the deployment the resource is labelled with
//! (`sluice.io/deployment`) along the state machine — each move is an event in
//! `sluice.events` —, a finished batch job's FlinkDeployment is deleted (its history stays
//! in Sluice), and a resource deleted behind Sluice's back fails its deployment. A second
//! watch records the operator's Kubernetes Events about them in `sluice.events`, as the
//! first does each savepoint the status history lists. Nothing polls.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event as CoreEvent;
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use sluice_catalog::DeploymentChange;
use tokio_util::sync::CancellationToken;

use super::{KubernetesDeployer, client, object_value, resource, status};
use crate::compile::kubernetes::{BOUNDED_LABEL, DEPLOYMENT_LABEL, MANAGED_BY, Settings, resource_name};
use crate::deploy::{State, Target};
use crate::runtime::Runtime;

/// Watches `target` until the stream ends or `stop` is cancelled; an event being applied
/// is applied to its end first.
pub async fn run(rt: Arc<Runtime>, target: Target, stop: CancellationToken) {
    let settings = Settings::from_resolved(target.options.clone());
    let client = match client(&target.name, &settings).await {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(target = %target.name, error = %e, "cannot watch the Kubernetes target");
            // the deployment watcher starts another watch on its next round
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            return;
        }
    };
    let (kind, namespace) = (settings.kind(), settings.namespace());
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &namespace, &resource(kind));
    let operator =
        operator_events(rt.clone(), client, target.name.clone(), namespace.clone(), kind, stop.clone());
    let resources = resources(rt, api, target, kind, stop);
    futures::future::join(resources, operator).await;
}

/// The resources' states, as the operator writes them.
async fn resources(
    rt: Arc<Runtime>,
    api: Api<DynamicObject>,
    target: Target,
    kind: &'static str,
    stop: CancellationToken,
) {
    let config = watcher::Config::default().labels(MANAGED_BY);
    let mut events = std::pin::pin!(watcher::watcher(api.clone(), config).default_backoff());
    // the resources a (re)list found, to tell which running deployments lost theirs
    let mut listed: Vec<String> = Vec::new();
    // the savepoints already known, so each new one is recorded once
    let mut savepoints: HashSet<String> = HashSet::new();
    tracing::info!(target = %target.name, kind, "watching the Flink operator's resources");
    while let Some(event) = next(&mut events, &stop).await {
        let outcome = match event {
            Ok(Event::Apply(object)) => match record_savepoints(&rt, &object, &mut savepoints, true).await {
                Ok(()) => on_change(&rt, &api, kind, &object).await,
                Err(e) => Err(e),
            },
            Ok(Event::InitApply(object)) => {
                listed.push(object.metadata.name.clone().unwrap_or_default());
                // what a (re)list shows was there before: known, not recorded again
                match record_savepoints(&rt, &object, &mut savepoints, false).await {
                    Ok(()) => on_change(&rt, &api, kind, &object).await,
                    Err(e) => Err(e),
                }
            }
            Ok(Event::Delete(object)) => {
                let name = object.metadata.name.clone().unwrap_or_default();
                match deployment_of(&object) {
                    Some(id) => lost(&rt, kind, &name, id, Some(&object)).await,
                    None => Ok(()),
                }
            }
            Ok(Event::Init) => {
                listed.clear();
                Ok(())
            }
            Ok(Event::InitDone) => missing(&rt, &api, &target, kind, &listed).await,
            Err(e) => {
                tracing::warn!(target = %target.name, error = %e, "Kubernetes watch interrupted");
                Ok(())
            }
        };
        if let Err(e) = outcome {
            tracing::warn!(target = %target.name, error = %e, "cannot apply an operator status");
        }
    }
}

/// The operator's Kubernetes Events about `kind` resources, recorded in `sluice.events`
/// (action `engine event`, actor `kubernetes operator`) for the pipeline they concern.
async fn operator_events(
    rt: Arc<Runtime>,
    client: kube::Client,
    target: String,
    namespace: String,
    kind: &'static str,
    stop: CancellationToken,
) {
    let api: Api<CoreEvent> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("involvedObject.kind={kind}"));
    let mut events = std::pin::pin!(watcher::watcher(api, config).default_backoff());
    while let Some(event) = next(&mut events, &stop).await {
        // the operator repeats an event by raising its count: each is recorded once
        let (event, listed) = match event {
            Ok(Event::Apply(event)) => (event, false),
            Ok(Event::InitApply(event)) => (event, true),
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!(target = %target, error = %e, "operator events watch interrupted");
                continue;
            }
        };
        if event.count.unwrap_or(1) > 1 {
            continue;
        }
        if let Err(e) = record(&rt, &target, kind, &event, listed).await {
            tracing::warn!(target = %target, error = %e, "cannot record an operator event");
        }
    }
}

/// The stream's next item, or `None` once `stop` is cancelled.
async fn next<S: futures::Stream + Unpin>(events: &mut S, stop: &CancellationToken) -> Option<S::Item> {
    tokio::select! {
        _ = stop.cancelled() => None,
        event = events.next() => event,
    }
}

async fn record(
    rt: &Runtime,
    target: &str,
    kind: &str,
    event: &CoreEvent,
    listed: bool,
) -> crate::error::Result<()> {
    let Some(name) = event.involved_object.name.as_deref() else { return Ok(()) };
    let active = rt.store.deployments_in(State::ACTIVE).await?;
    let Some(d) = active.iter().find(|d| d.target == target && resource_name(&d.pipeline) == name) else {
        return Ok(());
    };
    // a watch opened after the deployment began lists what the operator said meanwhile:
    // those of its events are recorded too (Kubernetes times have whole seconds)
    if listed && event_micros(event).is_none_or(|at| at < d.created_at - 1_000_000) {
        return Ok(());
    }
    let detail = format!(
        "{kind} {name}: {} {}: {}",
        event.type_.as_deref().unwrap_or("Normal"),
        event.reason.as_deref().unwrap_or("-"),
        event.message.as_deref().unwrap_or_default().trim()
    );
    let detail = rt.deployments.redact(&detail).await;
    rt.store.record_engine_event_once(&d.pipeline, "kubernetes operator", &detail, d.created_at).await?;
    Ok(())
}

/// When `event` happened, in microseconds since the epoch: its last occurrence, as the
/// operator's `events.k8s.io` or core/v1 fields or, failing those, the API server says.
fn event_micros(event: &CoreEvent) -> Option<i64> {
    let micro = event.event_time.as_ref().map(|t| t.0.as_microsecond());
    let time = [&event.last_timestamp, &event.first_timestamp, &event.metadata.creation_timestamp]
        .into_iter()
        .find_map(|t| t.as_ref().map(|t| t.0.as_microsecond()));
    micro.or(time)
}

/// The savepoint history of the status: each savepoint new to this watch is recorded in
/// `sluice.events` for the pipeline (when `record`).
async fn record_savepoints(
    rt: &Runtime,
    object: &DynamicObject,
    known: &mut HashSet<String>,
    record: bool,
) -> crate::error::Result<()> {
    let pipeline = object.metadata.annotations.as_ref().and_then(|a| a.get("sluice.io/pipeline"));
    let Some(pipeline) = pipeline else { return Ok(()) };
    for (location, trigger) in status::savepoints(&object_value(object)) {
        if known.insert(location.clone()) && record {
            let detail = format!("savepoint {location} ({trigger})");
            rt.store.record_engine_event(pipeline, "kubernetes operator", &detail).await?;
        }
    }
    Ok(())
}

fn deployment_of(object: &DynamicObject) -> Option<i64> {
    object.metadata.labels.as_ref()?.get(DEPLOYMENT_LABEL)?.parse().ok()
}

async fn on_change(
    rt: &Runtime,
    api: &Api<DynamicObject>,
    kind: &str,
    object: &DynamicObject,
) -> crate::error::Result<()> {
    let Some(id) = deployment_of(object) else { return Ok(()) };
    let value = object_value(object);
    let Some(seen) = status::observed(&value) else { return Ok(()) };
    // a status written for an older spec says nothing about this deployment yet — except
    // a failure, which an operator that cannot reconcile the new spec may never get past
    if seen.state != State::Failed && !status::caught_up(&value, object.metadata.generation) {
        return Ok(());
    }
    let name = object.metadata.name.clone().unwrap_or_default();
    // START may be waiting for the same status: whichever applies it first wins, the
    // state machine refuses the other's move if it no longer fits
    let Some(d) = rt.store.deployment(id).await? else { return Ok(()) };
    if rt.deployments.observe(&d, seen.clone()).await? {
        tracing::info!(deployment = id, resource = %name, state = %seen.state, "operator status applied");
    }
    // a finished batch job's cluster is released once its end is recorded, whoever recorded
    // it (START, which releases it too when it saw the end itself, may still be at work:
    // deleting twice is harmless, never deleting is not)
    let bounded = object.metadata.labels.as_ref().and_then(|l| l.get(BOUNDED_LABEL)).map(String::as_str);
    if seen.state == State::Finished
        && bounded == Some("true")
        && kind == "FlinkDeployment"
        && object.metadata.deletion_timestamp.is_none()
        && rt.store.deployment(id).await?.is_some_and(|d| d.state == State::Finished)
    {
        KubernetesDeployer::release_finished(api, &name, object.metadata.uid.clone()).await;
    }
    Ok(())
}

/// Running deployments of `target` whose resource a (re)list did not find: deleted while
/// no watch was open.
async fn missing(
    rt: &Runtime,
    api: &Api<DynamicObject>,
    target: &Target,
    kind: &str,
    listed: &[String],
) -> crate::error::Result<()> {
    for d in rt.store.deployments_in(&[State::Running]).await? {
        let name = resource_name(&d.pipeline);
        if d.target != target.name || listed.contains(&name) {
            continue;
        }
        // created after the list was taken? then it is there now
        match api.get_opt(&name).await {
            Ok(None) => lost(rt, kind, &name, d.id, None).await?,
            Ok(Some(_)) => {}
            Err(e) => {
                tracing::debug!(resource = %name, error = %e, "cannot check a resource the list missed")
            }
        }
    }
    Ok(())
}

/// Deployment `id`'s resource is gone. A job still active there failed — unless the
/// resource's last status (`last`) says it finished.
async fn lost(
    rt: &Runtime,
    kind: &str,
    name: &str,
    id: i64,
    last: Option<&DynamicObject>,
) -> crate::error::Result<()> {
    let Some(d) = rt.store.deployment(id).await? else { return Ok(()) };
    if !d.state.is_active() || rt.deployments.runs_here(id) {
        return Ok(());
    }
    let ended = last.and_then(|o| status::observed(&object_value(o))).filter(|s| s.state == State::Finished);
    if let Some(seen) = ended {
        rt.deployments.observe(&d, seen).await?;
        return Ok(());
    }
    let change = DeploymentChange {
        last_error: Some(Some(format!("{kind} {name} was deleted outside Sluice while its job ran"))),
        ..Default::default()
    };
    rt.deployments.move_to(id, State::Failed, change, "watcher").await?;
    Ok(())
}
