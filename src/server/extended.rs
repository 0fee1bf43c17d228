//! The extended query protocol: Parse / Bind / Describe / Execute / Close / Sync.
//!
//! Statements are parsed and planned once at Parse (and kept per name, the way pgjdbc
//! and asyncpg reuse them); Bind decodes parameters (text or binary) with arrow-pg;
//! Execute runs the plan with the values.

use std::fmt::Debug;
use std::sync::{Arc, Weak};
use std::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal, PortalExecutionState};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::CloseComplete;
use pgwire::messages::extendedquery::{Bind, BindComplete, Describe, Execute, PortalSuspended};
use pgwire::messages::extendedquery::{
    Close, Parse, ParseComplete, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::response::TransactionStatus;

use super::connection::Connection;
use super::encode;
use super::errors::{send_side_messages, to_pgwire};
use super::simple::{deallocate, tx_state};
use crate::error::SluiceError;
use crate::handler::{self, Ctx, Output, Prepared, prepare};

/// Parses statements for pgwire, in the connection's session.
pub struct StatementParser(pub Weak<Connection>);

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Arc<Prepared>>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let conn = self.0.upgrade().ok_or(PgWireError::NotReadyForQuery)?;
        tracing::debug!(sql = %crate::sql::redact::redact_sql(sql), "parse");
        let mut guard = conn.session.lock().await;
        let session = guard.as_mut().ok_or(PgWireError::NotReadyForQuery)?;
        let cancel = session.cancel.begin();
        let mut ctx = Ctx {
            rt: &conn.server.runtime,
            session,
            tx: handler::TxState::Idle,
            cancel: cancel.clone(),
            notices: Vec::new(),
            reported: Vec::new(),
        };
        let prepared = tokio::select! {
            p = prepare::prepare(&mut ctx, sql) => p,
            _ = cancel.cancelled() => Err(SluiceError::Canceled),
        };
        match prepared {
            Ok(prepared) => Ok(prepared.map(Arc::new)),
            Err(e) => {
                conn.server.runtime.metrics.statement(
                    "parse",
                    std::time::Duration::ZERO,
                    Some(e.sqlstate().code()),
                );
                Err(to_pgwire(&e, Some(sql)))
            }
        }
    }

    fn get_parameter_types(&self, stmt: &Arc<Prepared>) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .param_types()
            .iter()
            .map(|t| t.as_ref().and_then(|t| arrow_pg::datatypes::into_pg_type(t).ok()).unwrap_or(Type::TEXT))
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Arc<Prepared>,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        match &stmt.fields {
            Some(schema) => Ok(encode::describe_fields(schema, format.unwrap_or(&Format::UnifiedText))?),
            None => Ok(Vec::new()),
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Arc<Prepared>;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<StatementParser> {
        self.parser.clone()
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.clone().filter(|n| !n.is_empty());
        if let Some(name) = &name {
            let exists = self.session.lock().await.as_ref().is_some_and(|s| s.prepared.contains(name));
            if exists {
                return Err(to_pgwire(
                    &SluiceError::DuplicateObject { kind: "prepared statement", name: name.clone() },
                    None,
                ));
            }
        }
        let stored = StoredStatement::parse(client, &message, self.query_parser()).await?;
        match stored {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(name.as_deref().unwrap_or(DEFAULT_NAME)),
        }
        if let Some(name) = name
            && let Some(session) = self.session.lock().await.as_mut()
        {
            session.prepared.insert(name);
        }
        client.feed(PgWireBackendMessage::ParseComplete(ParseComplete::new())).await?;
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            client.portal_store().rm_statement(name);
            if let Some(session) = self.session.lock().await.as_mut() {
                session.prepared.remove(name);
            }
        } else {
            client.portal_store().rm_portal(name);
        }
        client.feed(PgWireBackendMessage::CloseComplete(CloseComplete::new())).await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let prepared = portal.statement.statement.clone();
        let inferred: Vec<Option<&datafusion::arrow::datatypes::DataType>> =
            prepared.param_types().iter().map(Option::as_ref).collect();
        let values = arrow_pg::datatypes::df::deserialize_parameters(portal, &inferred)?;
        let started = Instant::now();
        let kind = prepared.parsed.statement.kind().label;
        let mut guard = self.session.lock().await;
        let session = guard.as_mut().ok_or(PgWireError::NotReadyForQuery)?;
        let cancel = session.cancel.begin();
        let mut ctx = Ctx {
            rt: &self.server.runtime,
            session,
            tx: tx_state(client.transaction_status()),
            cancel: cancel.clone(),
            notices: Vec::new(),
            reported: Vec::new(),
        };
        let result = tokio::select! {
            r = prepare::execute(&mut ctx, &prepared, values) => r,
            _ = cancel.cancelled() => Err(SluiceError::Canceled),
        };
        let Ctx { notices, reported, .. } = ctx;
        send_side_messages(client, &notices, reported).await?;
        self.server.runtime.metrics.statement(
            kind,
            started.elapsed(),
            result.as_ref().err().map(|e| e.sqlstate().code()),
        );
        let output = result.map_err(|e| to_pgwire(&e, Some(&prepared.source)))?;
        // a portal has one result set: several only through the simple protocol
        let output = match output {
            Output::ResultSets(mut outputs) if outputs.len() == 1 => outputs.remove(0),
            Output::ResultSets(outputs) => {
                let e = SluiceError::not_supported(
                    format!(
                        "this statement returns {} result sets; the extended query protocol carries one",
                        outputs.len()
                    ),
                    Some("Send it as a simple query, or ask for one: PREVIEW PIPELINE p SINK s."),
                );
                return Err(to_pgwire(&e, Some(&prepared.source)));
            }
            other => other,
        };
        Ok(match output {
            Output::Rows { tag, schema, stream } => {
                let options = session.format_options();
                let fields = encode::fields(&schema, &portal.result_column_format, options)?;
                let mut response =
                    QueryResponse::new(fields.clone(), encode::data_rows(fields, stream, cancel));
                response.set_command_tag(tag);
                Response::Query(response)
            }
            Output::Command(tag) => Response::Execution(Tag::new(tag)),
            Output::Begin => Response::TransactionStart(Tag::new("BEGIN")),
            Output::End(tag) => {
                session.warned_in_transaction = false;
                Response::TransactionEnd(Tag::new(tag))
            }
            Output::RolledBackToSavepoint => {
                session.savepoint_restored = true;
                Response::Execution(Tag::new("ROLLBACK"))
            }
            Output::Deallocate { name, tag } => {
                deallocate(client, session, name.as_deref());
                Response::Execution(Tag::new(tag))
            }
            Output::ResultSets(_) => Response::EmptyQuery,
        })
    }

    // Bind, Describe and Execute below do what pgwire's defaults do, but queue their
    // replies (`feed`) instead of flushing each one (`send`): a client's
    // Parse/Bind/Describe/Execute/Sync then costs one write instead of five.

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal_name = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) if message.parameters.is_empty() => {
                client.portal_store().put_empty_portal(portal_name)
            }
            Some(Entry::Empty) => {
                return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "ERROR".into(),
                    "08P01".into(),
                    format!(
                        "bind message supplies {} parameters, but prepared statement \"{statement_name}\" requires 0",
                        message.parameters.len()
                    ),
                ))));
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client.feed(PgWireBackendMessage::BindComplete(BindComplete::new())).await?;
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let (parameters, fields) = match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
                Some(Entry::Value(stmt)) => {
                    let described = self.do_describe_statement(client, &stmt).await?;
                    (Some(described.parameters), Some(described.fields))
                }
                Some(Entry::Empty) => (Some(Vec::new()), None),
                None => return Err(PgWireError::StatementNotFound(name.to_owned())),
            },
            TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => {
                    (None, Some(self.do_describe_portal(client, &portal).await?.fields))
                }
                Some(Entry::Empty) => (None, None),
                None => return Err(PgWireError::PortalNotFound(name.to_owned())),
            },
            other => return Err(PgWireError::InvalidTargetType(other)),
        };
        if let Some(types) = parameters {
            let oids = types.iter().map(Type::oid).collect();
            client.feed(PgWireBackendMessage::ParameterDescription(ParameterDescription::new(oids))).await?;
        }
        match fields {
            Some(fields) if !fields.is_empty() => {
                let description = RowDescription::new(fields.iter().map(Into::into).collect());
                client.feed(PgWireBackendMessage::RowDescription(description)).await?;
            }
            _ => client.feed(PgWireBackendMessage::NoData(NoData::new())).await?,
        }
        Ok(())
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => portal,
            Some(Entry::Empty) => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(name.to_owned())),
        };
        client.set_state(PgWireConnectionState::QueryInProgress);
        let mut status = client.transaction_status();
        let state = portal.state();
        let mut state = state.lock().await;
        if matches!(*state, PortalExecutionState::Initial) {
            let response = self.do_query(client, &portal, message.max_rows as usize).await;
            client.set_state(PgWireConnectionState::ReadyForQuery);
            let tag = match response? {
                Response::Query(rows) => {
                    *state = PortalExecutionState::Suspended(rows);
                    None
                }
                Response::Execution(tag) => Some(tag),
                Response::TransactionStart(tag) => {
                    status = status.to_in_transaction_state();
                    Some(tag)
                }
                Response::TransactionEnd(tag) => {
                    status = status.to_idle_state();
                    Some(tag)
                }
                Response::EmptyQuery => {
                    client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                    return Ok(());
                }
                _ => return Err(to_pgwire(&SluiceError::not_supported("COPY is not supported", None), None)),
            };
            if let Some(tag) = tag {
                if let Some(session) = self.session.lock().await.as_mut()
                    && std::mem::take(&mut session.savepoint_restored)
                {
                    status = TransactionStatus::Transaction;
                }
                *state = PortalExecutionState::Finished;
                client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
                client.set_transaction_status(status);
                return Ok(());
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        // Stream the rows (all of them, or up to max_rows and suspend).
        let PortalExecutionState::Suspended(mut rows) =
            std::mem::replace(&mut *state, PortalExecutionState::Finished)
        else {
            // Already finished: an Execute after completion returns nothing more.
            client
                .feed(PgWireBackendMessage::CommandComplete(Tag::new("SELECT").with_rows(0).into()))
                .await?;
            return Ok(());
        };
        let max_rows = message.max_rows.max(0) as usize;
        let mut sent = 0usize;
        while max_rows == 0 || sent < max_rows {
            match rows.data_rows().next().await {
                Some(row) => {
                    client.feed(PgWireBackendMessage::DataRow(row?)).await?;
                    sent += 1;
                }
                None => {
                    let tag = rows.command_tag();
                    let tag = if tag == "SELECT" { Tag::new(tag).with_rows(sent) } else { Tag::new(tag) };
                    client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
                    return Ok(());
                }
            }
        }
        *state = PortalExecutionState::Suspended(rows);
        client.feed(PgWireBackendMessage::PortalSuspended(PortalSuspended::new())).await?;
        Ok(())
    }
}
