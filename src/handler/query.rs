//! Queries: `SELECT`, `VALUES`, `EXPLAIN`, `SHOW TABLES` … answered by DataFusion over the
//! catalog (and, with sources, over live tables).
//!
//! Statements that would write (INSERT, CREATE TABLE …) are refused: the catalog changes
//! through gateway statements, and data moves through pipelines.

use std::sync::Arc;

use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::physical_plan::execute_stream;
use datafusion::sql::parser::Statement as DfStatement;
use futures::TryStreamExt;

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Output};
use crate::engine::{CachedPlan, ConstantResult, is_constant, is_immutable, physical_plan, plan_statement};
use crate::error::{Result, SluiceError};

/// Plans (or finds the cached plan of) `statement` and runs it.
pub async fn handle(ctx: &mut Ctx<'_>, statement: &DfStatement, text: &str) -> Result<Output> {
    if let Some(hit) = ctx.rt.constants.get(ctx.session.time_zone(), text) {
        return Ok(Output::batches("SELECT", hit.schema.clone(), hit.batches.clone()));
    }
    let state = ctx.session.state(ctx.rt);
    let epoch = ctx.rt.store.epoch();
    let cached = match ctx.session.plans.get(text, epoch) {
        Some(cached) => cached,
        None => {
            let plan = plan_statement(&ctx.rt.engine, &state, statement).await?;
            let cached = prepare_plan(&state, plan)?;
            ctx.session.plans.insert(text, epoch, cached.clone());
            cached
        }
    };
    run(ctx, &state, &cached, Some(text)).await
}

/// Checks a fresh plan and decides how it may be cached.
pub fn prepare_plan(state: &SessionState, plan: LogicalPlan) -> Result<Arc<CachedPlan>> {
    refuse_writes(&plan)?;
    let sources = sources_read(&plan, &state.config().options().catalog.default_catalog);
    // A plan with parameters that reads a source or a store-backed system table is
    // optimized once its values are bound: only then do its filters reach the scans
    // (`WHERE name = $1` as an indexed lookup) and is it federated.
    let bound_late = has_parameters(&plan) && (!sources.is_empty() || reads_store(&plan));
    Ok(Arc::new(if is_immutable(&plan) && !bound_late {
        let optimized = state.optimize(&plan)?;
        let constant = is_constant(&optimized);
        CachedPlan { plan: optimized, optimized: true, constant, sources }
    } else {
        CachedPlan { plan, optimized: false, constant: false, sources }
    }))
}

/// Runs a (possibly cached) plan. Constant results are remembered under `text`.
pub async fn run(
    ctx: &mut Ctx<'_>,
    state: &SessionState,
    cached: &CachedPlan,
    text: Option<&str>,
) -> Result<Output> {
    if !cached.sources.is_empty() {
        let rights = ctx.actor().rights(ctx.rt).await?;
        for source in &cached.sources {
            rights.require(Privilege::Select, ObjectKind::Source, source).await?;
        }
    }
    let planning = physical_plan(state, &cached.plan, cached.optimized);
    let physical = tokio::select! {
        plan = planning => plan?,
        _ = ctx.cancel.cancelled() => return Err(SluiceError::Canceled),
    };
    let tag = tag_of(&cached.plan);
    let schema = physical.schema();
    let stream = execute_stream(physical, state.task_ctx())?;
    if let (true, Some(text)) = (cached.constant, text) {
        let batches: Vec<_> = stream.try_collect().await?;
        let result = Arc::new(ConstantResult { schema: schema.clone(), batches });
        ctx.rt.constants.insert(ctx.session.time_zone(), text, result.clone());
        return Ok(Output::batches(tag, schema, result.batches.clone()));
    }
    Ok(Output::Rows { tag, schema, stream })
}

/// The sources whose tables `plan` scans (in subqueries too), once each: a table named
/// `source.database.table` is in the catalog of its source; a shorter name is in the
/// session's default catalog (the gateway's own, unless that ever changes).
fn sources_read(plan: &LogicalPlan, default_catalog: &str) -> Vec<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut sources: Vec<String> = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let catalog = scan.table_name.catalog().unwrap_or(default_catalog);
            if catalog != crate::engine::DATABASE && !sources.iter().any(|s| s == catalog) {
                sources.push(catalog.to_owned());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    sources
}

fn has_parameters(plan: &LogicalPlan) -> bool {
    plan.get_parameter_types().map_or(true, |p| !p.is_empty())
}

/// Whether `plan` scans a system table that reads the store.
fn reads_store(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = datafusion::datasource::source_as_provider(&scan.source)
        {
            found |= sluice_catalog::system::reads_store(provider.as_ref());
        }
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

fn tag_of(plan: &LogicalPlan) -> &'static str {
    match plan {
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => "EXPLAIN",
        _ => "SELECT",
    }
}

fn refuse_writes(plan: &LogicalPlan) -> Result<()> {
    let (what, hint) = match plan {
        LogicalPlan::Dml(dml) if dml.table_name.catalog().is_some_and(|c| c != crate::engine::DATABASE) => (
            format!(
                "{} on source table {} is not supported: queries read sources, they do not write them",
                dml.op, dml.table_name
            ),
            "Write with a pipeline: CREATE PIPELINE p AS INSERT INTO source.database.table SELECT …",
        ),
        LogicalPlan::Dml(dml) => (
            format!("{} is not supported", dml.op),
            "The catalog changes through gateway statements (CREATE, ALTER, DROP); data moves through pipelines.",
        ),
        LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(_) | DdlStatement::CreateExternalTable(_)) => (
            "CREATE TABLE is not supported here".to_owned(),
            "Sluice keeps no tables of its own; sources hold the data.",
        ),
        LogicalPlan::Ddl(ddl) => {
            (format!("{} is not supported", ddl.name()), "The catalog changes through gateway statements.")
        }
        LogicalPlan::Copy(_) => ("COPY is not supported".to_owned(), "Query the rows with SELECT."),
        LogicalPlan::Statement(s) => (
            format!("{} is not supported", s.name()),
            "Use the extended query protocol to prepare statements.",
        ),
        _ => return Ok(()),
    };
    Err(SluiceError::not_supported(what, Some(hint)))
}
