//! A catalog lookup that joins several catalogs, or compares them with the outer row —
//! psql's and ActiveRecord's
//!
//! ```sql
//! (SELECT c.collname FROM pg_collation c, pg_type t
//!  WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation)
//! ```
//!
//! — is a correlated subquery DataFusion cannot decorrelate (a condition that is not an
//! equality ties the inner rows to the outer row). Each catalog is looked up by its key,
//! though: at most one row of `pg_type` has `oid = a.atttypid`. So each reference to a
//! catalog's column becomes a lookup of its own, which DataFusion decorrelates, and the
//! remaining conditions a CASE around the value:
//!
//! ```sql
//! CASE WHEN a.attcollation <> (SELECT first_value(t.typcollation) FROM pg_type t WHERE t.oid = a.atttypid)
//!      THEN (SELECT first_value(c.collname) FROM pg_collation c WHERE c.oid = a.attcollation) END
//! ```
//!
//! A missing row makes its lookups NULL, and the value or the conditions with it; the
//! rewrite is made only where that is what the subquery answers: every catalog's columns
//! are used beyond its key, and the conditions compare (they are false on NULL).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, Expr, JoinConstraint, JoinOperator, Query, SelectItem, SetExpr, TableFactor,
    visit_expressions, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// One catalog of the subquery: the name its columns are qualified by, the relation.
struct Relation {
    name: String,
    factor: TableFactor,
}

/// The relations `expr` refers to, by qualifier; `None` if it names a column without one
/// or has a subquery (then nothing is certain).
fn qualifiers(expr: &Expr) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut certain = true;
    let _ = visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(_) | Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                certain = false
            }
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                names.push(parts[parts.len() - 2].value.to_lowercase())
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    certain.then_some(names)
}

/// Whether `expr` is a comparison, which is not true when a side is NULL.
fn is_comparison(expr: &Expr) -> bool {
    match expr {
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
        ),
        Expr::Nested(inner) => is_comparison(inner),
        _ => false,
    }
}

/// The rewritten value of subquery `query`, when it is a keyed lookup of several
/// catalogs (or of one compared with the outer row by more than its key).
pub fn keyed_lookup(query: &Query, conjuncts: impl Fn(Expr) -> Vec<Expr>) -> Option<Expr> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    let (SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. }) =
        select.projection.first()?
    else {
        return None;
    };
    let mut relations = Vec::new();
    let mut conditions = select.selection.clone().map(&conjuncts).unwrap_or_default();
    for item in &select.from {
        for (factor, on) in std::iter::once((&item.relation, None)).chain(item.joins.iter().map(|j| {
            let on = match &j.join_operator {
                JoinOperator::Join(JoinConstraint::On(e)) | JoinOperator::Inner(JoinConstraint::On(e)) => {
                    Some(Some(e))
                }
                JoinOperator::CrossJoin(JoinConstraint::None) => Some(None),
                _ => None,
            };
            (&j.relation, on.map(|o| o.cloned()))
        })) {
            let TableFactor::Table { name, alias, args: None, .. } = factor else { return None };
            let relation_name = match alias {
                Some(alias) => alias.name.value.to_lowercase(),
                None => name.0.last()?.as_ident()?.value.to_lowercase(),
            };
            if let Some(on) = on {
                conditions.extend(on.map(&conjuncts).unwrap_or_default());
            } else if !std::ptr::eq(factor, &item.relation) {
                return None;
            }
            relations.push(Relation { name: relation_name, factor: factor.clone() });
        }
    }
    let inner: Vec<&str> = relations.iter().map(|r| r.name.as_str()).collect();
    // each relation's key conditions: equalities with the outer row, or conditions on it alone
    let mut keys: Vec<Vec<Expr>> = relations.iter().map(|_| Vec::new()).collect();
    let mut rest = Vec::new();
    let mut mixed = false;
    for condition in conditions {
        let names = qualifiers(&condition)?;
        let touched: Vec<usize> =
            (0..relations.len()).filter(|&i| names.iter().any(|n| *n == relations[i].name)).collect();
        let outer = names.iter().any(|n| !inner.contains(&n.as_str()));
        let key_of = match touched.as_slice() {
            [i] if !outer => Some(*i),
            [i] if is_key_equality(&condition, &relations[*i].name, &inner) => Some(*i),
            _ => None,
        };
        match key_of {
            Some(i) => keys[i].push(condition),
            None => {
                if !touched.is_empty() && !is_comparison(&condition) {
                    return None;
                }
                mixed |= !touched.is_empty();
                rest.push(condition);
            }
        }
    }
    if relations.len() < 2 && !mixed {
        return None;
    }
    // every relation is looked up by a key equality, and used beyond it
    let used_beyond_key = |name: &str| {
        std::iter::once(value)
            .chain(rest.iter())
            .any(|e| qualifiers(e).is_some_and(|q| q.iter().any(|n| n == name)))
    };
    for (relation, key) in relations.iter().zip(&keys) {
        let equality = key.iter().any(|k| is_key_equality(k, &relation.name, &inner));
        if !equality || !used_beyond_key(&relation.name) {
            return None;
        }
    }
    let substitute = |expr: &Expr| -> Option<Expr> {
        let mut expr = expr.clone();
        let mut failed = false;
        let _ = visit_expressions_mut(&mut expr, |e| {
            if let Expr::CompoundIdentifier(parts) = e
                && parts.len() >= 2
                && let Some(i) =
                    relations.iter().position(|r| r.name == parts[parts.len() - 2].value.to_lowercase())
            {
                match lookup(e, &relations[i], &keys[i]) {
                    Some(looked_up) => *e = looked_up,
                    None => failed = true,
                }
            }
            ControlFlow::<()>::Continue(())
        });
        (!failed).then_some(expr)
    };
    let value = substitute(value)?;
    let rest = rest.iter().map(substitute).collect::<Option<Vec<Expr>>>()?;
    let Some(condition) = super::rewrite::and_all(rest) else { return Some(value) };
    Some(Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: vec![CaseWhen { condition, result: value }],
        else_result: None,
    })
}

/// Whether `condition` is `relation.column = <outer expression>` (either way round).
fn is_key_equality(condition: &Expr, relation: &str, inner: &[&str]) -> bool {
    let Expr::BinaryOp { left, op: BinaryOperator::Eq, right } = condition else { return false };
    let only = |e: &Expr, f: &dyn Fn(&str) -> bool| {
        qualifiers(e).is_some_and(|q| !q.is_empty() && q.iter().all(|n| f(n)))
    };
    let ours = |n: &str| n == relation;
    let outside = |n: &str| !inner.contains(&n);
    (only(left, &ours) && only(right, &outside)) || (only(right, &ours) && only(left, &outside))
}

/// `(SELECT first_value(column) FROM relation WHERE key)`.
fn lookup(column: &Expr, relation: &Relation, key: &[Expr]) -> Option<Expr> {
    let conditions: Vec<String> = key.iter().map(ToString::to_string).collect();
    let text = format!(
        "SELECT (SELECT first_value({column}) FROM {} WHERE {})",
        relation.factor,
        conditions.join(" AND ")
    );
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()?;
    let datafusion::sql::sqlparser::ast::Statement::Query(query) = statements.pop()? else { return None };
    let SetExpr::Select(select) = *query.body else { return None };
    match select.projection.into_iter().next()? {
        SelectItem::UnnamedExpr(e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(subquery: &str) -> Option<String> {
        let text = format!("SELECT ({subquery})");
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, &text).expect("parses").remove(0);
        let datafusion::sql::sqlparser::ast::Statement::Query(query) = statement else { panic!() };
        let SetExpr::Select(select) = *query.body else { panic!() };
        let Some(SelectItem::UnnamedExpr(Expr::Subquery(sub))) = select.projection.into_iter().next() else {
            panic!()
        };
        keyed_lookup(&sub, crate::engine::rewrite::conjuncts).map(|e| e.to_string())
    }

    #[test]
    fn each_catalog_is_looked_up_by_its_key() {
        assert_eq!(
            rewritten(
                "SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t \
                 WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation"
            )
            .as_deref(),
            Some(
                "CASE WHEN a.attcollation <> (SELECT first_value(t.typcollation) FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) \
                 THEN (SELECT first_value(c.collname) FROM pg_catalog.pg_collation c WHERE c.oid = a.attcollation) END"
            )
        );
    }

    #[test]
    fn a_catalog_used_only_by_its_key_or_not_keyed_is_left_alone() {
        assert_eq!(
            rewritten("SELECT c.collname FROM pg_collation c, pg_type t WHERE c.oid = a.x AND t.oid = a.y"),
            None
        );
        assert_eq!(
            rewritten(
                "SELECT c.collname FROM pg_collation c, pg_type t WHERE c.oid = a.x AND t.typname = c.collname"
            ),
            None
        );
        assert_eq!(rewritten("SELECT t.typname FROM pg_type t WHERE t.oid = a.y"), None);
    }
}
