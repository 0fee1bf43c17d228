//! A subquery in ORDER BY — Grafana's
//! `ORDER BY CASE WHEN quote_ident(table_schema) IN (SELECT … search_path …) THEN 0 ELSE 1 END`
//! — which DataFusion refuses outside a projection, filter, join, window or aggregate.
//!
//! Sorting by an expression is sorting by a column computed for the purpose: this
//! analyzer rule, run before DataFusion's own, computes each sort key that has a subquery
//! in a projection below the sort (next to the columns the sort's input has), sorts by
//! it, and projects it away again above. The subquery is then where DataFusion plans
//! subqueries (a join, or a SubPlan when it cannot be decorrelated).

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, Projection, Sort, SortExpr};
use datafusion::optimizer::AnalyzerRule;

use super::subplans::is_or_has_subquery;

#[derive(Debug, Default)]
pub struct SortSubqueries;

impl AnalyzerRule for SortSubqueries {
    fn name(&self) -> &str {
        "sluice_sort_subqueries"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Sort(sort) if sort.expr.iter().any(|s| is_or_has_subquery(&s.expr)) => {
                key_columns(sort).map(Transformed::yes)
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }
}

/// `Sort(k(subquery), input)` → `Projection(input's columns, Sort(__sort_key_n,
/// Projection(input's columns, k AS __sort_key_n, input)))`.
fn key_columns(sort: Sort) -> Result<LogicalPlan> {
    let columns: Vec<Expr> = sort.input.schema().columns().into_iter().map(Expr::Column).collect();
    let mut computed = columns.clone();
    let mut keys = Vec::with_capacity(sort.expr.len());
    for (i, key) in sort.expr.into_iter().enumerate() {
        if is_or_has_subquery(&key.expr) {
            let name = format!("__sort_key_{i}");
            computed.push(key.expr.alias(name.clone()));
            keys.push(SortExpr { expr: Expr::Column(Column::new_unqualified(name)), ..key });
        } else {
            keys.push(key);
        }
    }
    let below = LogicalPlan::Projection(Projection::try_new(computed, sort.input)?);
    let sorted = LogicalPlan::Sort(Sort { expr: keys, input: Arc::new(below), fetch: sort.fetch });
    Ok(LogicalPlan::Projection(Projection::try_new(columns, Arc::new(sorted))?))
}
