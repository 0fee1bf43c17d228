//! Start-up and authentication: SCRAM-SHA-256 against the verifiers in the store.
//!
//! There is no way to connect without a password. A role that does not exist goes
//! through the same exchange as one that does (with a mock verifier) and fails the same
//! way, so a client cannot tell the two apart.

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    ServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, METADATA_DATABASE, METADATA_USER, PgWireConnectionState, PidSecretKeyGenerator,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::connection::Connection;
use super::params::SessionParams;
use super::scram::{self, AwaitingClientFinal, Verifier};
use super::session::Session;
use crate::error::SqlState;

/// Where a connection is in the SASL exchange.
#[derive(Default)]
pub enum AuthState {
    #[default]
    Initial,
    AwaitingFinal {
        exchange: Box<AwaitingClientFinal>,
        role: Option<sluice_catalog::Role>,
    },
    Done,
}

fn fatal(state: SqlState, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), state.code().into(), message.into())))
}

fn auth_failed(user: &str) -> PgWireError {
    fatal(SqlState::InvalidPassword, format!("password authentication failed for user \"{user}\""))
}

/// A malformed SCRAM message is a protocol violation (08P01); a wrong proof is a wrong
/// password (28P01).
fn scram_failure(user: &str, e: &scram::ScramError) -> PgWireError {
    match e {
        scram::ScramError::BadProof => auth_failed(user),
        other => fatal(SqlState::ProtocolViolation, other.to_string()),
    }
}

/// Startup parameters that are session settings (the rest — user, database, options,
/// replication — are not).
fn apply_startup_parameters(params: &mut SessionParams, startup: &HashMap<String, String>) {
    for (name, value) in startup {
        if matches!(name.as_str(), "user" | "database" | "options" | "replication") {
            continue;
        }
        let value = match (name.as_str(), value.to_ascii_uppercase().as_str()) {
            // psql sends `auto`; Sluice always speaks UTF-8.
            ("client_encoding", "AUTO" | "SQL_ASCII") => "UTF8",
            _ => value.as_str(),
        };
        if let Err(e) = params.set(name, value) {
            tracing::debug!(parameter = %name, error = %e, "ignoring startup parameter");
        }
    }
    if let Some(options) = startup.get("options") {
        // `-c name=value` pairs, as libpq's PGOPTIONS carries them.
        let mut words = options.split_whitespace();
        while let Some(word) = words.next() {
            let setting =
                if word == "-c" { words.next() } else { word.strip_prefix("-c").or(word.strip_prefix("--")) };
            if let Some((name, value)) = setting.and_then(|s| s.split_once('='))
                && let Err(e) = params.set(&name.replace('-', "_"), value)
            {
                tracing::debug!(parameter = %name, error = %e, "ignoring startup option");
            }
        }
    }
}

struct Reported(HashMap<String, String>);

impl ServerParameterProvider for Reported {
    fn server_parameters<C: ClientInfo>(&self, _client: &C) -> Option<HashMap<String, String>> {
        Some(self.0.clone())
    }
}

#[async_trait]
impl StartupHandler for Connection {
    /// Every error before the session starts is FATAL: like PostgreSQL, Sluice sends the
    /// ErrorResponse and closes the connection — no ReadyForQuery follows (asyncpg and
    /// others treat one as a protocol violation). pgwire's generic error path would send
    /// ReadyForQuery first, so the error is answered here and pgwire only sees the socket
    /// closed.
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let Err(error) = self.startup_step(client, message).await else {
            return Ok(());
        };
        let mut info = ErrorInfo::from(error);
        info.severity = "FATAL".into();
        client.send(PgWireBackendMessage::ErrorResponse(info.into())).await?;
        let _ = client.close().await;
        Err(PgWireError::IoError(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection closed after a FATAL error during start-up",
        )))
    }
}

impl Connection {
    /// One start-up or authentication message.
    async fn startup_step<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                self.admit(client)?;
                if client.metadata().get(METADATA_USER).is_none_or(|u| u.is_empty()) {
                    return Err(fatal(
                        SqlState::InvalidAuthorization,
                        "no PostgreSQL user name specified in startup packet",
                    ));
                }
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(vec![
                        scram::MECHANISM.to_owned(),
                    ])))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let user = client.metadata().get(METADATA_USER).cloned().unwrap_or_default();
                let state = std::mem::replace(&mut *self.auth.lock().await, AuthState::Done);
                match state {
                    AuthState::Initial => {
                        let initial = msg.into_sasl_initial_response()?;
                        if initial.auth_method != scram::MECHANISM {
                            return Err(fatal(
                                SqlState::InvalidAuthorization,
                                format!("unsupported SASL mechanism \"{}\"", initial.auth_method),
                            ));
                        }
                        let role = self.server.runtime.store.role(&user).await.map_err(|e| {
                            tracing::error!(error = %e, "metadata store unavailable during login");
                            fatal(SqlState::CannotConnectNow, "the metadata store is unavailable")
                        })?;
                        let verifier = role
                            .as_ref()
                            .and_then(|r| r.password_verifier.as_deref())
                            .and_then(Verifier::parse)
                            .unwrap_or_else(|| Verifier::mock(&user, &self.server.mock_secret));
                        let data = initial.data.unwrap_or_default();
                        let (first, exchange) = scram::server_first(&data, verifier).map_err(|e| {
                            tracing::info!(user = %user, error = %e, "SCRAM exchange rejected");
                            scram_failure(&user, &e)
                        })?;
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(
                                first.into_bytes().into(),
                            )))
                            .await?;
                        *self.auth.lock().await =
                            AuthState::AwaitingFinal { exchange: Box::new(exchange), role };
                    }
                    AuthState::AwaitingFinal { exchange, role } => {
                        let response = msg.into_sasl_response()?;
                        self.client_final(client, &user, *exchange, role, &response.data).await?;
                    }
                    AuthState::Done => return Err(PgWireError::InvalidSASLState),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The client's final SASL message: the proof checked (a failure recorded and
    /// delayed), the role's login, database and place among the sessions, then the
    /// session.
    async fn client_final<C>(
        &self,
        client: &mut C,
        user: &str,
        exchange: AwaitingClientFinal,
        role: Option<sluice_catalog::Role>,
        data: &[u8],
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let outcome = exchange.finish(data);
        let (server_final, role) = match (outcome, role) {
            (Ok(server_final), Some(role)) => (server_final, role),
            (Err(e @ (scram::ScramError::Malformed(_) | scram::ScramError::ChannelBinding)), _) => {
                return Err(scram_failure(user, &e));
            }
            (outcome, _) => {
                self.server.runtime.metrics.auth_failed();
                tracing::warn!(
                    user = %user,
                    peer = %client.socket_addr(),
                    reason = %outcome.err().map(|e| e.to_string()).unwrap_or_else(|| "no such role".into()),
                    "authentication failed"
                );
                self.server.limits.failed_login(client.socket_addr().ip()).await;
                return Err(auth_failed(user));
            }
        };
        if !role.can_login {
            return Err(fatal(
                SqlState::InvalidAuthorization,
                format!("role \"{user}\" is not permitted to log in"),
            ));
        }
        let database = client.metadata().get(METADATA_DATABASE).cloned().unwrap_or_else(|| user.to_owned());
        let actor = crate::service::Actor::new(role.name.clone());
        let connected = match crate::service::databases::open(&self.server.runtime, &actor, &database).await {
            Ok(connected) => connected,
            Err(e) => {
                let mut info = super::errors::error_info(&e, None);
                info.severity = "FATAL".into();
                return Err(PgWireError::UserError(Box::new(info)));
            }
        };
        let Some(slot) = self.server.limits.open_session(role.superuser) else {
            return Err(fatal(SqlState::TooManyConnections, "sorry, too many clients already"));
        };
        *self.session_slot.lock().await = Some(slot);
        self.server.limits.succeeded(client.socket_addr().ip());
        client
            .send(PgWireBackendMessage::Authentication(Authentication::SASLFinal(
                server_final.into_bytes().into(),
            )))
            .await?;
        self.start_session(client, role, connected).await
    }

    /// Refuses a start-up without TLS when TLS is required, and one from an address
    /// with too many failed logins in the window (both 28000, before any password).
    fn admit<C: ClientInfo>(&self, client: &C) -> PgWireResult<()> {
        if self.server.tls_required && !client.is_secure() {
            let mut info = ErrorInfo::new(
                "FATAL".into(),
                SqlState::InvalidAuthorization.code().into(),
                "connection without TLS refused: this gateway accepts TLS connections only".into(),
            );
            info.hint = Some("Connect with sslmode=require (or stronger).".into());
            return Err(PgWireError::UserError(Box::new(info)));
        }
        let address = client.socket_addr().ip();
        if let Some(left) = self.server.limits.refused_for(address) {
            tracing::warn!(peer = %address, "login refused: too many failed logins");
            return Err(fatal(
                SqlState::InvalidAuthorization,
                format!(
                    "too many failed logins from {address}: logins from it are refused for {} s",
                    left.as_secs().max(1)
                ),
            ));
        }
        Ok(())
    }

    /// After a successful login: key data for cancel requests, the session, and the
    /// parameters every client expects to be told.
    async fn start_session<C>(
        &self,
        client: &mut C,
        role: sluice_catalog::Role,
        database: Option<crate::engine::Connected>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (pid, secret) = self.server.pids.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let mut params = SessionParams::default();
        apply_startup_parameters(&mut params, client.metadata());
        let mut session = Session::new(role.name.clone(), role.superuser, params, self.cancel_slot.clone());
        session.database = database;
        let reported = session.reported_params().into_iter().map(|r| (r.name.to_owned(), r.value)).collect();
        *self.cancel_guard.lock().await = Some(self.server.cancels.register(pid, &secret, &self.cancel_slot));
        *self.session.lock().await = Some(session);
        tracing::info!(
            user = %role.name,
            peer = %client.socket_addr(),
            application = client.metadata().get("application_name").map(String::as_str).unwrap_or(""),
            "session started"
        );
        finish_authentication(client, &Reported(reported)).await
    }
}
