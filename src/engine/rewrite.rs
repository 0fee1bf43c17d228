//! Rewrites of the statement's AST before DataFusion plans it, for PostgreSQL syntax
//! DataFusion does not take as is. (datafusion-pg-catalog's rules run first; these are
//! Sluice's own additions.)

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, CaseWhen, Expr, FunctionArguments, GroupByExpr, JoinOperator, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, TableWithJoins, Value, Visit, VisitMut, Visitor, VisitorMut,
    visit_expressions, visit_expressions_mut,
};
use sluice_functions::like::LIKE_ESCAPE;

use crate::sql::exprs::call;

/// Applies every rewrite to `statement`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut NeverEvaluated);
    super::select_exists::rewrite(statement);
    let _ = visit_expressions_mut(statement, |expr| {
        super::array_subquery::array_subquery(expr);
        like_escape(expr);
        composite_field(expr);
        user_keyword(expr);
        aggregate_catalog_lookup(expr);
        ControlFlow::<()>::Continue(())
    });
}

/// `user`, `current_role` (and `current_user`, `session_user`) written without
/// parentheses are keywords in PostgreSQL, never column names: the session's user.
fn user_keyword(expr: &mut Expr) {
    let ident = match expr {
        Expr::Identifier(ident) if ident.quote_style.is_none() => ident.value.clone(),
        Expr::Function(f) if matches!(f.args, FunctionArguments::None) && f.name.0.len() == 1 => {
            match f.name.0[0].as_ident() {
                Some(i) if i.quote_style.is_none() => i.value.clone(),
                _ => return,
            }
        }
        _ => return,
    };
    let function = match ident.to_ascii_lowercase().as_str() {
        "user" | "current_user" | "current_role" => "current_user",
        "session_user" => "session_user",
        _ => return,
    };
    *expr = call(function, vec![]);
}

/// `(expression).field` — a field of a composite value, as PostgreSQL writes it — is
/// DataFusion's `get_field(expression, 'field')`.
fn composite_field(expr: &mut Expr) {
    let Expr::CompoundFieldAccess { root, access_chain } = expr else { return };
    if !matches!(root.as_ref(), Expr::Nested(_)) {
        return;
    }
    let mut fields = Vec::with_capacity(access_chain.len());
    for access in access_chain.iter() {
        match access {
            AccessExpr::Dot(Expr::Identifier(field)) => fields.push(field.value.clone()),
            _ => return,
        }
    }
    let mut folded = root.as_ref().clone();
    for field in fields {
        folded = call("get_field", vec![folded, Expr::value(Value::SingleQuotedString(field))]);
    }
    *expr = folded;
}

/// A scalar subquery that looks a value up in `pg_catalog` — `(SELECT t.typname FROM
/// pg_catalog.pg_type t WHERE t.oid = a.atttypid)` — returns at most one row because the
/// catalog's keys say so; DataFusion can only run correlated scalar subqueries that
/// aggregate, so the lookup becomes `(SELECT first_value(t.typname) FROM …)`. Only
/// subqueries that read nothing but `pg_catalog` are touched.
fn aggregate_catalog_lookup(expr: &mut Expr) {
    let Expr::Subquery(query) = expr else { return };
    if !is_plain_lookup(query) {
        return;
    }
    if reads_only_unpopulated(query) {
        // A lookup in a catalog Sluice never fills finds no row: its value is NULL.
        *expr = Expr::Value(Value::Null.into());
        return;
    }
    if reads_only_catalog(query)
        && let Some(value) = super::keyed_lookup::keyed_lookup(query, conjuncts)
    {
        *expr = value;
        return;
    }
    if let Some(condition) = rewrite_lookup(query) {
        let subquery = std::mem::replace(expr, Expr::Value(Value::Null.into()));
        *expr = Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen { condition, result: subquery }],
            else_result: None,
        };
    }
}

/// One value from one SELECT, without DISTINCT, ORDER BY, LIMIT, OFFSET, grouping or
/// aggregates: the shape of a catalog lookup by key.
fn is_plain_lookup(query: &Query) -> bool {
    if query.order_by.is_some()
        || query.limit_clause.is_some()
        || query.fetch.is_some()
        || query.with.is_some()
    {
        return false;
    }
    let SetExpr::Select(select) = query.body.as_ref() else { return false };
    let plain_group_by = ungrouped(select);
    select.projection.len() == 1
        && plain_group_by
        && select.having.is_none()
        && select.distinct.is_none()
        && !select.from.is_empty()
        && match &select.projection[0] {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => !contains_aggregate(e),
            _ => false,
        }
}

/// Aggregates the lookup's value; returns the conditions on the outer row alone, taken
/// out of its WHERE clause, for the caller to put around it.
fn rewrite_lookup(query: &mut Query) -> Option<Expr> {
    if !reads_only_catalog(query) {
        return None;
    }
    let Query { body, .. } = query;
    let SetExpr::Select(select) = body.as_mut() else { return None };
    let (SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }) =
        &mut select.projection[0]
    else {
        return None;
    };
    *item = call("first_value", vec![item.clone()]);

    // Conditions on the outer row alone (`WHERE a.atthasdef AND d.adrelid = a.attrelid`)
    // become a CASE around the subquery, which DataFusion can then decorrelate:
    // (SELECT … WHERE outer AND corr) ≡ CASE WHEN outer THEN (SELECT … WHERE corr) END.
    let inner: Vec<String> = select
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
        .flat_map(relation_names)
        .collect();
    let selection = select.selection.take()?;
    let (outer, rest): (Vec<Expr>, Vec<Expr>) =
        conjuncts(selection).into_iter().partition(|c| refers_only_outside(c, &inner));
    select.selection = and_all(rest);
    and_all(outer)
}

fn reads_only_catalog(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else { return false };
    select.from.iter().all(|t| {
        std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)).all(is_pg_catalog_table)
    })
}

/// `pg_catalog` relations that have no rows in Sluice: it has no sequences, column
/// defaults, triggers, policies, inheritance, partitions, rewrite rules or publications.
const UNPOPULATED: &[&str] = &[
    "pg_attrdef",
    "pg_inherits",
    "pg_partitioned_table",
    "pg_policy",
    "pg_publication",
    "pg_publication_namespace",
    "pg_publication_rel",
    "pg_rewrite",
    "pg_sequence",
    "pg_statistic_ext",
    "pg_trigger",
];

fn reads_only_unpopulated(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else { return false };
    from_is_empty(&select.from)
}

/// A SELECT over a catalog Sluice never fills ([`from_is_empty`]) returns no rows unless
/// it aggregates, so its select list is never evaluated: the subqueries there (which
/// DataFusion may not be able to decorrelate, such as psql's `array(SELECT rolname …
/// WHERE oid = ANY (pol.polroles))` over `pg_policy`) are NULL.
struct NeverEvaluated;

impl VisitorMut for NeverEvaluated {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        never_evaluated(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

fn never_evaluated(body: &mut SetExpr) {
    let select = match body {
        SetExpr::Select(select) => select,
        SetExpr::SetOperation { left, right, .. } => {
            never_evaluated(left);
            never_evaluated(right);
            return;
        }
        _ => return,
    };
    let plain_group_by = ungrouped(select);
    let aggregates = plain_group_by
        && select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => contains_aggregate(e),
            _ => false,
        });
    if !from_is_empty(&select.from) || aggregates {
        return;
    }
    for item in &mut select.projection {
        let _ = visit_expressions_mut(item, |e| {
            let subquery = match e {
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => true,
                Expr::Function(f) => matches!(f.args, FunctionArguments::Subquery(_)),
                _ => false,
            };
            if subquery {
                *e = Expr::Value(Value::Null.into());
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

fn from_is_empty(from: &[TableWithJoins]) -> bool {
    let unpopulated = |r: &TableFactor| {
        is_pg_catalog_table(r)
            && matches!(r, TableFactor::Table { name, .. }
                if name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| UNPOPULATED.contains(&i.value.to_lowercase().as_str())))
    };
    from.iter().any(|t| {
        let mut empty = unpopulated(&t.relation);
        for join in &t.joins {
            empty = match &join.join_operator {
                JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_) => {
                    empty || unpopulated(&join.relation)
                }
                JoinOperator::Left(_) | JoinOperator::LeftOuter(_) => empty,
                JoinOperator::Right(_) | JoinOperator::RightOuter(_) => unpopulated(&join.relation),
                _ => false,
            };
        }
        empty
    })
}

/// The names a FROM item can be referred to by (its alias, else its table name).
fn relation_names(factor: &TableFactor) -> Vec<String> {
    let TableFactor::Table { name, alias, .. } = factor else { return Vec::new() };
    let mut names = Vec::new();
    if let Some(alias) = alias {
        names.push(alias.name.value.to_lowercase());
    }
    if let Some(last) = name.0.last().and_then(|p| p.as_ident()) {
        names.push(last.value.to_lowercase());
    }
    names
}

pub(super) fn conjuncts(expr: Expr) -> Vec<Expr> {
    match expr {
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            let mut out = conjuncts(*left);
            out.extend(conjuncts(*right));
            out
        }
        Expr::Nested(inner) if matches!(inner.as_ref(), Expr::BinaryOp { op: BinaryOperator::And, .. }) => {
            conjuncts(*inner)
        }
        other => vec![other],
    }
}

/// Whether `select` has no GROUP BY (so aggregates in it make one row).
pub(super) fn ungrouped(select: &Select) -> bool {
    matches!(&select.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
}

pub(super) fn and_all(exprs: Vec<Expr>) -> Option<Expr> {
    exprs.into_iter().reduce(|l, r| Expr::BinaryOp {
        left: Box::new(l),
        op: BinaryOperator::And,
        right: Box::new(r),
    })
}

/// Whether every column `expr` names is qualified by a table that is not in `inner`
/// (and it names at least one). Unqualified columns count as inner: when in doubt, the
/// condition stays where it was.
fn refers_only_outside(expr: &Expr, inner: &[String]) -> bool {
    let mut columns = 0;
    let mut inside = false;
    let _ = visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(_) => inside = true,
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                columns += 1;
                let table = parts[parts.len() - 2].value.to_lowercase();
                if inner.contains(&table) {
                    inside = true;
                }
            }
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => inside = true,
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    columns > 0 && !inside
}

fn is_pg_catalog_table(factor: &TableFactor) -> bool {
    let TableFactor::Table { name, args: None, .. } = factor else { return false };
    let parts: Vec<String> =
        name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.to_lowercase()).collect();
    match parts.as_slice() {
        [schema, _] => schema == "pg_catalog",
        [table] => table.starts_with("pg_"),
        _ => false,
    }
}

/// Whether `expr` calls an aggregate or window function anywhere (outside subqueries).
pub(super) fn contains_aggregate(expr: &Expr) -> bool {
    const AGGREGATES: &[&str] = &[
        "array_agg",
        "avg",
        "bit_and",
        "bit_or",
        "bool_and",
        "bool_or",
        "count",
        "every",
        "first_value",
        "json_agg",
        "json_object_agg",
        "last_value",
        "max",
        "min",
        "string_agg",
        "sum",
    ];
    struct Aggregates {
        depth: usize,
        found: bool,
    }
    impl Visitor for Aggregates {
        type Break = ();
        fn pre_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let Expr::Function(f) = e
            {
                self.found |= f.over.is_some()
                    || f.name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .is_some_and(|i| AGGREGATES.contains(&i.value.to_lowercase().as_str()));
            }
            if self.found { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        }
    }
    let mut visitor = Aggregates { depth: 0, found: false };
    let _ = expr.visit(&mut visitor);
    visitor.found
}

/// `x LIKE p ESCAPE 'c'` (c not a backslash) → `x LIKE sluice_like_escape(p, 'c')`.
fn like_escape(expr: &mut Expr) {
    let (Expr::Like { pattern, escape_char, .. } | Expr::ILike { pattern, escape_char, .. }) = expr else {
        return;
    };
    let Some(escape) = escape_char.as_ref() else { return };
    let escape = match &escape.value {
        Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => s.clone(),
        _ => return,
    };
    if escape == "\\" {
        return;
    }
    let converted =
        call(LIKE_ESCAPE, vec![(**pattern).clone(), Expr::Value(Value::SingleQuotedString(escape).into())]);
    **pattern = converted;
    *escape_char = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn like_with_a_custom_escape_calls_the_converter() {
        let mut statement =
            Parser::parse_sql(&PostgreSqlDialect {}, "SELECT a NOT LIKE 'pg/_' || '%' ESCAPE '/' FROM t")
                .unwrap()
                .remove(0);
        rewrite(&mut statement);
        assert_eq!(statement.to_string(), "SELECT a NOT LIKE sluice_like_escape('pg/_' || '%', '/') FROM t");
    }

    #[test]
    fn catalog_lookups_aggregate_and_other_subqueries_stay() {
        let sql = "SELECT CASE WHEN a.x THEN (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid = a.y) END, \
                   (SELECT v FROM other WHERE other.k = a.k) FROM pg_catalog.pg_attribute a";
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        rewrite(&mut statement);
        let text = statement.to_string();
        assert!(text.contains("(SELECT first_value(t.typname) FROM pg_catalog.pg_type"), "{text}");
        assert!(text.contains("(SELECT v FROM other"), "{text}");
    }

    #[test]
    fn conditions_on_the_outer_row_move_out_of_catalog_lookups() {
        let sql = "SELECT (SELECT t.typname FROM pg_catalog.pg_type t WHERE a.attnum > 0 AND t.oid = a.atttypid) \
                   FROM pg_catalog.pg_attribute a";
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        rewrite(&mut statement);
        assert_eq!(
            statement.to_string(),
            "SELECT CASE WHEN a.attnum > 0 THEN (SELECT first_value(t.typname) FROM pg_catalog.pg_type t \
             WHERE t.oid = a.atttypid) END FROM pg_catalog.pg_attribute a"
        );
    }

    #[test]
    fn aggregates_ordered_and_limited_subqueries_are_left_alone() {
        for sql in [
            "SELECT (SELECT count(*) FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) FROM pg_catalog.pg_class c",
            "SELECT (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid > c.reltype ORDER BY t.oid LIMIT 1) FROM pg_catalog.pg_class c",
            "SELECT (SELECT count(*) + 1 FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) FROM pg_catalog.pg_class c",
        ] {
            let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
            let before = statement.to_string();
            rewrite(&mut statement);
            assert_eq!(statement.to_string(), before);
        }
    }

    #[test]
    fn lookups_in_catalogs_sluice_never_fills_are_null() {
        let sql = "SELECT (SELECT s.seqstart FROM pg_catalog.pg_sequence s WHERE s.seqrelid = a.attrelid) FROM pg_catalog.pg_attribute a";
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        rewrite(&mut statement);
        assert_eq!(statement.to_string(), "SELECT NULL FROM pg_catalog.pg_attribute a");
    }
}
