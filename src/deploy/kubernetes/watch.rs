//! Deployment states from the Kubernetes API's watch: one kube-runtime watcher per
//! `kubernetes` target on the FlinkDeployments (or FlinkSessionJobs) labelled
//! `app.kubernetes.io/managed-by=sluice`. Every status the operator writes moves the
//! deployment it is labelled with (`sluice.io/deployment`) along the state machine —
//! each move is an event in `sluice.events` — and a finished batch job's FlinkDeployment
//! is deleted (its history stays in Sluice). Nothing polls.

use std::sync::Arc;

use futures::StreamExt;
use kube::api::{Api, DeleteParams, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};

use super::status;
use super::{client, object_value, resource};
use crate::compile::kubernetes::{BOUNDED_LABEL, DEPLOYMENT_LABEL, MANAGED_BY, Settings};
use crate::deploy::{State, Target};
use crate::server::state::ServerState;

/// Watches `target` until the stream ends or the task is aborted.
pub async fn run(server: Arc<ServerState>, target: Target) {
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
    let kind = if settings.get("mode").as_deref() == Some("session") {
        "FlinkSessionJob"
    } else {
        "FlinkDeployment"
    };
    let namespace = settings.get("namespace").unwrap_or_else(|| "default".into());
    let api: Api<DynamicObject> = Api::namespaced_with(client, &namespace, &resource(kind));
    let config = watcher::Config::default().labels(MANAGED_BY);
    let mut changes = std::pin::pin!(watcher(api.clone(), config).default_backoff().applied_objects());
    tracing::info!(target = %target.name, kind, namespace = %namespace, "watching the Flink operator's resources");
    while let Some(change) = changes.next().await {
        match change {
            Ok(object) => {
                if let Err(e) = on_change(&server, &api, kind, &object).await {
                    tracing::warn!(target = %target.name, error = %e, "cannot apply an operator status");
                }
            }
            Err(e) => tracing::warn!(target = %target.name, error = %e, "Kubernetes watch interrupted"),
        }
    }
}

async fn on_change(
    server: &ServerState,
    api: &Api<DynamicObject>,
    kind: &str,
    object: &DynamicObject,
) -> crate::error::Result<()> {
    let labels = object.metadata.labels.clone().unwrap_or_default();
    let Some(id) = labels.get(DEPLOYMENT_LABEL).and_then(|v| v.parse::<i64>().ok()) else { return Ok(()) };
    let value = object_value(object);
    let Some(seen) = status::observed(&value) else { return Ok(()) };
    let name = object.metadata.name.clone().unwrap_or_default();
    if let Some(d) = server.store.deployment(id).await?
        && !server.deployments.runs_here(id)
        && server.deployments.observe(&d, seen.clone()).await?
    {
        tracing::info!(deployment = id, resource = %name, state = %seen.state, "operator status applied");
    }
    let bounded = labels.get(BOUNDED_LABEL).map(String::as_str) == Some("true");
    if seen.state == State::Finished
        && bounded
        && kind == "FlinkDeployment"
        && object.metadata.deletion_timestamp.is_none()
    {
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {
                tracing::info!(deployment = id, resource = %name, "finished batch FlinkDeployment deleted")
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => {
                tracing::warn!(resource = %name, error = %e, "cannot delete a finished FlinkDeployment")
            }
        }
    }
    Ok(())
}
