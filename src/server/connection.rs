//! One client connection: pgwire's handlers for it, sharing the server state.

use std::sync::Arc;

use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireServerHandlers};
use pgwire::error::PgWireError;
use tokio::sync::Mutex;

use super::auth::AuthState;
use super::cancel::{CancelGuard, CancelSlot, Canceller};
use super::extended::StatementParser;
use super::session::Session;
use super::state::ServerState;
use crate::metrics::ConnectionGauge;

/// A connection's handlers and state.
pub struct Connection {
    pub(super) server: Arc<ServerState>,
    pub(super) auth: Mutex<AuthState>,
    /// Set once the client has authenticated.
    pub(super) session: Mutex<Option<Session>>,
    pub(super) cancel_slot: Arc<CancelSlot>,
    pub(super) cancel_guard: Mutex<Option<CancelGuard>>,
    /// The session's place among `--max-connections`, once it has one.
    pub(super) session_slot: Mutex<Option<super::limits::SessionSlot>>,
    pub(super) parser: Arc<StatementParser>,
    _gauge: ConnectionGauge,
}

impl Connection {
    pub fn new(server: Arc<ServerState>) -> Arc<Connection> {
        let gauge = server.runtime.metrics.connection_opened();
        Arc::new_cyclic(|me| Connection {
            parser: Arc::new(StatementParser(me.clone())),
            server,
            auth: Mutex::new(AuthState::default()),
            session: Mutex::new(None),
            cancel_slot: Arc::new(CancelSlot::default()),
            cancel_guard: Mutex::new(None),
            session_slot: Mutex::new(None),
            _gauge: gauge,
        })
    }
}

/// What pgwire asks for per connection.
pub struct Handlers(pub Arc<Connection>);

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.0.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.0.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.0.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::new(Canceller(self.0.server.cancels.clone()))
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogProtocolErrors)
    }
}

/// Logs errors that pgwire itself raises (protocol violations, I/O).
struct LogProtocolErrors;

impl ErrorHandler for LogProtocolErrors {
    fn on_error<C: ClientInfo>(&self, client: &C, error: &mut PgWireError) {
        if !matches!(error, PgWireError::UserError(_)) {
            tracing::debug!(peer = %client.socket_addr(), error = %error, "protocol error");
        }
    }
}
