//! Statement handlers: one file per statement kind. This file only routes.

mod alter_role;
mod create_role;
mod deallocate;
mod discard;
mod drop_role;
pub mod prepare;
mod query;
mod reset;
mod set;
pub mod show;
mod transaction;



use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use tokio_util::sync::CancellationToken;

use crate::error::{Result, SluiceError};
use crate::server::params::Reported;
use crate::server::session::Session;
use crate::server::state::ServerState;
use crate::sql::{GatewayStatement, Parsed, Statement};

pub use prepare::Prepared;

/// Where the connection is with respect to a transaction block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    Idle,
    InBlock,
    Failed,
}

/// A message sent to the client beside the result (NOTICE, WARNING).
#[derive(Debug, Clone)]
pub struct Notice {
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

impl Notice {
    pub fn notice(message: impl Into<String>) -> Notice {
        Notice { severity: "NOTICE", code: "00000", message: message.into(), hint: None }
    }

    pub fn warning(message: impl Into<String>, hint: Option<&str>) -> Notice {
        Notice { severity: "WARNING", code: "01000", message: message.into(), hint: hint.map(str::to_owned) }
    }
}

/// Everything a handler may use.
pub struct Ctx<'a> {
    pub server: &'a ServerState,
    pub session: &'a mut Session,
    pub tx: TxState,
    /// Triggered by a cancel request for this statement.
    pub cancel: CancellationToken,
    pub notices: Vec<Notice>,
    /// Reported parameters that changed (sent as ParameterStatus).
    pub reported: Vec<Reported>,
}

/// What a statement produced.
pub enum Output {
    /// Rows, streamed; `tag` is the command tag (SELECT, SHOW, EXPLAIN).
    Rows { tag: &'static str, schema: SchemaRef, stream: SendableRecordBatchStream },
    /// A command tag such as `CREATE ROLE` or `SET`.
    Command(&'static str),
    /// BEGIN (or START TRANSACTION).
    Begin,
    /// The block ended; the tag says how (COMMIT or ROLLBACK).
    End(&'static str),
    /// ROLLBACK TO SAVEPOINT: the block is usable again after an error.
    RolledBackToSavepoint,
    /// DEALLOCATE of one prepared statement (`Some`) or all of them (`None`), which the
    /// wire layer carries out on the connection's statement store.
    Deallocate { name: Option<String>, tag: &'static str },
}

impl Output {
    /// Rows already in memory.
    pub fn batches(tag: &'static str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Output {
        let stream = futures::stream::iter(batches.into_iter().map(Ok));
        Output::Rows { tag, schema: schema.clone(), stream: Box::pin(RecordBatchStreamAdapter::new(schema, stream)) }
    }

    /// One batch of rows.
    pub fn batch(tag: &'static str, batch: RecordBatch) -> Output {
        let schema = batch.schema();
        Output::batches(tag, schema, vec![batch])
    }
}

/// Runs one parsed statement; `text` is the statement's own text.
pub async fn handle(ctx: &mut Ctx<'_>, parsed: &Parsed, text: &str) -> Result<Output> {
    if ctx.tx == TxState::Failed && !ends_transaction(&parsed.statement) {
        return Err(SluiceError::InFailedTransaction);
    }
    match &parsed.statement {
        Statement::Gateway(g) => {
            if ctx.tx != TxState::Idle && !ctx.session.warned_in_transaction {
                ctx.session.warned_in_transaction = true;
                ctx.notices.push(Notice::warning(
                    "catalog changes take effect immediately and are not undone by ROLLBACK",
                    Some("Sluice applies each gateway statement on its own, even inside BEGIN … COMMIT."),
                ));
            }
            match g {
                GatewayStatement::CreateRole(s) => create_role::handle(ctx, s).await,
                GatewayStatement::AlterRole(s) => alter_role::handle(ctx, s).await,
                GatewayStatement::DropRole(s) => drop_role::handle(ctx, s).await,
            }
        }
        Statement::Query(df) => match df.as_ref() {
            DfStatement::Statement(s) => match s.as_ref() {
                SqlStatement::Set(set) => set::handle(ctx, set),
                SqlStatement::ShowVariable { variable } => show::handle(ctx, variable),
                SqlStatement::StartTransaction { .. } => transaction::begin(ctx),
                SqlStatement::Commit { .. } => transaction::commit(ctx),
                SqlStatement::Rollback { savepoint, .. } => transaction::rollback(ctx, savepoint.is_some()),
                SqlStatement::Savepoint { .. } => transaction::savepoint(ctx, "SAVEPOINT"),
                SqlStatement::ReleaseSavepoint { .. } => transaction::savepoint(ctx, "RELEASE"),
                SqlStatement::Deallocate { name, .. } => deallocate::handle(ctx, name),
                SqlStatement::Discard { object_type } => discard::handle(ctx, object_type),
                _ => query::handle(ctx, df, text).await,
            },
            DfStatement::Reset(reset) => reset::handle(ctx, reset),
            _ => query::handle(ctx, df, text).await,
        },
    }
}

fn ends_transaction(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(df) if matches!(
            df.as_ref(),
            DfStatement::Statement(s) if matches!(s.as_ref(), SqlStatement::Commit { .. } | SqlStatement::Rollback { .. })
        )
    )
}

/// A short, fixed name for the kind of statement (a metrics label).
pub fn kind(statement: &Statement) -> &'static str {
    match statement {
        Statement::Gateway(GatewayStatement::CreateRole(_)) => "create_role",
        Statement::Gateway(GatewayStatement::AlterRole(_)) => "alter_role",
        Statement::Gateway(GatewayStatement::DropRole(_)) => "drop_role",
        Statement::Query(df) => match df.as_ref() {
            DfStatement::Statement(s) => match s.as_ref() {
                SqlStatement::Query(_) => "select",
                SqlStatement::Set(_) => "set",
                SqlStatement::ShowVariable { .. } => "show",
                SqlStatement::StartTransaction { .. }
                | SqlStatement::Commit { .. }
                | SqlStatement::Rollback { .. }
                | SqlStatement::Savepoint { .. }
                | SqlStatement::ReleaseSavepoint { .. } => "transaction",
                SqlStatement::Deallocate { .. } | SqlStatement::Discard { .. } => "deallocate",
                SqlStatement::Explain { .. } => "explain",
                _ => "other",
            },
            DfStatement::Reset(_) => "reset",
            DfStatement::Explain(_) => "explain",
            _ => "other",
        },
    }
}

/// Refuses gateway statements that need superuser rights. The role is read from the
/// store each time, so a role demoted or dropped meanwhile loses its rights at once.
pub async fn require_superuser(ctx: &Ctx<'_>, what: &str) -> Result<()> {
    let role = ctx.server.store.role(&ctx.session.user).await?;
    if role.is_some_and(|r| r.superuser) {
        Ok(())
    } else {
        Err(SluiceError::PermissionDenied(format!("only superusers may {what}")))
    }
}
