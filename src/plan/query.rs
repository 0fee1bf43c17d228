//! A pipeline's INSERT as a query DataFusion can run on bounded data: what PREVIEW shows
//! and what the `local` target writes.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{
    Expr, Limit, LogicalPlan, LogicalPlanBuilder, Projection, Sort, SortExpr, cast, col,
};

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
/// SELECT of a UNION; under its ORDER BY and LIMIT), where its top is one: the query then names no column of a derived
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
        LogicalPlan::Limit(l) => Ok(folded(&l.input, targets)?.map(|input| {
            LogicalPlan::Limit(Limit { skip: l.skip.clone(), fetch: l.fetch.clone(), input: Arc::new(input) })
        })),
        LogicalPlan::Sort(s) => folded_sort(s, targets),
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

/// A sort right over the body's SELECT list, over that list with the sink's names: its
/// keys name the columns by the sink's names, where those columns keep their type (a key
/// on a cast column would sort by the cast value, so such a sort is not folded).
fn folded_sort(sort: &Sort, targets: &[(&str, Option<DataType>)]) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Projection(select) = sort.input.as_ref() else { return Ok(None) };
    let Some(input) = folded(&sort.input, targets)? else { return Ok(None) };
    let mut kept = true;
    let mut keys = Vec::with_capacity(sort.expr.len());
    for key in &sort.expr {
        let expr = key.expr.clone().transform(|e| match e {
            Expr::Column(c) => match select.schema.index_of_column(&c) {
                Ok(i) => {
                    let (name, target) = &targets[i];
                    kept &= target.as_ref().is_none_or(|t| t == select.schema.field(i).data_type());
                    Ok(Transformed::yes(Expr::Column(Column::new_unqualified(*name))))
                }
                Err(_) => {
                    kept = false;
                    Ok(Transformed::no(Expr::Column(c)))
                }
            },
            e => Ok(Transformed::no(e)),
        })?;
        keys.push(SortExpr::new(expr.data, key.asc, key.nulls_first));
    }
    Ok(kept.then(|| LogicalPlan::Sort(Sort { expr: keys, input: Arc::new(input), fetch: sort.fetch })))
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
