//! Values of the oid alias types print as names in PostgreSQL: `conrelid::regclass` shows
//! `sluice.columns`, `atttypid::regtype` shows `bigint`, and so does their cast to text.
//! In Sluice they are int4 oids (so they compare and join as oids), so where such a value
//! is shown — a select-list item, or a cast to text — it becomes the name:
//! `regclassout(x)` (catalog's [`sluice_catalog::pg::functions`]) or
//! `format_type(x, NULL)`; and text computed at run time cast to `regclass` is looked up
//! by `to_regclass`. Runs before datafusion-pg-catalog resolves `'name'::regclass`
//! literals, which it turns into oid lookups.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    DataType, Expr, Query, SelectItem, SetExpr, Statement, Value, VisitMut, VisitorMut, visit_expressions,
    visit_expressions_mut,
};

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::exprs::call;

/// Applies the rewrite to `statement`.
pub fn rewrite(statement: &mut Statement) {
    // a name computed at run time (`format('%I.%I', s, t)::regclass`) is looked up then;
    // datafusion-pg-catalog resolves the names written as literals
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Cast { expr: inner, data_type, .. } = expr
            && alias_kind(data_type) == Some("regclass")
            && is_computed_text(inner)
        {
            *expr = call("to_regclass", vec![inner.as_ref().clone()]);
        } else if let Expr::Cast { expr: inner, data_type, .. } = expr
            && alias_kind(data_type) == Some("regclass")
            && let Expr::Value(v) = inner.as_ref()
            && let Value::Placeholder(p) = &v.value
            && let Some(either) = oid_or_name(p)
        {
            *expr = either;
        } else if let Expr::Cast { expr: inner, data_type, .. } = expr
            && let Expr::Value(v) = inner.as_ref()
            && let Value::SingleQuotedString(name) = &v.value
            && let Some(lookup) = qualified_lookup(data_type, name)
        {
            *expr = lookup;
        }
        ControlFlow::<()>::Continue(())
    });
    let _ = statement.visit(&mut SelectItems);
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Cast { expr: inner, data_type, .. } = expr
            && is_text(data_type)
            && let Some(named) = named(inner)
        {
            *expr = named;
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The kind of oid alias type `data_type` is, if it is one that prints as a name.
fn alias_kind(data_type: &DataType) -> Option<&'static str> {
    if matches!(data_type, DataType::Regclass) {
        return Some("regclass");
    }
    let name = custom_type_name(data_type)?;
    ["regclass", "regtype"].into_iter().find(|k| *k == name)
}

/// The name of a type sqlparser has no keyword for (`regtype`, `pg_catalog.regproc`),
/// lowercased, without its schema.
fn custom_type_name(data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            Some(name.0.last()?.as_ident()?.value.to_lowercase())
        }
        _ => None,
    }
}

/// `$1::regclass` bound to `'16388'` is that oid, as a literal `'16388'::regclass` is
/// (`regclassin` reads digits as an oid); any other text is looked up as a name.
fn oid_or_name(placeholder: &str) -> Option<Expr> {
    let sql = format!(
        "CASE WHEN CAST({placeholder} AS TEXT) ~ '^[0-9]+$' THEN TRY_CAST(CAST({placeholder} AS TEXT) AS INT) \
         ELSE CAST({placeholder} AS regclass) END"
    );
    Parser::new(&PostgreSqlDialect {}).try_with_sql(&sql).ok()?.parse_expr().ok()
}

/// `'pg_catalog.version'::regproc`, `'pg_catalog.int4'::regtype`: a name with its
/// schema, looked up in that schema (datafusion-pg-catalog's lookup reads a bare name).
fn qualified_lookup(data_type: &DataType, literal: &str) -> Option<Expr> {
    let kind = custom_type_name(data_type)?;
    let (table, name_column, namespace_column) = match kind.as_str() {
        "regproc" => ("pg_proc", "proname", "pronamespace"),
        "regtype" => ("pg_type", "typname", "typnamespace"),
        _ => return None,
    };
    let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(literal).ok()?;
    let name = parser.parse_object_name(false).ok()?;
    if parser.peek_token().token != Token::EOF {
        return None;
    }
    let [schema, object] = name.0.as_slice() else { return None };
    let text = |part: &datafusion::sql::sqlparser::ast::ObjectNamePart| {
        let ident = part.as_ident()?;
        let value =
            if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_lowercase() };
        Some(format!("'{}'", value.replace('\'', "''")))
    };
    let sql = format!(
        "(SELECT o.oid FROM pg_catalog.{table} o JOIN pg_catalog.pg_namespace n ON n.oid = o.{namespace_column} \
         WHERE n.nspname = {} AND o.{name_column} = {})",
        text(schema)?,
        text(object)?
    );
    Parser::new(&PostgreSqlDialect {}).try_with_sql(&sql).ok()?.parse_expr().ok()
}

/// Whether `expr` is text computed by the query: a call, a concatenation, a cast to text.
fn is_computed_text(expr: &Expr) -> bool {
    match expr {
        Expr::Function(_) => true,
        Expr::BinaryOp { op: datafusion::sql::sqlparser::ast::BinaryOperator::StringConcat, .. } => true,
        Expr::Cast { data_type, .. } => is_text(data_type),
        Expr::Nested(inner) => is_computed_text(inner),
        _ => false,
    }
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_) => true,
        DataType::Custom(name, _) => {
            name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| i.value.eq_ignore_ascii_case("name"))
        }
        _ => false,
    }
}

/// `x::regclass` → `regclassout(x::regclass)`, `x::regtype` → `format_type(x::regtype, NULL)`.
fn named(expr: &Expr) -> Option<Expr> {
    let Expr::Cast { data_type, .. } = expr else { return None };
    Some(match alias_kind(data_type)? {
        "regclass" => call("regclassout", vec![expr.clone()]),
        _ => call("format_type", vec![expr.clone(), Expr::Value(Value::Null.into())]),
    })
}

/// A select-list item that is an oid alias value shows its name, and an item whose
/// value changes keeps the name PostgreSQL gives it (`x::regtype::text` is `text`).
struct SelectItems;

impl VisitorMut for SelectItems {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else { return ControlFlow::Continue(()) };
        for item in &mut select.projection {
            if let SelectItem::UnnamedExpr(expr) = item
                && shows_alias_value(expr)
                && let Some(name) = super::output_names::figure_name(expr)
            {
                // marked, so that the name does not hide a column of the FROM clause
                // (`c.oid::regclass … ORDER BY c.oid`)
                let alias = super::output_names::distinct_alias(&name, 0);
                *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias };
            }
            if let SelectItem::ExprWithAlias { expr, .. } = item
                && let Some(named) = named(expr)
            {
                *expr = named;
            }
        }
        ControlFlow::Continue(())
    }
}

/// Whether `expr` has an oid alias value this rewrite turns into a name.
fn shows_alias_value(expr: &Expr) -> bool {
    let mut found = false;
    let _ = visit_expressions(expr, |e| {
        if let Expr::Cast { data_type, .. } = e
            && alias_kind(data_type).is_some()
        {
            found = true;
        }
        ControlFlow::<()>::Continue(())
    });
    found
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
    fn shown_values_are_names_and_compared_ones_oids() {
        assert_eq!(
            rewritten(
                "SELECT conrelid::pg_catalog.regclass AS ontable, c.oid::regtype FROM pg_constraint c WHERE conrelid = 'x'::regclass"
            ),
            "SELECT regclassout(conrelid::pg_catalog.regclass) AS ontable, format_type(c.oid::regtype, NULL) AS \"oid\u{1}0\" \
             FROM pg_constraint c WHERE conrelid = 'x'::REGCLASS"
        );
        assert_eq!(
            rewritten("SELECT upper(t.oid::regtype::text) FROM pg_type t"),
            "SELECT upper(format_type(t.oid::regtype, NULL)) AS \"upper\u{1}0\" FROM pg_type t"
        );
    }
}
