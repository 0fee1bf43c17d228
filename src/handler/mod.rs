//! Statement handlers: one file per statement kind. This file only routes.

mod alter_owner;
mod alter_pipeline;
mod alter_role;
mod alter_schedule;
mod alter_secret;
mod alter_source;
pub(crate) mod apply;
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
mod explain_lineage;
mod explain_pipeline;
mod gateway_params;
mod grant;
mod grant_role;
mod pause_schedule;
pub mod prepare;
mod preview;
mod refresh_sync;
pub use preview::BoundPreview;
mod query;
mod refresh_source;
mod reset;
mod resume_pipeline;
mod revoke;
mod revoke_role;
mod run_schedule;
pub mod schedule_access;
mod set;
pub mod show;
mod show_create;
mod show_databases;
mod show_deployments;
mod show_grants;
mod show_pipelines;
mod show_schedules;
mod show_secrets;
mod show_source_types;
mod show_sources;
mod show_syncs;
mod show_tables;
mod show_targets;
pub mod start_pipeline;
mod stop_pipeline;
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

use sluice_catalog::privileges::{ObjectKind, Privilege};

use crate::error::{Result, SluiceError};
pub use crate::notice::Notice;
use crate::runtime::Runtime;
use crate::server::params::Reported;
use crate::server::session::Session;
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

/// Everything a handler may use.
pub struct Ctx<'a> {
    pub rt: &'a Runtime,
    pub session: &'a mut Session,
    pub tx: TxState,
    /// Triggered by a cancel request for this statement.
    pub cancel: CancellationToken,
    pub notices: Vec<Notice>,
    /// Reported parameters that changed (sent as ParameterStatus).
    pub reported: Vec<Reported>,
}

impl<'a> Ctx<'a> {
    /// The role the statement acts for.
    pub fn actor(&self) -> crate::service::Actor {
        crate::service::Actor::new(self.session.user.clone())
    }

    /// What binding a pipeline needs from this statement: the catalog and its notices.
    pub fn plan_ctx(&mut self) -> crate::plan::PlanCtx<'_> {
        let rt = self.rt;
        crate::plan::PlanCtx { store: &rt.store, master_key: &rt.master_key, notices: &mut self.notices }
    }
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
            if parsed.statement.kind().writes_catalog
                && ctx.tx != TxState::Idle
                && !ctx.session.warned_in_transaction
            {
                ctx.session.warned_in_transaction = true;
                ctx.notices.push(Notice::warning(
                    "catalog changes take effect immediately and are not undone by ROLLBACK",
                    Some("Sluice applies each gateway statement on its own, even inside BEGIN … COMMIT."),
                ));
            }
            // statements that change the catalog run one at a time (store/lock.rs):
            // what one checks cannot be dropped under it by another
            let lock = match parsed.statement.kind().writes_catalog && !runs_a_job(g) {
                true => Some(ctx.rt.store.catalog_lock().await?),
                false => None,
            };
            let out = gateway(ctx, g, text).await;
            if let Some(lock) = lock {
                lock.release().await;
            }
            out
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

/// Runs gateway statement `g`, whose text is `text`.
async fn gateway(ctx: &mut Ctx<'_>, g: &GatewayStatement, text: &str) -> Result<Output> {
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
        GatewayStatement::RefreshSync(s) => refresh_sync::handle(ctx, s).await,
        GatewayStatement::SyncInfo(info) => sync_info(ctx, info).await,
        GatewayStatement::CreateSchedule(s) => create_schedule::handle(ctx, s).await,
        GatewayStatement::AlterSchedule(s) => alter_schedule::handle(ctx, s).await,
        GatewayStatement::DropSchedule(s) => drop_schedule::handle(ctx, s).await,
        GatewayStatement::SetScheduleState(s) => pause_schedule::handle(ctx, s).await,
        GatewayStatement::RunSchedule(s) => run_schedule::run(ctx, s).await,
        GatewayStatement::ScheduleInfo(info) => schedule_info(ctx, info).await,
        GatewayStatement::GrantPrivileges(s) => grant::handle(ctx, s).await,
        GatewayStatement::RevokePrivileges(s) => revoke::handle(ctx, s).await,
        GatewayStatement::GrantRole(s) => grant_role::handle(ctx, s).await,
        GatewayStatement::RevokeRole(s) => revoke_role::handle(ctx, s).await,
        GatewayStatement::AlterOwner(s) => alter_owner::handle(ctx, s).await,
        GatewayStatement::ShowGrants(s) => show_grants::handle(ctx, s).await,
        GatewayStatement::ShowCreate(s) => show_create::handle(ctx, s).await,
        GatewayStatement::Apply(s) => apply::handle(ctx, s, text).await,
        GatewayStatement::ExplainLineage(s) => explain_lineage::handle(ctx, s).await,
    }
}

/// Whether `g` runs or waits on a job (START, STOP, RESUME, RUN SCHEDULE, APPLY): such statements
/// change the catalog without the catalog lock, since they can take long and the store
/// refuses their races by itself (one active deployment per pipeline, foreign keys to
/// the pipeline).
fn runs_a_job(g: &GatewayStatement) -> bool {
    use GatewayStatement as G;
    // APPLY runs statements of both sorts: each takes the lock as it would on its own
    matches!(
        g,
        G::StartPipeline(_) | G::StopPipeline(_) | G::ResumePipeline(_) | G::RunSchedule(_) | G::Apply(_)
    )
}

async fn source_info(ctx: &mut Ctx<'_>, info: &SourceInfo) -> Result<Output> {
    // what reads the source itself (with its stored credentials) needs SELECT on it
    let reads = match info {
        SourceInfo::TestSource(name)
        | SourceInfo::ShowDatabases(name)
        | SourceInfo::RefreshSource { name, .. } => Some(name.as_str()),
        SourceInfo::ShowTables(path) | SourceInfo::DescribeTable(path) => path.0.first().map(|p| p.as_str()),
        _ => None,
    };
    if let Some(source) = reads {
        require(ctx, Privilege::Select, ObjectKind::Source, source).await?;
    }
    match info {
        SourceInfo::ShowSources => show_sources::handle(ctx).await,
        SourceInfo::ShowSourceTypes => show_source_types::show(),
        SourceInfo::ShowSecrets => show_secrets::handle(ctx).await,
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
        TargetInfo::TestTarget(name) => {
            require(ctx, Privilege::Usage, ObjectKind::Target, name.as_str()).await?;
            test_target::handle(ctx, name).await
        }
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

/// Refuses (42501) unless the session's role owns `kind` `name` (or is a superuser).
pub async fn require_owner(ctx: &Ctx<'_>, kind: ObjectKind, name: &str) -> Result<()> {
    ctx.actor().require_owner(ctx.rt, kind, name).await
}

/// Refuses (42501) unless the session's role has `privilege` on `kind` `name`.
pub async fn require(ctx: &Ctx<'_>, privilege: Privilege, kind: ObjectKind, name: &str) -> Result<()> {
    ctx.actor().require(ctx.rt, privilege, kind, name).await
}

/// Refuses (42501) unless the session's role may create `what` (CREATE ON DATABASE); an
/// existing object of `kind` `name` (OR REPLACE) must also be the role's own. Returns the
/// rights it read, for the statement's further checks.
pub async fn require_create<'a>(
    ctx: &Ctx<'a>,
    what: &str,
    replaces: Option<(ObjectKind, &str)>,
) -> Result<crate::service::access::Rights<'a>> {
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_create(what)?;
    if let Some((kind, name)) = replaces {
        rights.require_owner(kind, name).await?;
    }
    Ok(rights)
}

/// Refuses gateway statements that need superuser rights (see [`crate::service::Actor`]).
pub async fn require_superuser(ctx: &Ctx<'_>, what: &str) -> Result<()> {
    ctx.actor().require_superuser(ctx.rt, what).await
}
