//! Statement handlers: one file per statement kind. This file only routes.

mod alter_pipeline;
mod alter_role;
mod alter_schedule;
mod alter_secret;
mod alter_source;
mod create_pipeline;
mod create_role;
mod create_schedule;
mod create_secret;
mod create_source;
mod create_sync;
mod create_table;
mod create_target;
mod deallocate;
mod describe_pipeline;
mod describe_source;
mod describe_table;
mod discard;
mod drop_pipeline;
mod drop_role;
mod drop_schedule;
mod drop_secret;
mod drop_source;
mod drop_sync;
mod drop_table;
mod drop_target;
mod explain_pipeline;
mod gateway_params;
mod pause_schedule;
pub mod pipeline_access;
pub mod prepare;
mod preview;
mod query;
mod refresh_source;
mod reset;
mod resume_pipeline;
mod run_schedule;
pub mod schedule_access;
mod set;
pub mod show;
mod show_create_pipeline;
mod show_create_source;
mod show_databases;
mod show_deployments;
mod show_pipelines;
mod show_schedules;
mod show_secrets;
mod show_source_types;
mod show_sources;
mod show_syncs;
mod show_tables;
mod show_targets;
pub mod source_access;
pub mod start_pipeline;
mod stop_pipeline;
pub mod target_access;
pub mod test_source;
mod test_target;
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
use crate::sql::ast::pipeline::PipelineInfo;
use crate::sql::ast::schedule::ScheduleInfo;
use crate::sql::ast::source::SourceInfo;
use crate::sql::ast::sync::SyncInfo;
use crate::sql::ast::target::TargetInfo;
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
    #[allow(clippy::self_named_constructors)] // Notice::notice / Notice::warning: by severity
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
    /// Several result sets from one statement (PREVIEW: one per sink).
    ResultSets(Vec<Output>),
    /// DEALLOCATE of one prepared statement (`Some`) or all of them (`None`), which the
    /// wire layer carries out on the connection's statement store.
    Deallocate { name: Option<String>, tag: &'static str },
}

impl Output {
    /// Rows already in memory.
    pub fn batches(tag: &'static str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Output {
        let stream = futures::stream::iter(batches.into_iter().map(Ok));
        Output::Rows {
            tag,
            schema: schema.clone(),
            stream: Box::pin(RecordBatchStreamAdapter::new(schema, stream)),
        }
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
            // a gateway statement's parameters are written into its text before it runs
            crate::sql::parameters::none_left(text)?;
            if g.changes_catalog() && ctx.tx != TxState::Idle && !ctx.session.warned_in_transaction {
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
                GatewayStatement::CreateSecret(s) => create_secret::handle(ctx, s).await,
                GatewayStatement::AlterSecret(s) => alter_secret::handle(ctx, s).await,
                GatewayStatement::DropSecret(s) => drop_secret::handle(ctx, s).await,
                GatewayStatement::CreateSource(s) => create_source::handle(ctx, s).await,
                GatewayStatement::AlterSource(s) => alter_source::handle(ctx, s).await,
                GatewayStatement::DropSource(s) => drop_source::handle(ctx, s).await,
                GatewayStatement::SourceInfo(info) => source_info(ctx, info).await,
                GatewayStatement::CreateTable(s) => create_table::handle(ctx, s).await,
                GatewayStatement::DropTable(s) => drop_table::handle(ctx, s).await,
                GatewayStatement::CreatePipeline(s) => create_pipeline::handle(ctx, s).await,
                GatewayStatement::AlterPipeline(s) => alter_pipeline::handle(ctx, s).await,
                GatewayStatement::DropPipeline(s) => drop_pipeline::handle(ctx, s).await,
                GatewayStatement::PipelineInfo(info) => pipeline_info(ctx, info).await,
                GatewayStatement::CreateTarget(s) => create_target::handle(ctx, s).await,
                GatewayStatement::DropTarget(s) => drop_target::handle(ctx, s).await,
                GatewayStatement::TargetInfo(info) => target_info(ctx, info).await,
                GatewayStatement::StartPipeline(s) => start_pipeline::handle(ctx, s).await,
                GatewayStatement::StopPipeline(s) => stop_pipeline::handle(ctx, s).await,
                GatewayStatement::ResumePipeline(s) => resume_pipeline::handle(ctx, s).await,
                GatewayStatement::CreateSync(s) => create_sync::handle(ctx, s).await,
                GatewayStatement::DropSync(s) => drop_sync::handle(ctx, s).await,
                GatewayStatement::SyncInfo(info) => sync_info(ctx, info).await,
                GatewayStatement::CreateSchedule(s) => create_schedule::handle(ctx, s).await,
                GatewayStatement::AlterSchedule(s) => alter_schedule::handle(ctx, s).await,
                GatewayStatement::DropSchedule(s) => drop_schedule::handle(ctx, s).await,
                GatewayStatement::SetScheduleState(s) => pause_schedule::handle(ctx, s).await,
                GatewayStatement::RunSchedule(s) => run_schedule::run(ctx, s).await,
                GatewayStatement::ScheduleInfo(info) => schedule_info(ctx, info).await,
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

async fn source_info(ctx: &mut Ctx<'_>, info: &SourceInfo) -> Result<Output> {
    match info {
        SourceInfo::ShowSources => show_sources::handle(ctx).await,
        SourceInfo::ShowSourceTypes => show_source_types::show(),
        SourceInfo::ShowSecrets => show_secrets::handle(ctx).await,
        SourceInfo::ShowCreateSource(name) => show_create_source::handle(ctx, name).await,
        SourceInfo::DescribeSource(name) => describe_source::handle(ctx, name).await,
        SourceInfo::DescribeSourceType(name) => show_source_types::describe(name),
        SourceInfo::TestSource(name) => test_source::handle(ctx, name).await,
        SourceInfo::RefreshSource { name, database } => {
            refresh_source::handle(ctx, name, database.as_ref()).await
        }
        SourceInfo::ShowDatabases(name) => show_databases::handle(ctx, name).await,
        SourceInfo::ShowTables(path) => show_tables::handle(ctx, path).await,
        SourceInfo::DescribeTable(path) => describe_table::handle(ctx, path).await,
    }
}

async fn pipeline_info(ctx: &mut Ctx<'_>, info: &PipelineInfo) -> Result<Output> {
    match info {
        PipelineInfo::ShowPipelines => show_pipelines::handle(ctx).await,
        PipelineInfo::ShowCreatePipeline(name) => show_create_pipeline::handle(ctx, name).await,
        PipelineInfo::DescribePipeline(name) => describe_pipeline::handle(ctx, name).await,
        PipelineInfo::DescribePipelineOptions => describe_pipeline::options(),
        PipelineInfo::Explain { name, format, options } => {
            explain_pipeline::handle(ctx, name, *format, options).await
        }
        PipelineInfo::Preview { target, limit } => preview::handle(ctx, target, *limit).await,
    }
}

async fn sync_info(ctx: &mut Ctx<'_>, info: &SyncInfo) -> Result<Output> {
    match info {
        SyncInfo::ShowSyncs => show_syncs::handle(ctx).await,
        SyncInfo::DescribeSync(name) => show_syncs::describe(ctx, name).await,
        SyncInfo::DescribeSyncOptions => show_syncs::options(),
        SyncInfo::ExplainSync(name) => show_syncs::explain(ctx, name).await,
    }
}

async fn schedule_info(ctx: &mut Ctx<'_>, info: &ScheduleInfo) -> Result<Output> {
    match info {
        ScheduleInfo::ShowSchedules => show_schedules::handle(ctx).await,
        ScheduleInfo::DescribeSchedule(name) => show_schedules::describe(ctx, name).await,
        ScheduleInfo::DescribeScheduleOptions => show_schedules::options(),
        ScheduleInfo::ShowRuns(filter) => show_schedules::runs(ctx, filter).await,
    }
}

async fn target_info(ctx: &mut Ctx<'_>, info: &TargetInfo) -> Result<Output> {
    match info {
        TargetInfo::ShowTargets => show_targets::handle(ctx).await,
        TargetInfo::ShowTargetTypes => show_targets::types(),
        TargetInfo::DescribeTargetType(name) => show_targets::describe_type(name),
        TargetInfo::TestTarget(name) => test_target::handle(ctx, name).await,
        TargetInfo::ShowDeployments(pipeline) => show_deployments::handle(ctx, pipeline.as_ref()).await,
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
        Statement::Gateway(GatewayStatement::CreateSecret(_)) => "create_secret",
        Statement::Gateway(GatewayStatement::AlterSecret(_)) => "alter_secret",
        Statement::Gateway(GatewayStatement::DropSecret(_)) => "drop_secret",
        Statement::Gateway(GatewayStatement::CreateSource(_)) => "create_source",
        Statement::Gateway(GatewayStatement::AlterSource(_)) => "alter_source",
        Statement::Gateway(GatewayStatement::DropSource(_)) => "drop_source",
        Statement::Gateway(GatewayStatement::SourceInfo(SourceInfo::TestSource(_))) => "test_source",
        Statement::Gateway(GatewayStatement::SourceInfo(SourceInfo::RefreshSource { .. })) => {
            "refresh_source"
        }
        Statement::Gateway(GatewayStatement::SourceInfo(_)) => "show",
        Statement::Gateway(GatewayStatement::CreateTable(_)) => "create_table",
        Statement::Gateway(GatewayStatement::DropTable(_)) => "drop_table",
        Statement::Gateway(GatewayStatement::CreatePipeline(_)) => "create_pipeline",
        Statement::Gateway(GatewayStatement::AlterPipeline(_)) => "alter_pipeline",
        Statement::Gateway(GatewayStatement::DropPipeline(_)) => "drop_pipeline",
        Statement::Gateway(GatewayStatement::PipelineInfo(PipelineInfo::Explain { .. })) => {
            "explain_pipeline"
        }
        Statement::Gateway(GatewayStatement::PipelineInfo(PipelineInfo::Preview { .. })) => "preview",
        Statement::Gateway(GatewayStatement::PipelineInfo(_)) => "show",
        Statement::Gateway(GatewayStatement::CreateTarget(_)) => "create_target",
        Statement::Gateway(GatewayStatement::DropTarget(_)) => "drop_target",
        Statement::Gateway(GatewayStatement::TargetInfo(TargetInfo::TestTarget(_))) => "test_target",
        Statement::Gateway(GatewayStatement::TargetInfo(_)) => "show",
        Statement::Gateway(GatewayStatement::StartPipeline(_)) => "start_pipeline",
        Statement::Gateway(GatewayStatement::StopPipeline(_)) => "stop_pipeline",
        Statement::Gateway(GatewayStatement::ResumePipeline(_)) => "resume_pipeline",
        Statement::Gateway(GatewayStatement::CreateSync(_)) => "create_sync",
        Statement::Gateway(GatewayStatement::DropSync(_)) => "drop_sync",
        Statement::Gateway(GatewayStatement::SyncInfo(SyncInfo::ExplainSync(_))) => "explain_sync",
        Statement::Gateway(GatewayStatement::SyncInfo(_)) => "show",
        Statement::Gateway(GatewayStatement::CreateSchedule(_)) => "create_schedule",
        Statement::Gateway(GatewayStatement::AlterSchedule(_)) => "alter_schedule",
        Statement::Gateway(GatewayStatement::DropSchedule(_)) => "drop_schedule",
        Statement::Gateway(GatewayStatement::SetScheduleState(_)) => "pause_schedule",
        Statement::Gateway(GatewayStatement::RunSchedule(_)) => "run_schedule",
        Statement::Gateway(GatewayStatement::ScheduleInfo(_)) => "show",
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

/// A result built from rows of scalar values (for SHOW and DESCRIBE statements).
pub fn rows(
    tag: &'static str,
    columns: &[(&str, datafusion::arrow::datatypes::DataType)],
    rows: Vec<Vec<datafusion::common::ScalarValue>>,
) -> Result<Output> {
    use std::sync::Arc;

    use datafusion::arrow::array::new_empty_array;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::common::ScalarValue;
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(name, ty)| Field::new(*name, ty.clone(), true)).collect::<Vec<_>>(),
    ));
    let mut arrays = Vec::with_capacity(columns.len());
    for (i, (_, ty)) in columns.iter().enumerate() {
        let values: Vec<ScalarValue> = rows.iter().map(|r| r[i].clone()).collect();
        let array = if values.is_empty() {
            new_empty_array(ty)
        } else {
            let array = ScalarValue::iter_to_array(values)?;
            datafusion::arrow::compute::cast(&array, ty).map_err(|e| SluiceError::Internal(e.to_string()))?
        };
        arrays.push(array);
    }
    let batch = RecordBatch::try_new(schema, arrays).map_err(|e| SluiceError::Internal(e.to_string()))?;
    Ok(Output::batch(tag, batch))
}

/// Text, as a scalar.
pub fn text(value: impl Into<String>) -> datafusion::common::ScalarValue {
    datafusion::common::ScalarValue::Utf8(Some(value.into()))
}

/// Text or NULL, as a scalar.
pub fn opt_text(value: Option<impl Into<String>>) -> datafusion::common::ScalarValue {
    datafusion::common::ScalarValue::Utf8(value.map(Into::into))
}

/// A text array (`text[]`), as a scalar.
pub fn text_list(values: &[String]) -> datafusion::common::ScalarValue {
    use datafusion::common::ScalarValue;
    let items: Vec<ScalarValue> = values.iter().map(|v| ScalarValue::Utf8(Some(v.clone()))).collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&items, &datafusion::arrow::datatypes::DataType::Utf8))
}

/// A timestamp (microseconds since the epoch, UTC), as a scalar.
pub fn timestamp(micros: i64) -> datafusion::common::ScalarValue {
    datafusion::common::ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
}

/// The `timestamptz` column type.
pub fn timestamptz() -> datafusion::arrow::datatypes::DataType {
    datafusion::arrow::datatypes::DataType::Timestamp(
        datafusion::arrow::datatypes::TimeUnit::Microsecond,
        Some("UTC".into()),
    )
}

/// The `text[]` column type.
pub fn text_array() -> datafusion::arrow::datatypes::DataType {
    use datafusion::arrow::datatypes::{DataType, Field};
    DataType::List(std::sync::Arc::new(Field::new_list_field(DataType::Utf8, true)))
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
