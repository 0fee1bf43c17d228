//! What every connection shares.

use std::sync::Arc;

use sluice_catalog::Store;

use super::cancel::CancelRegistry;
use crate::config::Config;
use crate::engine::{ConstantCache, Engine};
use crate::metrics::Metrics;

/// The gateway's shared state.
pub struct ServerState {
    pub config: Arc<Config>,
    pub store: Store,
    pub engine: Engine,
    pub constants: ConstantCache,
    pub metrics: Metrics,
    pub cancels: Arc<CancelRegistry>,
    /// Encrypts and decrypts secret values.
    pub master_key: std::sync::Arc<crate::secrets::MasterKey>,
    /// Process ids and secret keys for cancel requests.
    pub pids: pgwire::api::RandomPidSecretKeyGenerator,
    /// Key for the salts of nonexistent users (see `scram::Verifier::mock`).
    pub mock_secret: [u8; 32],
    /// Deployments: engine clients and the jobs running in this gateway.
    pub deployments: Arc<crate::deploy::Deployments>,
    /// This gateway's scheduler (its name in run leases, the runs it executes).
    pub scheduler: Arc<crate::scheduler::Scheduler>,
}
