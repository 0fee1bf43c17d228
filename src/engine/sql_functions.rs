//! information_schema's helper functions (`_pg_truetypid`, `_pg_numeric_precision` …),
//! which PostgreSQL defines in SQL and inlines into the queries that call them. Sluice
//! does the same before planning: a call becomes the function's body with its arguments
//! in place of `$1`, `$2`. Tools call them with whole rows (`_pg_truetypid(att.*, ty.*)`),
//! which DataFusion has no value for; inlined, `$1.atttypid` is just `att.atttypid`.
//!
//! The bodies are PostgreSQL's, from `src/backend/catalog/information_schema.sql`
//! (PostgreSQL 15), with its type oids; the views of [`super::information_schema`] use
//! them too. `pg_get_function_result` is inlined the same way, with a body of Sluice's.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, LambdaFunction,
    LambdaFunctionParameter, LambdaSyntax, ObjectNamePart, OneOrManyWithParens, Query, SelectItem, SetExpr,
    Statement, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::exprs::function_name;

/// `(name, body)`: `$n` is the n-th argument; in the whole-row functions `$1`/`$2` are a
/// `pg_attribute` and a `pg_type` row, written `__row1.column` here.
const DEFINITIONS: &[(&str, &str)] = &[
    ("_pg_truetypid", "CASE WHEN __row2.typtype = 'd' THEN __row2.typbasetype ELSE __row1.atttypid END"),
    ("_pg_truetypmod", "CASE WHEN __row2.typtype = 'd' THEN __row2.typtypmod ELSE __row1.atttypmod END"),
    (
        "_pg_char_max_length",
        "CASE WHEN $2 = -1 THEN NULL WHEN $1 IN (1042, 1043) THEN $2 - 4 WHEN $1 IN (1560, 1562) THEN $2 \
         ELSE NULL END",
    ),
    (
        "_pg_char_octet_length",
        // UTF8's pg_encoding_max_length is 4
        "CASE WHEN $1 IN (25, 1042, 1043) THEN CASE WHEN $2 = -1 THEN 1073741824 \
         ELSE (CASE WHEN $1 IN (1042, 1043) THEN $2 - 4 ELSE NULL END) * 4 END ELSE NULL END",
    ),
    (
        "_pg_numeric_precision",
        "CASE $1 WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 \
         WHEN 1700 THEN CASE WHEN $2 = -1 THEN NULL ELSE (($2 - 4) >> 16) & 65535 END \
         WHEN 700 THEN 24 WHEN 701 THEN 53 ELSE NULL END",
    ),
    (
        "_pg_numeric_precision_radix",
        "CASE WHEN $1 IN (21, 23, 20, 700, 701) THEN 2 WHEN $1 IN (1700) THEN 10 ELSE NULL END",
    ),
    (
        "_pg_numeric_scale",
        "CASE WHEN $1 IN (21, 23, 20) THEN 0 \
         WHEN $1 IN (1700) THEN CASE WHEN $2 = -1 THEN NULL ELSE ($2 - 4) & 65535 END ELSE NULL END",
    ),
    (
        "_pg_datetime_precision",
        "CASE WHEN $1 IN (1082) THEN 0 \
         WHEN $1 IN (1083, 1114, 1184, 1266) THEN CASE WHEN $2 < 0 THEN 6 ELSE $2 END \
         WHEN $1 IN (1186) THEN CASE WHEN $2 < 0 OR $2 & 65535 = 65535 THEN 6 ELSE $2 & 65535 END \
         ELSE NULL END",
    ),
    // PostgreSQL reads the fields out of format_type's text; Sluice's intervals have none
    ("_pg_interval_type", "CAST(NULL AS VARCHAR)"),
    // Not SQL in PostgreSQL (ruleutils.c), but answerable in SQL over pg_proc: the result
    // type as psql's \df shows it (Sluice's functions have no OUT parameters)
    (
        "pg_get_function_result",
        "(SELECT CASE WHEN __proc.proretset THEN 'SETOF ' ELSE '' END || format_type(__proc.prorettype, NULL) \
         FROM pg_catalog.pg_proc __proc WHERE __proc.oid = $1)",
    ),
    // The argument types (Sluice's functions and PostgreSQL's built-ins as pg_proc has
    // them; names and defaults are not shown)
    (
        "pg_get_function_arguments",
        "(SELECT coalesce(array_to_string(array_transform(__proc.proargtypes, __t -> format_type(__t, NULL)), ', '), '') \
         FROM pg_catalog.pg_proc __proc WHERE __proc.oid = $1)",
    ),
    // the same: no argument of these has a default or a mode to leave out
    (
        "pg_get_function_identity_arguments",
        "(SELECT coalesce(array_to_string(array_transform(__proc.proargtypes, __t -> format_type(__t, NULL)), ', '), '') \
         FROM pg_catalog.pg_proc __proc WHERE __proc.oid = $1)",
    ),
    // ruleutils.c's pg_get_functiondef, over pg_proc: the attributes it prints, in its
    // order (VOLATILE, PARALLEL UNSAFE and the default cost are left out, as there).
    // Aggregates have no definition to give (PostgreSQL raises an error; here NULL).
    (
        "pg_get_functiondef",
        "(SELECT CASE WHEN __proc.prokind = 'a' THEN NULL ELSE \
         'CREATE OR REPLACE ' || CASE WHEN __proc.prokind = 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END \
         || quote_ident(__ns.nspname) || '.' || quote_ident(__proc.proname) \
         || '(' || coalesce(array_to_string(array_transform(__proc.proargtypes, __t -> format_type(__t, NULL)), ', '), '') \
         || ')' || chr(10) \
         || CASE WHEN __proc.prokind = 'p' THEN '' ELSE ' RETURNS ' \
            || CASE WHEN __proc.proretset THEN 'SETOF ' ELSE '' END || format_type(__proc.prorettype, NULL) || chr(10) END \
         || ' LANGUAGE ' || coalesce(__lang.lanname, 'internal') || chr(10) \
         || coalesce(nullif(concat(CASE WHEN __proc.prokind = 'w' THEN ' WINDOW' END, \
              CASE __proc.provolatile WHEN 'i' THEN ' IMMUTABLE' WHEN 's' THEN ' STABLE' END, \
              CASE __proc.proparallel WHEN 's' THEN ' PARALLEL SAFE' WHEN 'r' THEN ' PARALLEL RESTRICTED' END, \
              CASE WHEN __proc.proisstrict THEN ' STRICT' END, \
              CASE WHEN __proc.prosecdef THEN ' SECURITY DEFINER' END, \
              CASE WHEN __proc.proleakproof THEN ' LEAKPROOF' END), '') || chr(10), '') \
         || 'AS ' || CASE WHEN __lang.lanname = 'c' \
            THEN quote_literal(__proc.probin) || ', ' || quote_literal(__proc.prosrc) \
            ELSE '$function$' || __proc.prosrc || '$function$' END || chr(10) END \
         FROM pg_catalog.pg_proc __proc JOIN pg_catalog.pg_namespace __ns ON __ns.oid = __proc.pronamespace \
         LEFT JOIN pg_catalog.pg_language __lang ON __lang.oid = __proc.prolang WHERE __proc.oid = $1)",
    ),
];

/// The helpers that live in `pg_catalog` (the others are information_schema's).
const IN_PG_CATALOG: &[&str] = &[
    "pg_get_function_arguments",
    "pg_get_function_identity_arguments",
    "pg_get_function_result",
    "pg_get_functiondef",
];

/// Each body, parsed once.
fn bodies() -> &'static HashMap<&'static str, Expr> {
    static BODIES: OnceLock<HashMap<&'static str, Expr>> = OnceLock::new();
    BODIES.get_or_init(|| {
        DEFINITIONS
            .iter()
            .filter_map(|(name, body)| {
                let parsed = Parser::new(&PostgreSqlDialect {}).try_with_sql(body).and_then(|mut p| p.parse_expr());
                match parsed {
                    Ok(mut expr) => {
                        lambdas(&mut expr);
                        Some((*name, expr))
                    }
                    Err(e) => {
                        tracing::error!(function = name, error = %e, "an information_schema body does not parse");
                        None
                    }
                }
            })
            .collect()
    })
}

/// `__x -> body` in a body is a lambda (PostgreSQL's grammar reads `->` as the JSON
/// operator, so the parser gives a binary operation).
fn lambdas(expr: &mut Expr) {
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(expr, |e| {
        if let Expr::BinaryOp { left, op: BinaryOperator::Arrow, right } = e
            && let Expr::Identifier(param) = left.as_ref()
            && param.value.starts_with("__")
        {
            *e = Expr::Lambda(LambdaFunction {
                params: OneOrManyWithParens::One(LambdaFunctionParameter {
                    name: param.clone(),
                    data_type: None,
                }),
                body: right.clone(),
                syntax: LambdaSyntax::Arrow,
            });
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Inlines every call of the helpers in `statement`, innermost first.
pub fn inline(statement: &mut Statement) {
    let _ = statement.visit(&mut Inliner);
}

struct Inliner;

impl VisitorMut for Inliner {
    type Break = ();

    /// A select-list call keeps the function's name as its column's, as in PostgreSQL
    /// (inlined, it would be an expression without one).
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(expr) = item
                    && let Expr::Function(f) = expr
                    && let Some((name, _)) = function_name(&f.name)
                    && inlined(expr).is_some()
                {
                    *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias: Ident::new(name) };
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(body) = inlined(expr) {
            *expr = Expr::Nested(Box::new(body));
        }
        ControlFlow::Continue(())
    }
}

/// What an argument stands for in the body.
enum Arg {
    Value(Box<Expr>),
    /// `alias.*`: a whole row, by the name its columns are qualified with.
    Row(Vec<Ident>),
}

fn inlined(expr: &Expr) -> Option<Expr> {
    let Expr::Function(f) = expr else { return None };
    let (name, schema) = function_name(&f.name)?;
    let catalog = if IN_PG_CATALOG.contains(&name.as_str()) { "pg_catalog" } else { "information_schema" };
    if schema.as_deref().is_some_and(|s| s != catalog) {
        return None;
    }
    let body = bodies().get(name.as_str())?;
    let FunctionArguments::List(list) = &f.args else { return None };
    let args: Vec<Arg> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(Arg::Value(Box::new(e.clone()))),
            FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(row)) => {
                Some(Arg::Row(row.0.iter().filter_map(ObjectNamePart::as_ident).cloned().collect()))
            }
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut body = body.clone();
    let mut missing = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(&mut body, |e| {
        match e {
            Expr::Value(v) => {
                if let Value::Placeholder(p) = &v.value
                    && let Some(Arg::Value(arg)) = p
                        .strip_prefix('$')
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| args.get(n - 1))
                {
                    *e = Expr::Nested(arg.clone());
                } else if matches!(v.value, Value::Placeholder(_)) {
                    missing = true;
                }
            }
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let row = parts[0].value.strip_prefix("__row").and_then(|n| n.parse::<usize>().ok());
                match row.and_then(|n| args.get(n - 1)) {
                    Some(Arg::Row(qualifier)) => {
                        let mut qualified = qualifier.clone();
                        qualified.push(parts[1].clone());
                        *e = Expr::CompoundIdentifier(qualified);
                    }
                    Some(Arg::Value(_)) => missing = true,
                    None if row.is_some() => missing = true,
                    None => {}
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    (!missing).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        inline(&mut statement);
        statement.to_string()
    }

    #[test]
    fn every_body_parses() {
        assert_eq!(bodies().len(), DEFINITIONS.len());
    }

    #[test]
    fn whole_rows_and_values_are_inlined() {
        let sql = "SELECT information_schema._pg_numeric_scale(information_schema._pg_truetypid(a.*, t.*), a.atttypmod) FROM x";
        assert_eq!(
            rewritten(sql),
            "SELECT (CASE WHEN ((CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)) IN (21, 23, 20) THEN 0 \
             WHEN ((CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)) IN (1700) THEN CASE WHEN (a.atttypmod) = -1 \
             THEN NULL ELSE ((a.atttypmod) - 4) & 65535 END ELSE NULL END) AS _pg_numeric_scale FROM x"
        );
        // a call that does not fit the definition is left to fail as written
        assert_eq!(rewritten("SELECT _pg_truetypid(1, 2)"), "SELECT _pg_truetypid(1, 2)");
        assert_eq!(rewritten("SELECT other._pg_numeric_scale(1, 2)"), "SELECT other._pg_numeric_scale(1, 2)");
    }
}
