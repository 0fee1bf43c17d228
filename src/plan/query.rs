//! A pipeline's INSERT as a query DataFusion can run on bounded data: what PREVIEW shows
//! and what the `local` target writes.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Projection, cast, col};

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
    let targets: Vec<(&str, Option<DataType>)> = insert
        .columns
        .iter()
        .map(|name| {
            let target = sink.columns.iter().find(|c| c.name == *name).and_then(|c| arrow_type(&c.data_type));
            (name.as_str(), target)
        })
        .collect();
    let body = match folded(&insert.plan, &targets)? {
        Some(folded) => LogicalPlanBuilder::from(folded),
        None => {
            let schema = insert.plan.schema();
            let exprs: Vec<Expr> = schema
                .columns()
                .into_iter()
                .zip(schema.fields())
                .zip(&targets)
                .map(|((column, field), (name, target))| {
                    as_sink_column(col(column), field.data_type(), name, target)
                })
                .collect();
            LogicalPlanBuilder::from(insert.plan.clone()).project(exprs)?
        }
    };
    Ok(match limit {
        Some(limit) => body.limit(0, Some(limit))?.build()?,
        None => body.build()?,
    })
}

/// `expr` (of type `from`) cast to the sink column's type where that is another, named as
/// the sink column.
fn as_sink_column(expr: Expr, from: &DataType, name: &str, target: &Option<DataType>) -> Expr {
    match target {
        Some(t) if t != from => cast(expr, t.clone()).alias(name),
        _ => expr.alias(name),
    }
}

/// The body with the sink's names and types written into its own SELECT list (into each
/// SELECT of a UNION), where its top is one: the query then names no column of a derived
/// table — which a source could not resolve for an unnamed expression (`SELECT 'orders'
/// … UNION ALL …` is named `Utf8("orders")`) once the query is pushed to it whole.
fn folded(body: &LogicalPlan, targets: &[(&str, Option<DataType>)]) -> Result<Option<LogicalPlan>> {
    match body {
        LogicalPlan::Projection(p) if p.expr.len() == targets.len() => {
            let exprs = p
                .expr
                .iter()
                .zip(p.schema.fields())
                .zip(targets)
                .map(|((e, field), (name, target))| {
                    as_sink_column(e.clone().unalias(), field.data_type(), name, target)
                })
                .collect();
            Ok(Some(LogicalPlan::Projection(Projection::try_new(exprs, p.input.clone())?)))
        }
        LogicalPlan::Union(u) => {
            let mut inputs = Vec::with_capacity(u.inputs.len());
            for input in &u.inputs {
                match folded(input, targets)? {
                    Some(f) => inputs.push(f),
                    None => return Ok(None),
                }
            }
            let mut inputs = inputs.into_iter();
            let Some(first) = inputs.next() else { return Ok(None) };
            let union = inputs.try_fold(LogicalPlanBuilder::from(first), |b, next| b.union(next))?;
            Ok(Some(union.build()?))
        }
        _ => Ok(None),
    }
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
