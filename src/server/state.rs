//! What every connection shares: the runtime, and what only the wire needs.

use std::sync::Arc;

use super::cancel::CancelRegistry;
use crate::runtime::Runtime;

/// The wire layer's shared state.
pub struct ServerState {
    pub runtime: Arc<Runtime>,
    pub cancels: Arc<CancelRegistry>,
    /// Process ids and secret keys for cancel requests.
    pub pids: pgwire::api::RandomPidSecretKeyGenerator,
    /// Key for the salts of nonexistent users (see `scram::Verifier::mock`).
    pub mock_secret: [u8; 32],
    /// Sessions at once and failed logins.
    pub limits: super::limits::Counters,
    /// Whether a start-up without TLS is refused (`--tls-mode require`).
    pub tls_required: bool,
}
