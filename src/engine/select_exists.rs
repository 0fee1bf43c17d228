//! `EXISTS (subquery)` as a value of the select list — Excel's and the .NET providers'
//! "is this column part of the primary key":
//!
//! ```sql
//! CASE WHEN EXISTS (SELECT NULL FROM pg_constraint c1
//!                   WHERE c1.conrelid = c.oid AND c1.contype = 'p' AND a.attnum = ANY (c1.conkey))
//!      THEN true ELSE false END
//! ```
//!
//! DataFusion decorrelates EXISTS only where it filters rows (into a semi join). As a
//! value, it is a question a correlated aggregate answers, which DataFusion decorrelates
//! when the correlation is by equality:
//!
//! * `EXISTS (SELECT … WHERE k)` is `(SELECT count(*) FROM … WHERE k) > 0`;
//! * a membership test of an outer value in an inner array (`x = ANY (inner.arr)`, which
//!   datafusion-pg-catalog has made `array_contains(inner.arr, x)`) cannot stay inside:
//!   the arrays of the matching rows are gathered instead, and the value looked up in
//!   them — `coalesce(array_contains(flatten((SELECT array_agg(inner.arr) FROM … WHERE
//!   k)), x), false)`.
//!
//! `NOT EXISTS` is the negation of either.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Query, SelectItem, SetExpr, Statement, UnaryOperator, Value, VisitMut, VisitorMut,
    visit_expressions, visit_expressions_mut,
};

use super::rewrite::{and_all, conjuncts, ungrouped};
use crate::sql::exprs::{call, function_name, plain_args};

/// Applies the rewrite to every select list of `statement`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut SelectLists);
}

struct SelectLists;

impl VisitorMut for SelectLists {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else { return ControlFlow::Continue(()) };
        for item in &mut select.projection {
            let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else {
                continue;
            };
            let _ = visit_expressions_mut(expr, |e| {
                if let Expr::Exists { subquery, negated } = e
                    && let Some(value) = as_aggregate(subquery)
                {
                    *e = if *negated {
                        Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(value) }
                    } else {
                        value
                    };
                }
                ControlFlow::<()>::Continue(())
            });
        }
        ControlFlow::Continue(())
    }
}

/// The names a subquery's FROM clause binds (aliases, else table names).
fn inner_names(query: &Query) -> Vec<String> {
    let SetExpr::Select(select) = query.body.as_ref() else { return Vec::new() };
    select
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
        .filter_map(|r| match r {
            datafusion::sql::sqlparser::ast::TableFactor::Table { name, alias, .. } => Some(match alias {
                Some(a) => a.name.value.to_lowercase(),
                None => name.0.last()?.as_ident()?.value.to_lowercase(),
            }),
            _ => None,
        })
        .collect()
}

/// Whether every column `expr` names is qualified by one of `names` (`inside`) or by none
/// of them (`!inside`); unqualified columns are neither.
fn qualified_by(expr: &Expr, names: &[String], inside: bool) -> bool {
    let mut all = true;
    let mut any = false;
    let _ = visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(_) | Expr::Subquery(_) => all = false,
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                any = true;
                all &= names.contains(&parts[parts.len() - 2].value.to_lowercase()) == inside;
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    all && any
}

/// `array_contains(inner_array, outer_value)`, split into its two arguments.
fn membership(expr: &Expr, inner: &[String]) -> Option<(Expr, Expr)> {
    let Expr::Function(function) = expr else { return None };
    let (name, _) = function_name(&function.name)?;
    if name != "array_contains" && name != "array_has" {
        return None;
    }
    let args = plain_args(function)?;
    let [array, value] = args.as_slice() else { return None };
    (qualified_by(array, inner, true) && qualified_by(value, inner, false))
        .then(|| (array.clone(), value.clone()))
}

fn as_aggregate(subquery: &Query) -> Option<Expr> {
    if subquery.limit_clause.is_some() || subquery.fetch.is_some() || subquery.with.is_some() {
        return None;
    }
    let inner = inner_names(subquery);
    let mut query = subquery.clone();
    query.order_by = None;
    let SetExpr::Select(select) = query.body.as_mut() else { return None };
    let plain_group_by = ungrouped(select);
    if !plain_group_by || select.having.is_some() || select.distinct.is_some() || select.from.is_empty() {
        return None;
    }
    let all = select.selection.take().map(conjuncts).unwrap_or_default();
    let (tests, rest): (Vec<Expr>, Vec<Expr>) =
        all.into_iter().partition(|c| membership(c, &inner).is_some());
    select.selection = and_all(rest);
    match tests.as_slice() {
        [] => {
            select.projection = vec![SelectItem::UnnamedExpr(call(
                "count",
                vec![Expr::Value(Value::Number("1".into(), false).into())],
            ))];
            Some(Expr::BinaryOp {
                left: Box::new(Expr::Subquery(Box::new(query))),
                op: BinaryOperator::Gt,
                right: Box::new(Expr::Value(Value::Number("0".into(), false).into())),
            })
        }
        [test] => {
            let (array, value) = membership(test, &inner)?;
            select.projection = vec![SelectItem::UnnamedExpr(call("array_agg", vec![array]))];
            let gathered = call("flatten", vec![Expr::Subquery(Box::new(query))]);
            Some(call(
                "coalesce",
                vec![
                    call("array_contains", vec![gathered, value]),
                    Expr::Value(Value::Boolean(false).into()),
                ],
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses").remove(0);
        rewrite(&mut statement);
        statement.to_string()
    }

    #[test]
    fn a_membership_test_gathers_the_arrays() {
        assert_eq!(
            rewritten(
                "SELECT CASE WHEN EXISTS (SELECT NULL FROM pg_constraint c1 WHERE c1.conrelid = c.oid \
                 AND c1.contype = 'p' AND array_contains(c1.conkey, a.attnum)) THEN true ELSE false END FROM t"
            ),
            "SELECT CASE WHEN coalesce(array_contains(flatten((SELECT array_agg(c1.conkey) FROM pg_constraint c1 \
             WHERE c1.conrelid = c.oid AND c1.contype = 'p')), a.attnum), false) THEN true ELSE false END FROM t"
        );
    }

    #[test]
    fn other_tests_count_and_filters_are_left_to_datafusion() {
        assert_eq!(
            rewritten(
                "SELECT NOT EXISTS (SELECT 1 FROM u WHERE u.k = t.k) FROM t WHERE EXISTS (SELECT 1 FROM u)"
            ),
            "SELECT NOT (SELECT count(1) FROM u WHERE u.k = t.k) > 0 FROM t WHERE EXISTS (SELECT 1 FROM u)"
        );
    }
}
