//! The extended query protocol: Parse / Bind / Describe / Execute / Close / Sync.
//!
//! Statements are parsed and planned once at Parse (and kept per name, the way pgjdbc
//! and asyncpg reuse them); Bind decodes parameters (text or binary) with arrow-pg;
//! Execute runs the plan with the values.

use std::fmt::Debug;
use std::sync::{Arc, Weak};
use std::time::Instant;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{Close, Parse, ParseComplete, TARGET_TYPE_BYTE_STATEMENT};
use pgwire::messages::extendedquery::CloseComplete;
use pgwire::messages::startup::ParameterStatus;

use super::connection::Connection;
use super::encode;
use super::errors::{notice_response, to_pgwire};
use super::simple::{deallocate, tx_state};
use crate::error::SluiceError;
use crate::handler::{self, Ctx, Output, Prepared, prepare};

/// Parses statements for pgwire, in the connection's session.
pub struct StatementParser(pub Weak<Connection>);

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(&self, _client: &C, sql: &str, _types: &[Option<Type>]) -> PgWireResult<Option<Arc<Prepared>>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let conn = self.0.upgrade().ok_or(PgWireError::NotReadyForQuery)?;
        tracing::debug!(sql = %crate::sql::redact::redact_sql(sql), "parse");
        let mut guard = conn.session.lock().await;
        let session = guard.as_mut().ok_or(PgWireError::NotReadyForQuery)?;
        let cancel = session.cancel.begin();
        let mut ctx = Ctx {
            server: &conn.server,
            session,
            tx: handler::TxState::Idle,
            cancel,
            notices: Vec::new(),
            reported: Vec::new(),
        };
        match prepare::prepare(&mut ctx, sql).await {
            Ok(prepared) => Ok(prepared.map(Arc::new)),
            Err(e) => {
                conn.server.metrics.statement("parse", std::time::Duration::ZERO, Some(e.sqlstate().code()));
                Err(to_pgwire(&e, Some(sql)))
            }
        }
    }

    fn get_parameter_types(&self, stmt: &Arc<Prepared>) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .param_types()
            .iter()
            .map(|t| {
                t.as_ref()
                    .and_then(|t| arrow_pg::datatypes::into_pg_type(t).ok())
                    .unwrap_or(Type::TEXT)
            })
            .collect())
    }

    fn get_result_schema(&self, stmt: &Arc<Prepared>, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        match &stmt.fields {
            Some(schema) => Ok(arrow_pg::datatypes::arrow_schema_to_pg_fields(
                schema,
                format.unwrap_or(&Format::UnifiedText),
                None,
            )?),
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
        if let Some(name) = name {
            if let Some(session) = self.session.lock().await.as_mut() {
                session.prepared.insert(name);
            }
        }
        client.send(PgWireBackendMessage::ParseComplete(ParseComplete::new())).await?;
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
        client.send(PgWireBackendMessage::CloseComplete(CloseComplete::new())).await?;
        Ok(())
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<Self::Statement>, _max_rows: usize) -> PgWireResult<Response>
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
        let kind = handler::kind(&prepared.parsed.statement);
        let mut guard = self.session.lock().await;
        let session = guard.as_mut().ok_or(PgWireError::NotReadyForQuery)?;
        let cancel = session.cancel.begin();
        let mut ctx = Ctx {
            server: &self.server,
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
        for notice in &notices {
            client.feed(PgWireBackendMessage::NoticeResponse(notice_response(notice))).await?;
        }
        for r in reported {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(r.name.to_owned(), r.value)))
                .await?;
        }
        self.server.metrics.statement(kind, started.elapsed(), result.as_ref().err().map(|e| e.sqlstate().code()));
        let output = result.map_err(|e| to_pgwire(&e, Some(&prepared.text)))?;
        Ok(match output {
            Output::Rows { tag, schema, stream } => {
                let options = session.format_options();
                let fields = encode::fields(&schema, &portal.result_column_format, options)?;
                let mut response = QueryResponse::new(fields.clone(), encode::data_rows(fields, stream, cancel));
                response.set_command_tag(tag);
                Response::Query(response)
            }
            Output::Command(tag) => Response::Execution(Tag::new(tag)),
            Output::Begin => Response::TransactionStart(Tag::new("BEGIN")),
            Output::End(tag) => {
                session.warned_in_transaction = false;
                Response::TransactionEnd(Tag::new(tag))
            }
            Output::Deallocate { name, tag } => {
                deallocate(client, session, name.as_deref());
                Response::Execution(Tag::new(tag))
            }
        })
    }
}
