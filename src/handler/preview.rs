//! `PREVIEW PIPELINE name [SINK s] [LIMIT n]` and `PREVIEW INSERT …` — every sink's query
//! run as a bounded SELECT by DataFusion over the live source tables (filters and limits
//! pushed down to them), one result set per sink, columns named and typed as the sink's.
//! Nothing is written anywhere.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, col};

use super::pipeline_access::{load, plan};
use super::{Ctx, Output};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::resolve::parts;
use crate::plan::types::arrow_type;
use crate::plan::{PipelinePlan, Tables, bind};
use crate::sql::ast::pipeline::PreviewTarget;

/// Rows per sink when the statement gives no LIMIT.
pub const DEFAULT_LIMIT: u64 = 100;

pub async fn handle(ctx: &mut Ctx<'_>, target: &PreviewTarget, limit: Option<u64>) -> Result<Output> {
    let (plan, chosen) = bind_target(ctx, target).await?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let mut outputs = Vec::new();
    for i in chosen {
        let bounded = bounded(&plan, i, limit)?;
        let frame = plan.bound.planner.execute_logical_plan(bounded).await?;
        let schema = frame.schema().as_arrow().clone();
        let stream = frame.execute_stream().await?;
        outputs.push(Output::Rows { tag: "SELECT", schema: std::sync::Arc::new(schema), stream });
    }
    Ok(Output::ResultSets(outputs))
}

/// The columns PREVIEW returns when it returns one result set (for Describe).
pub async fn describe(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
) -> Result<Option<datafusion::arrow::datatypes::SchemaRef>> {
    let (plan, chosen) = bind_target(ctx, target).await?;
    match chosen.as_slice() {
        [one] => Ok(Some(std::sync::Arc::new(bounded(&plan, *one, 1)?.schema().as_arrow().clone()))),
        _ => Ok(None),
    }
}

/// The plan, bound over the live tables, and the inserts to preview.
async fn bind_target(ctx: &mut Ctx<'_>, target: &PreviewTarget) -> Result<(PipelinePlan, Vec<usize>)> {
    let server = ctx.server;
    let catalogs = server.engine.catalogs();
    let (plan, sink) = match target {
        PreviewTarget::Pipeline { name, sink } => {
            let stored = load(ctx, name.as_str()).await?;
            (plan(ctx, &stored, Tables::Live(catalogs)).await?, sink.as_ref())
        }
        PreviewTarget::Body(body) => {
            let bound = bind(ctx, &[], body, Tables::Live(catalogs)).await?;
            (PipelinePlan::new("preview", bound), None)
        }
    };
    let chosen: Vec<usize> = match sink {
        None => (0..plan.bound.inserts.len()).collect(),
        Some(sink) => {
            let wanted = parts(sink);
            let chosen: Vec<usize> = plan
                .bound
                .inserts
                .iter()
                .enumerate()
                .filter(|(_, i)| {
                    let path = &plan.bound.tables[i.sink].path;
                    match wanted.as_slice() {
                        [s, d, t] => path.source == *s && path.database == *d && path.table == *t,
                        [s, t] => path.source == *s && path.database.is_empty() && path.table == *t,
                        _ => false,
                    }
                })
                .map(|(n, _)| n)
                .collect();
            if chosen.is_empty() {
                return Err(SluiceError::Query {
                    state: SqlState::UndefinedTable,
                    message: format!("pipeline \"{}\" has no sink {sink}", plan.name),
                    hint: None,
                    pos: None,
                });
            }
            chosen
        }
    };
    Ok((plan, chosen))
}

/// Insert `i`'s query as the bounded SELECT: the sink's column names and types, `limit` rows.
fn bounded(plan: &PipelinePlan, i: usize, limit: usize) -> Result<LogicalPlan> {
    let insert = &plan.bound.inserts[i];
    if let Some(window) = insert.windows.first() {
        return Err(SluiceError::not_supported(
            format!("PREVIEW cannot run {window}: windows close only in a running streaming job"),
            Some("Preview the statement without the window function, or run the pipeline."),
        ));
    }
    if let Some(name) = stream_only(&insert.plan) {
        return Err(SluiceError::not_supported(
            format!(
                "PREVIEW cannot run {}(): it has values only in a running streaming job",
                name.to_uppercase()
            ),
            Some("Preview the statement without it, or run the pipeline."),
        ));
    }
    let sink = &plan.bound.tables[insert.sink];
    let exprs: Vec<Expr> = insert
        .plan
        .schema()
        .columns()
        .into_iter()
        .zip(&insert.columns)
        .map(|(column, name)| {
            let target = sink.columns.iter().find(|c| c.name == *name).and_then(|c| arrow_type(&c.data_type));
            let expr = col(column);
            match target {
                Some(t) => cast(expr, t).alias(name),
                None => expr.alias(name),
            }
        })
        .collect();
    Ok(LogicalPlanBuilder::from(insert.plan.clone()).project(exprs)?.limit(0, Some(limit))?.build()?)
}

/// The first stream-only function (PROCTIME, CURRENT_WATERMARK) the plan calls.
fn stream_only(plan: &LogicalPlan) -> Option<String> {
    let mut found = None;
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|e| {
                if let Expr::ScalarFunction(f) = e
                    && sluice_functions::flink::TYPE_ONLY.contains(&f.name())
                {
                    found = Some(f.name().to_owned());
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}
