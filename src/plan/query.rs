//! A pipeline's INSERT as a query DataFusion can run on bounded data: what PREVIEW shows
//! and what the `local` target writes.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, col};

use super::PipelinePlan;
use super::types::arrow_type;
use crate::error::{Result, SluiceError};

/// Insert `i`'s query as a SELECT: the sink's column names and types, at most `limit`
/// rows. `runner` names what runs it in errors (`PREVIEW`, `the local target`).
pub fn sink_query(plan: &PipelinePlan, i: usize, limit: Option<usize>, runner: &str) -> Result<LogicalPlan> {
    let insert = &plan.bound.inserts[i];
    if let Some(window) = insert.windows.first() {
        return Err(SluiceError::not_supported(
            format!("{runner} cannot run {window}: windows close only in a running streaming job"),
            Some("Preview the statement without the window function, or run the pipeline."),
        ));
    }
    if let Some(name) = stream_only(&insert.plan) {
        return Err(SluiceError::not_supported(
            format!(
                "{runner} cannot run {}(): it has values only in a running streaming job",
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
    let builder = LogicalPlanBuilder::from(insert.plan.clone()).project(exprs)?;
    Ok(match limit {
        Some(limit) => builder.limit(0, Some(limit))?.build()?,
        None => builder.build()?,
    })
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
