//! Running pipelines: targets, deployments and their state machine.
//!
//! A *deployment* is one START of a pipeline on a target, persisted in the store from
//! the moment it is asked for, so that nothing is submitted twice and a restarted
//! gateway finds its jobs again. Its state moves along explicit edges ([`State::can_move_to`]):
//!
//! ```text
//! submitting ─► running ─► finished | failed
//!     │            ├─► stopping ─► stopped          (STOP [WITH SAVEPOINT])
//!     │            └─► suspending ─► suspended       (SUSPEND)
//!     └─► failed | stopped (cancelled early)   stopped/suspended ─► submitting (RESUME)
//! ```
//!
//! A [`Deployer`] per target type talks to the engine; the [`watcher`] moves states
//! forward without a client asking (Flink: REST polling with backoff — a Kubernetes
//! watch plugs in as another source of [`Observed`] states).

pub mod create_sinks;
pub mod directory;
pub mod flink;
pub mod kubernetes;
pub mod local;
pub mod openlineage;
pub mod rest;
pub mod seatunnel;
pub mod target_types;
pub mod targets;
pub mod watcher;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sluice_catalog::{DeploymentChange, DeploymentRecord, Store};
use tokio_util::sync::CancellationToken;

use crate::connectors::live::Check;
use crate::error::{Result, SluiceError};
use crate::plan::PipelinePlan;
use crate::secrets::{MasterKey, Sealed};
pub use target_types::{Target, TargetType};

/// A deployment's state, as stored and shown (its state machine is the catalog's).
pub use sluice_catalog::DeploymentState as State;

/// What a deployer reports after submitting a job.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    pub engine_job_id: Option<String>,
    /// `Running` (an engine runs it), or a final state (local and directory jobs end
    /// before START returns).
    pub state: Option<State>,
    pub rows_in: Option<i64>,
    pub rows_out: Option<i64>,
    /// Lines for the client (NOTICE).
    pub notes: Vec<String>,
}

/// A job's state as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub state: State,
    pub error: Option<String>,
    pub rows_in: Option<i64>,
    pub rows_out: Option<i64>,
    /// The newest savepoint the engine reports.
    pub savepoint: Option<String>,
    /// The engine's id of the job, when the report carries it (a watch may see a job end
    /// before the START that submitted it recorded the id).
    pub engine_job_id: Option<String>,
}

/// How STOP / SUSPEND end a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// `STOP PIPELINE`: cancel, no savepoint.
    Cancel,
    /// `STOP PIPELINE … WITH SAVEPOINT`: a savepoint, then stop.
    Savepoint,
    /// `SUSPEND PIPELINE`: stop with a savepoint that `RESUME` starts from.
    Suspend,
}

impl StopMode {
    pub fn savepoint(self) -> bool {
        self != StopMode::Cancel
    }
}

/// What a deployer needs to submit one pipeline.
pub struct Job<'a> {
    pub deployment: i64,
    pub plan: &'a PipelinePlan,
    /// Secret values by name, for the placeholders of compiled artifacts.
    pub secrets: &'a HashMap<String, Vec<u8>>,
    pub version: i64,
    /// Start from this savepoint (START … FROM SAVEPOINT, RESUME).
    pub savepoint: Option<&'a str>,
    /// Triggered by STOP of a job that runs inside the gateway.
    pub cancel: CancellationToken,
}

/// One target type's way of running jobs. Kubernetes and SeaTunnel deployers implement
/// the same four calls; a push-based status source (a Kubernetes watch) feeds
/// [`Observed`] states to the same [`Deployments::observe`].
#[async_trait]
pub trait Deployer: Send + Sync {
    /// Hands the job to the engine; returns when the engine has accepted it (or, for
    /// jobs that run in the gateway, when it is done), or with the engine's error.
    async fn submit(&self, job: Job<'_>) -> Result<Submitted>;
    /// Stops the job; returns the savepoint's path when one was asked for.
    async fn stop(&self, deployment: &DeploymentRecord, mode: StopMode) -> Result<Option<String>>;
    /// The job's state now; `None` when the engine does not track it (local, directory).
    async fn observe(&self, deployment: &DeploymentRecord) -> Result<Option<Observed>>;
    /// Connectivity checks (TEST TARGET).
    async fn test(&self) -> Vec<Check>;
    /// Whether [`Self::remove`] can do its work now (the target answers, and says whose
    /// its resources are): DROP PIPELINE asks every target of every pipeline it drops
    /// before it removes anything.
    async fn removable(&self, _pipeline: &str) -> Result<()> {
        Ok(())
    }
    /// Removes what deploying `pipeline` left on the target (DROP PIPELINE).
    async fn remove(&self, _pipeline: &str) -> Result<()> {
        Ok(())
    }
}

/// The deployer for `target`, made by its type.
pub fn deployer<'a>(target: &Target, rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    (target.target_type.deployer)(target, rt)
}

/// What stands for an engine's text that could not be masked.
const WITHHELD: &str = "(the engine's message is withheld: the secrets to mask it with could not be read)";

/// The gateway's deployments: the store, an HTTP client shared by engine clients, the
/// cancel switches of the jobs running inside this gateway, and the artifacts it serves
/// to engines (revoked when their deployment ends).
pub struct Deployments {
    store: Store,
    master_key: Arc<MasterKey>,
    http: reqwest::Client,
    running: Mutex<HashMap<i64, CancellationToken>>,
    pub artifacts: Arc<crate::artifacts::Artifacts>,
    /// Where each state change is reported as an OpenLineage run event, if anywhere.
    openlineage: Option<openlineage::OpenLineage>,
}

impl Deployments {
    /// `master_key` opens the secrets engine errors are masked with; `artifacts_url`: the
    /// https artifact endpoint's public URL, when it is on; `openlineage`: where run events
    /// go (needs a tokio runtime: it starts their sender).
    pub fn new(
        store: Store,
        master_key: Arc<MasterKey>,
        artifacts_url: Option<String>,
        openlineage: Option<crate::config::OpenLineageConfig>,
    ) -> Arc<Deployments> {
        let http = crate::tls::client_builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let artifacts = Arc::new(crate::artifacts::Artifacts::new(artifacts_url));
        let openlineage =
            openlineage.map(|config| openlineage::OpenLineage::start(config, store.clone(), http.clone()));
        Arc::new(Deployments {
            store,
            master_key,
            http,
            running: Mutex::new(HashMap::new()),
            artifacts,
            openlineage,
        })
    }

    /// Reports deployment `id` entering `state` (an OpenLineage event, when they are on,
    /// built now and sent in the background): every state change goes through here —
    /// [`Self::move_to`], [`Self::observe`], and the START that recorded the deployment.
    pub async fn changed(&self, id: i64, state: State) {
        if let Some(o) = &self.openlineage {
            o.record(id, state).await;
        }
    }

    /// `text` with the value of every secret in the catalog masked. What an engine says
    /// (a connector quoting its options, a stack trace quoting the config it ran) reaches
    /// SHOW DEPLOYMENTS, `sluice.events` and clients only through here. If the secrets
    /// cannot be read, the text is withheld rather than shown unmasked.
    pub async fn redact(&self, text: &str) -> String {
        match self.secret_values().await {
            Some(values) => crate::secrets::mask(text, values.iter().map(Vec::as_slice)),
            None => WITHHELD.into(),
        }
    }

    /// [`Self::redact`] on the texts of an error a deployer returned (its kind and SQLSTATE
    /// stay).
    pub async fn redact_error(&self, e: SluiceError) -> SluiceError {
        match self.secret_values().await {
            Some(values) => e.map_text(|text| crate::secrets::mask(text, values.iter().map(Vec::as_slice))),
            None => e.map_text(|_| WITHHELD.into()),
        }
    }

    /// Every secret's value; `None` if they cannot be read.
    async fn secret_values(&self) -> Option<Vec<Vec<u8>>> {
        let sealed = match self.store.sealed_secrets().await {
            Ok(sealed) => sealed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the secrets to mask an engine message with");
                return None;
            }
        };
        let values = sealed
            .into_iter()
            .filter_map(|s| {
                self.master_key.open(&s.name, &Sealed { nonce: s.nonce, ciphertext: s.ciphertext })
            })
            .collect();
        Some(values)
    }

    /// Records the engine's id of deployment `id`'s job before it is submitted (the
    /// engine takes the id it is given).
    pub async fn record_job_id(&self, id: i64, job: &str) -> Result<()> {
        let change = DeploymentChange { engine_job_id: Some(job.to_owned()), ..Default::default() };
        let state = State::Submitting;
        self.store.transition(id, &[state], state, &change, "gateway").await?;
        Ok(())
    }

    /// [`Self::redact`] on the error a change records.
    async fn redact_change(&self, mut change: DeploymentChange) -> DeploymentChange {
        if let Some(Some(error)) = &change.last_error {
            change.last_error = Some(Some(self.redact(error).await));
        }
        change
    }

    pub fn http(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// Registers a deployment whose statement is at work in this gateway (the watcher
    /// leaves it alone); STOP cancels a job running here through `token`.
    pub fn register(&self, id: i64, token: CancellationToken) -> CancellationToken {
        if let Ok(mut map) = self.running.lock() {
            map.insert(id, token.clone());
        }
        token
    }

    pub fn unregister(&self, id: i64) {
        if let Ok(mut map) = self.running.lock() {
            map.remove(&id);
        }
    }

    /// Cancels a job running in this gateway; whether it runs here.
    pub fn cancel_local(&self, id: i64) -> bool {
        match self.running.lock() {
            Ok(map) => map.get(&id).map(|t| t.cancel()).is_some(),
            Err(_) => false,
        }
    }

    /// Whether deployment `id` runs inside this gateway.
    pub fn runs_here(&self, id: i64) -> bool {
        self.running.lock().map(|m| m.contains_key(&id)).unwrap_or(false)
    }

    /// Moves deployment `id` to `to` if the state machine allows it from where it is.
    pub async fn move_to(&self, id: i64, to: State, change: DeploymentChange, actor: &str) -> Result<bool> {
        let from = State::sources(to);
        let change = self.redact_change(change).await;
        let moved = self.store.transition(id, &from, to, &change, actor).await?;
        if moved {
            self.changed(id, to).await;
        }
        if moved && !to.is_active() {
            self.artifacts.revoke(id);
        }
        Ok(moved)
    }

    /// Applies an engine's report on deployment `d` (from polling or a watch).
    pub async fn observe(&self, d: &DeploymentRecord, seen: Observed) -> Result<bool> {
        let current = d.state;
        // While STOP / SUSPEND wait for the engine, the statement decides the end state.
        if matches!(current, State::Stopping | State::Suspending) && seen.state != State::Failed {
            return Ok(false);
        }
        if current == seen.state && seen.rows_in == d.rows_in && seen.rows_out == d.rows_out {
            return Ok(false);
        }
        if current != seen.state && !current.can_move_to(seen.state) {
            return Ok(false);
        }
        let change = DeploymentChange {
            last_error: seen.error.map(Some),
            rows_in: seen.rows_in,
            rows_out: seen.rows_out,
            savepoint: seen.savepoint,
            engine_job_id: seen.engine_job_id.filter(|_| d.engine_job_id.is_none()),
            ..Default::default()
        };
        let change = self.redact_change(change).await;
        let moved = self.store.transition(d.id, &[current], seen.state, &change, "watcher").await?;
        if moved && current != seen.state {
            self.changed(d.id, seen.state).await;
        }
        if moved && !seen.state.is_active() {
            self.artifacts.revoke(d.id);
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn states_round_trip_through_their_names() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>(), Ok(*s));
        }
    }

    #[test]
    fn the_state_machine_has_no_way_out_of_finished_or_failed() {
        for to in State::ALL {
            assert!(!State::Finished.can_move_to(*to));
            assert!(!State::Failed.can_move_to(*to));
            assert!(!State::Rendered.can_move_to(*to));
        }
        assert!(State::Suspended.can_move_to(State::Submitting));
        assert!(!State::Suspended.can_move_to(State::Running));
    }

    #[test]
    fn active_states_are_the_ones_the_store_indexes() {
        let active: Vec<String> =
            State::ALL.iter().filter(|s| s.is_active()).map(|s| format!("'{s}'")).collect();
        let indexed = format!("WHERE state IN ({});", active.join(", "));
        for backend in [sluice_catalog::Backend::Sqlite, sluice_catalog::Backend::Postgres] {
            let path = format!("{}/migrations/{backend}/0002_deployments.sql", env!("CARGO_MANIFEST_DIR"));
            let migration = std::fs::read_to_string(&path).expect("migration");
            assert!(migration.contains(&indexed), "{path} does not index {indexed}");
        }
    }
}
