//! The gateway's runtime: everything that exists once per process and outlives any
//! connection — configuration, the catalog store, the query engine, the master key, the
//! deployments and the scheduler. The wire layer (`server/`) holds one beside what only
//! connections need; services, the watcher and the scheduler take it as `&Runtime`.

use std::sync::Arc;

use sluice_catalog::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::StartError;
use crate::config::Config;
use crate::deploy::Deployments;
use crate::deploy::targets::LOCAL;
use crate::engine::{ConstantCache, Engine};
use crate::metrics::Metrics;
use crate::scheduler::Scheduler;
use crate::secrets::MasterKey;

/// What every statement, task and background loop of one gateway shares.
pub struct Runtime {
    pub config: Arc<Config>,
    pub store: Store,
    pub engine: Engine,
    pub constants: ConstantCache,
    pub metrics: Metrics,
    /// Encrypts and decrypts secret values.
    pub master_key: Arc<MasterKey>,
    /// Deployments: engine clients and the jobs running in this gateway.
    pub deployments: Arc<Deployments>,
    /// This gateway's scheduler (its name in run leases, the runs it executes).
    pub scheduler: Arc<Scheduler>,
}

impl Runtime {
    /// Opens the data directory and the store, makes sure a superuser and the `local`
    /// target exist, loads the master key and builds the engine. Nothing is served yet.
    pub async fn open(config: Arc<Config>) -> Result<Arc<Runtime>, StartError> {
        crate::bootstrap::data_dir(&config.data_dir).map_err(|e| {
            StartError(format!("cannot create data directory {}: {e}", config.data_dir.display()))
        })?;
        let store = Store::open(&config.metadata_url).await.map_err(|e| {
            StartError(format!(
                "cannot open the metadata store {}: {e}",
                sluice_catalog::store::redact_url(&config.metadata_url)
            ))
        })?;
        crate::bootstrap::first_superuser(
            &store,
            &config.data_dir,
            config.initial_password.as_ref(),
            config.password_file.as_deref(),
        )
        .await?;
        let master_key =
            Arc::new(MasterKey::load(config.master_key.as_ref().map(|k| k.0.as_str()), &config.data_dir)?);
        crate::master_key::check(&store, &master_key, &config).await?;
        let source_types = crate::connectors::catalog_batch().map_err(|e| StartError(e.to_string()))?;
        let engine = Engine::new(store.clone(), source_types, config.listen)
            .await
            .map_err(|e| StartError(e.to_string()))?;
        store.ensure_target(LOCAL, "local", "sluice").await?;
        let deployments = Deployments::new(
            store.clone(),
            master_key.clone(),
            config.artifacts.as_ref().map(|(_, url)| url.clone()),
            config.openlineage.clone(),
        );
        let scheduler = Scheduler::new(config.gateway_id.clone(), config.run_lease);
        Ok(Arc::new(Runtime {
            config,
            store,
            engine,
            constants: ConstantCache::default(),
            metrics: Metrics::new(),
            master_key,
            deployments,
            scheduler,
        }))
    }

    /// Publishes every stored source for live reads and starts the deployment watcher
    /// and the scheduler; returns the watcher, which the caller awaits at shut-down.
    pub async fn start(
        self: &Arc<Self>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<JoinHandle<()>, StartError> {
        let watcher = tokio::spawn(crate::deploy::watcher::run(self.clone(), shutdown.clone()));
        // other gateways' changes are followed from the newest event read before the
        // sources are published: one made in between is published twice, never missed
        let seen = self.store.latest_event().await?;
        tokio::spawn(crate::service::follow::run(self.clone(), seen, shutdown.clone()));
        tokio::spawn(crate::scheduler::run(self.clone(), shutdown));
        for source in self.store.sources().await? {
            if let Err(e) = crate::service::sources::publish(self, &source.name).await {
                tracing::warn!(source = %source.name, error = %e, "source is not queryable live");
            }
        }
        Ok(watcher)
    }
}
