//! Integer literals typed as PostgreSQL types them.
//!
//! PostgreSQL gives an integer literal the type `int4` when it fits and `int8` past that
//! (`SELECT 1` is an int4, `SELECT 3000000000` an int8); DataFusion's SQL planner makes
//! every integer literal an Int64. Clients see the difference: node-postgres returns int8
//! as a string, pgjdbc's `getObject` a `Long`. This pass narrows the literals of the
//! values a query returns — those in projections — to Int32 where they fit, before type
//! coercion runs, so `1`, `1 + 1`, `CASE … THEN 1 END` and `a + 1` over an int4 column are
//! int4 as in PostgreSQL.
//!
//! Literals in filters, joins, `LIMIT`, `GROUP BY`/`ORDER BY` positions and function
//! arguments are left alone: their type never reaches the client, and functions declare
//! the argument types they take. A narrowed expression keeps its old output name (an
//! alias), so the nodes above that refer to it by name still find it.

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Expr, LogicalPlan, Projection};

/// `plan` with its projections' integer literals narrowed to Int32 where they fit; the
/// plan as it was where narrowing cannot be applied cleanly.
pub fn int4_literals(plan: LogicalPlan) -> LogicalPlan {
    match narrow_plan(plan.clone()) {
        Ok(narrowed) => narrowed,
        Err(e) => {
            tracing::debug!(error = %e, "integer literals left as int8");
            plan
        }
    }
}

fn narrow_plan(plan: LogicalPlan) -> Result<LogicalPlan> {
    let narrowed = plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Projection(projection) = &node else {
            // Inputs may have changed type: recompute what this node says of them.
            return Ok(Transformed::yes(node.recompute_schema()?));
        };
        let mut changed = false;
        let mut exprs = Vec::with_capacity(projection.expr.len());
        for (i, expr) in projection.expr.iter().enumerate() {
            let narrowed = narrow_expr(expr.clone())?;
            if !narrowed.transformed {
                exprs.push(expr.clone());
                continue;
            }
            changed = true;
            let (qualifier, field) = projection.schema.qualified_field(i);
            exprs.push(match narrowed.data {
                alias @ Expr::Alias(_) => alias,
                other => other.alias_qualified(qualifier.cloned(), field.name()),
            });
        }
        if !changed {
            return Ok(Transformed::yes(node.recompute_schema()?));
        }
        let projection = Projection::try_new(exprs, projection.input.clone())?;
        Ok(Transformed::yes(LogicalPlan::Projection(projection)))
    })?;
    Ok(narrowed.data)
}

/// Narrows the integer literals of `expr` outside function arguments.
fn narrow_expr(expr: Expr) -> Result<Transformed<Expr>> {
    expr.transform_down(|e| match e {
        Expr::ScalarFunction(_)
        | Expr::AggregateFunction(_)
        | Expr::WindowFunction(_)
        | Expr::ScalarSubquery(_)
        | Expr::Exists(_)
        | Expr::InSubquery(_) => Ok(Transformed::new(e, false, TreeNodeRecursion::Jump)),
        Expr::Literal(ScalarValue::Int64(Some(v)), metadata) => match i32::try_from(v) {
            Ok(v) => Ok(Transformed::yes(Expr::Literal(ScalarValue::Int32(Some(v)), metadata))),
            Err(_) => Ok(Transformed::no(Expr::Literal(ScalarValue::Int64(Some(v)), metadata))),
        },
        other => Ok(Transformed::no(other)),
    })
}
