//! The simple query protocol: one Query message, any number of statements, results
//! streamed statement by statement; the first error ends the message, as in PostgreSQL.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::query::{SimpleQueryHandler, send_ready_for_query};
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::RowDescription;
use pgwire::messages::response::{EmptyQueryResponse, TransactionStatus};
use pgwire::messages::simplequery::Query;

use super::connection::Connection;
use super::encode;
use super::errors::{error_info, reportable, send_side_messages};
use crate::handler::{self, Ctx, Output, TxState};
use crate::sql;

/// The transaction block state pgwire tracks, as handlers see it.
pub fn tx_state(status: TransactionStatus) -> TxState {
    match status {
        TransactionStatus::Idle => TxState::Idle,
        TransactionStatus::Transaction => TxState::InBlock,
        TransactionStatus::Error => TxState::Failed,
    }
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let text = query.query;
        let mut status = client.transaction_status();
        tracing::debug!(sql = %sql::redact::redact_sql(&text), "simple query");
        match sql::parse(&text).map_err(crate::error::SluiceError::from) {
            Err(e) => {
                self.server.runtime.metrics.statement(
                    "invalid",
                    std::time::Duration::ZERO,
                    Some(e.sqlstate().code()),
                );
                client.feed(PgWireBackendMessage::ErrorResponse(error_info(&e, Some(&text)).into())).await?;
                status = status.to_error_state();
            }
            Ok(statements) if statements.is_empty() => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
            }
            Ok(statements) => {
                let mut guard = self.session.lock().await;
                let Some(session) = guard.as_mut() else {
                    return Err(PgWireError::NotReadyForQuery);
                };
                for parsed in &statements {
                    let kind = parsed.statement.kind().label;
                    let started = Instant::now();
                    let cancel = session.cancel.begin();
                    let mut ctx = Ctx {
                        rt: &self.server.runtime,
                        session,
                        tx: tx_state(status),
                        cancel: cancel.clone(),
                        notices: Vec::new(),
                        reported: Vec::new(),
                    };
                    let statement_text = &text[parsed.range.clone()];
                    let result = tokio::select! {
                        r = handler::handle(&mut ctx, parsed, statement_text) => r,
                        _ = cancel.cancelled() => Err(crate::error::SluiceError::Canceled),
                    };
                    let Ctx { notices, reported, .. } = ctx;
                    send_side_messages(client, &notices, reported).await?;
                    let failure = match result {
                        Ok(output) => {
                            let options = session.format_options();
                            send_output(client, output, options, cancel, &mut status, session).await?
                        }
                        Err(e) => Some(error_info(&e, Some(&text))),
                    };
                    let code = failure.as_ref().map(|info| info.code.as_str());
                    self.server.runtime.metrics.statement(kind, started.elapsed(), code);
                    if let Some(info) = failure {
                        client.feed(PgWireBackendMessage::ErrorResponse(info.into())).await?;
                        status = status.to_error_state();
                        break;
                    }
                }
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` above streams each statement's result itself and never calls this.
        Err(PgWireError::NotReadyForQuery)
    }
}

/// Sends one statement's output; returns the error to report if it failed midway.
async fn send_output<C>(
    client: &mut C,
    output: Output,
    options: Arc<pgwire::types::format::FormatOptions>,
    cancel: tokio_util::sync::CancellationToken,
    status: &mut TransactionStatus,
    session: &mut super::session::Session,
) -> PgWireResult<Option<ErrorInfo>>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let tag = match output {
        Output::ResultSets(outputs) => {
            for output in outputs {
                if let Some(failure) =
                    Box::pin(send_output(client, output, options.clone(), cancel.clone(), status, session))
                        .await?
                {
                    return Ok(Some(failure));
                }
            }
            return Ok(None);
        }
        Output::Rows { tag, schema, stream } => {
            let fields = match encode::fields(&schema, &Format::UnifiedText, options) {
                Ok(fields) => fields,
                Err(e) => return reportable(e).map(Some),
            };
            client
                .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
                    fields.iter().map(Into::into).collect(),
                )))
                .await?;
            let mut rows = Box::pin(encode::data_rows(fields, stream, cancel));
            let mut count = 0usize;
            while let Some(row) = rows.next().await {
                match row {
                    Ok(row) => {
                        client.feed(PgWireBackendMessage::DataRow(row)).await?;
                        count += 1;
                    }
                    Err(e) => return reportable(e).map(Some),
                }
            }
            if tag == "SELECT" { Tag::new(tag).with_rows(count) } else { Tag::new(tag) }
        }
        Output::Command(tag) => Tag::new(tag),
        Output::Begin => {
            *status = status.to_in_transaction_state();
            Tag::new("BEGIN")
        }
        Output::End(tag) => {
            *status = status.to_idle_state();
            session.warned_in_transaction = false;
            Tag::new(tag)
        }
        Output::RolledBackToSavepoint => {
            *status = TransactionStatus::Transaction;
            Tag::new("ROLLBACK")
        }
        Output::Deallocate { name, tag } => {
            deallocate(client, session, name.as_deref());
            Tag::new(tag)
        }
    };
    client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
    Ok(None)
}

/// Removes prepared statements from the connection's store.
pub fn deallocate<C>(client: &C, session: &mut super::session::Session, name: Option<&str>)
where
    C: ClientPortalStore,
    C::PortalStore: PortalStore,
{
    match name {
        Some(name) => {
            client.portal_store().rm_statement(name);
            session.prepared.remove(name);
        }
        None => {
            for name in session.prepared.drain() {
                client.portal_store().rm_statement(&name);
            }
        }
    }
}
