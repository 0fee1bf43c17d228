//! A pipeline's INSERT as a query DataFusion can run on bounded data: what PREVIEW shows
//! and what the `local` target writes.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, FetchType, LogicalPlan, LogicalPlanBuilder, SkipType, cast, col};

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
    // The sink's names and types are applied in the query's own projection rather than
    // one stacked on it: a source is sent one SELECT (see engine/federation.rs), which
    // the unparser writes right only from a single projection.
    // A projection commutes with a LIMIT above it: the body's own LIMIT goes on top.
    let (body, body_limit) = match &insert.plan {
        LogicalPlan::Limit(l) if matches!(l.input.as_ref(), LogicalPlan::Projection(_)) => {
            match (l.get_skip_type()?, l.get_fetch_type()?) {
                (SkipType::Literal(0), FetchType::Literal(fetch)) => (l.input.as_ref(), fetch),
                _ => (&insert.plan, None),
            }
        }
        other => (other, None),
    };
    let (input, selected): (LogicalPlan, Vec<Expr>) = match body {
        LogicalPlan::Projection(p) => {
            ((*p.input).clone(), p.expr.iter().map(|e| e.clone().unalias()).collect())
        }
        other => (other.clone(), other.schema().columns().into_iter().map(col).collect()),
    };
    let limit = match (limit, body_limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let exprs: Vec<Expr> = selected
        .into_iter()
        .zip(&insert.columns)
        .map(|(expr, name)| {
            let target = sink.columns.iter().find(|c| c.name == *name).and_then(|c| arrow_type(&c.data_type));
            match target {
                Some(t) => cast(expr, t).alias(name),
                None => expr.alias(name),
            }
        })
        .collect();
    let builder = LogicalPlanBuilder::from(input).project(exprs)?;
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
