//! OpenLineage run events for deployments: START when a pipeline's job is submitted (or
//! resumed), RUNNING when the engine runs it, COMPLETE / FAIL / ABORT when it ends — each
//! with the job's inputs and outputs from the pipeline's stored lineage, the column
//! lineage facet where columns are known, and the deployment as the parent run. Events
//! are POSTed to an HTTP endpoint (Marquez, DataHub, any OpenLineage HTTP receiver) or
//! appended to a file, one JSON document per line.
//!
//! An event is built when its state change is reported (so it shows the pipeline as the
//! deployment ran it, even if it is replaced right after) and queued; one background
//! task sends the queue in order. Sending never delays a statement or the watcher, and an
//! unreachable receiver loses events (with a warning) rather than stopping pipelines.

mod event;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use sluice_catalog::Store;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::State;
use crate::config::{OpenLineageConfig, OpenLineageEndpoint};

/// Events waiting to be sent at most; more are dropped with a warning.
const QUEUE: usize = 10_000;

/// Builds and queues events; a background task sends them.
pub struct OpenLineage {
    store: Store,
    namespace: String,
    queue: mpsc::Sender<Value>,
    /// The last state reported per deployment, so that a state written again (a local
    /// job's progress, a START that finds the watcher was first) is one event.
    reported: Mutex<HashMap<i64, State>>,
}

impl OpenLineage {
    /// Starts the sender (on the current tokio runtime).
    pub fn start(config: OpenLineageConfig, store: Store, http: reqwest::Client) -> OpenLineage {
        let (queue, mut events) = mpsc::channel::<Value>(QUEUE);
        let namespace = config.namespace.clone();
        let sender = Sender { config, http };
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let Err(e) = sender.deliver(&event).await {
                    tracing::warn!(error = %e, "cannot send an OpenLineage event");
                }
            }
        });
        OpenLineage { store, namespace, queue, reported: Mutex::new(HashMap::new()) }
    }

    /// Builds and queues the event of deployment `id` entering `state` (none for the
    /// states that are no event — stopping, suspending — for a state reported already,
    /// and for the `directory` target, which runs nothing).
    pub async fn record(&self, id: i64, state: State) {
        let Some(event_type) = event_type(state) else { return };
        if !self.first_report(id, state) {
            return;
        }
        let at = sluice_catalog::time::now_micros();
        match self.event(id, event_type, at).await {
            Ok(Some(event)) => {
                if self.queue.try_send(event).is_err() {
                    tracing::warn!(
                        deployment = id,
                        "OpenLineage event dropped: too many events wait to be sent"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(deployment = id, error = %e, "cannot build an OpenLineage event"),
        }
    }

    /// Whether `state` is news for deployment `id` (remembered until the run ends).
    fn first_report(&self, id: i64, state: State) -> bool {
        let Ok(mut reported) = self.reported.lock() else { return true };
        if reported.get(&id) == Some(&state) {
            return false;
        }
        if state.is_active() {
            reported.insert(id, state);
        } else {
            reported.remove(&id);
        }
        true
    }

    async fn event(
        &self,
        id: i64,
        event_type: &str,
        at: i64,
    ) -> Result<Option<Value>, sluice_catalog::StoreError> {
        let Some(d) = self.store.deployment(id).await? else { return Ok(None) };
        let target = self.store.target(&d.target).await?;
        if target.is_some_and(|t| t.target_type == "directory") {
            return Ok(None);
        }
        event::build(&self.store, &self.namespace, &d, event_type, at).await.map(Some)
    }
}

/// The OpenLineage event type of entering `state`.
fn event_type(state: State) -> Option<&'static str> {
    match state {
        State::Submitting => Some("START"),
        State::Running => Some("RUNNING"),
        State::Finished => Some("COMPLETE"),
        State::Failed => Some("FAIL"),
        State::Stopped | State::Suspended => Some("ABORT"),
        State::Stopping | State::Suspending | State::Rendered => None,
    }
}

/// Where queued events go.
struct Sender {
    config: OpenLineageConfig,
    http: reqwest::Client,
}

impl Sender {
    async fn deliver(&self, event: &Value) -> Result<(), String> {
        match &self.config.endpoint {
            OpenLineageEndpoint::Http(url) => {
                let mut request = self.http.post(url.as_str()).timeout(Duration::from_secs(10)).json(event);
                if let Some(key) = &self.config.api_key {
                    request = request.bearer_auth(&key.0);
                }
                let response = request.send().await.map_err(|e| e.without_url().to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the receiver answered {}", response.status()));
                }
                Ok(())
            }
            OpenLineageEndpoint::File(path) => {
                let mut line = event.to_string();
                line.push('\n');
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                file.write_all(line.as_bytes()).await.map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_the_waiting_ones_is_an_event() {
        let events: Vec<_> = State::ALL.iter().filter_map(|s| event_type(*s)).collect();
        assert_eq!(events, ["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "ABORT"]);
    }
}
