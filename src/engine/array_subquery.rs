//! `ARRAY(subquery)`: PostgreSQL's array constructor from a query's rows, which DataFusion
//! lacks. It is the same as aggregating the rows into an array, so
//! `ARRAY(SELECT x FROM t WHERE … ORDER BY y)` becomes
//! `(SELECT array_agg(x ORDER BY y) FROM t WHERE …)` — a scalar subquery that aggregates,
//! which DataFusion decorrelates when it refers to the outer query (as psql's and
//! Sigma's catalog queries do). A query of any other shape (DISTINCT, LIMIT, grouping,
//! set operations) is aggregated from outside: `(SELECT array_agg(v) FROM (query) AS
//! _array(v))`.
//!
//! One difference remains: over no rows PostgreSQL's constructor gives an empty array,
//! `array_agg` gives NULL.

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments, LambdaFunction,
    LambdaFunctionParameter, LambdaSyntax, OneOrManyWithParens, OrderByKind, Query, SelectItem, SetExpr,
    TableFactor,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::exprs::call;

/// Rewrites `expr` if it is `ARRAY(subquery)`.
pub fn array_subquery(expr: &mut Expr) {
    let Expr::Function(function) = expr else { return };
    let is_array = function.name.0.len() == 1
        && function.name.0[0]
            .as_ident()
            .is_some_and(|i| i.quote_style.is_none() && i.value.eq_ignore_ascii_case("array"));
    let FunctionArguments::Subquery(query) = &function.args else { return };
    if !is_array {
        return;
    }
    let query = query.as_ref().clone();
    if let Some(mapped) = map_unnested(&query) {
        *expr = mapped;
    } else if let Some(aggregated) = aggregate_in_place(query.clone()).or_else(|| aggregate_outside(&query)) {
        *expr = Expr::Subquery(Box::new(aggregated));
    }
}

/// `ARRAY(SELECT g(x) FROM unnest(a) x [WHERE p(x)])` — an array mapped element by
/// element, as psql's `array(select 'toast.' || x from unnest(tc.reloptions) x)` — is
/// `array_transform(array_filter(a, x -> p(x)), x -> g(x))`: the array may come from the
/// outer row, which no join could decorrelate.
fn map_unnested(query: &Query) -> Option<Expr> {
    if query.order_by.is_some()
        || query.limit_clause.is_some()
        || query.fetch.is_some()
        || query.with.is_some()
    {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    let plain_group_by = super::rewrite::ungrouped(select);
    if select.projection.len() != 1
        || !plain_group_by
        || select.having.is_some()
        || select.distinct.is_some()
        || select.from.len() != 1
        || !select.from[0].joins.is_empty()
    {
        return None;
    }
    let (array, alias) = match &select.from[0].relation {
        TableFactor::UNNEST {
            alias: Some(alias),
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } if array_exprs.len() == 1 => (array_exprs[0].clone(), alias),
        TableFactor::Table { name, args: Some(args), alias: Some(alias), with_ordinality: false, .. }
            if name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .is_some_and(|i| i.value.eq_ignore_ascii_case("unnest"))
                && args.args.len() == 1 =>
        {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(array)) = &args.args[0] else { return None };
            (array.clone(), alias)
        }
        _ => return None,
    };
    let element = match alias.columns.as_slice() {
        [] => alias.name.clone(),
        [column] => column.name.clone(),
        _ => return None,
    };
    let item = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
        _ => return None,
    };
    if super::rewrite::contains_aggregate(&item) {
        return None;
    }
    let lambda = |body: Expr| {
        Expr::Lambda(LambdaFunction {
            params: OneOrManyWithParens::One(LambdaFunctionParameter {
                name: element.clone(),
                data_type: None,
            }),
            body: Box::new(body),
            syntax: LambdaSyntax::Arrow,
        })
    };
    let mut mapped = array;
    if let Some(condition) = &select.selection {
        mapped = call("array_filter", vec![mapped, lambda(condition.clone())]);
    }
    if !matches!(&item, Expr::Identifier(i) if i.value == element.value) {
        mapped = call("array_transform", vec![mapped, lambda(item)]);
    }
    Some(mapped)
}

/// `SELECT x … ORDER BY y` → `SELECT array_agg(x ORDER BY y) …`, for a plain SELECT of
/// one value.
fn aggregate_in_place(mut query: Query) -> Option<Query> {
    if query.limit_clause.is_some() || query.fetch.is_some() || query.with.is_some() {
        return None;
    }
    let order = match query.order_by.take() {
        None => Vec::new(),
        Some(order) => match order.kind {
            OrderByKind::Expressions(exprs) => exprs,
            OrderByKind::All(_) => return None,
        },
    };
    let SetExpr::Select(select) = query.body.as_mut() else { return None };
    let plain_group_by = super::rewrite::ungrouped(select);
    if select.projection.len() != 1 || !plain_group_by || select.having.is_some() || select.distinct.is_some()
    {
        return None;
    }
    let item = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
        _ => return None,
    };
    if super::rewrite::contains_aggregate(&item) {
        return None;
    }
    let mut aggregate = call("array_agg", vec![item]);
    if let (Expr::Function(f), false) = (&mut aggregate, order.is_empty())
        && let FunctionArguments::List(list) = &mut f.args
    {
        list.clauses.push(FunctionArgumentClause::OrderBy(order));
    }
    select.projection = vec![SelectItem::UnnamedExpr(aggregate)];
    Some(query)
}

/// `(SELECT array_agg(v) FROM (query) AS _array(v))`.
fn aggregate_outside(query: &Query) -> Option<Query> {
    let text = format!("SELECT array_agg(_array.v) FROM ({query}) AS _array(v)");
    Parser::new(&PostgreSqlDialect {}).try_with_sql(&text).ok()?.parse_query().ok().map(|q| *q)
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::ast::{Statement, visit_expressions_mut};

    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statement: Statement =
            Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses").remove(0);
        let _ = visit_expressions_mut(&mut statement, |e| {
            array_subquery(e);
            std::ops::ControlFlow::<()>::Continue(())
        });
        statement.to_string()
    }

    #[test]
    fn a_plain_select_aggregates_in_place_with_its_order() {
        assert_eq!(
            rewritten(
                "SELECT ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid ORDER BY a.attnum) FROM pg_class c"
            ),
            "SELECT (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid) FROM pg_class c"
        );
    }

    #[test]
    fn an_unnested_array_is_mapped_element_by_element() {
        assert_eq!(
            rewritten(
                "SELECT ARRAY(SELECT 'toast.' || x FROM pg_catalog.unnest(tc.reloptions) x WHERE x <> '') FROM t tc"
            ),
            "SELECT array_transform(array_filter(tc.reloptions, x -> x <> ''), x -> 'toast.' || x) FROM t tc"
        );
        assert_eq!(rewritten("SELECT ARRAY(SELECT v FROM unnest(a) AS u(v))"), "SELECT a");
    }

    #[test]
    fn other_shapes_aggregate_from_outside() {
        assert_eq!(
            rewritten("SELECT array(SELECT DISTINCT x FROM t LIMIT 3)"),
            "SELECT (SELECT array_agg(_array.v) FROM (SELECT DISTINCT x FROM t LIMIT 3) AS _array (v))"
        );
    }

    #[test]
    fn a_function_named_array_with_arguments_is_left_alone() {
        assert_eq!(rewritten("SELECT array_length(ARRAY[1, 2], 1)"), "SELECT array_length(ARRAY[1, 2], 1)");
    }
}
