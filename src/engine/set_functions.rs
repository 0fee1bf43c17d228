//! PostgreSQL's set-returning functions and functions in `FROM`, in the forms DataFusion
//! plans.
//!
//! * In a select list, a set-returning function yields one row per element, in lockstep
//!   with the others of the same list. DataFusion does this for `unnest` only, so
//!   `generate_series(a, b)`, `generate_subscripts(arr, d)`, `regexp_split_to_table(s, p)`
//!   and `information_schema._pg_expandarray(arr)` become `unnest` of the array they
//!   enumerate.
//! * In `FROM`, a function that is not a table function is a one-row relation whose one
//!   column is named by the alias (`FROM string_to_array(x, ',') s` ⇒ column `s`), and a
//!   single-column table function's column is named by its alias too
//!   (`FROM generate_series(1, 3) AS i` ⇒ column `i`).

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query, SelectItem, SetExpr,
    Statement, TableAlias, TableAliasColumnDef, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::exprs::{call, function_name, plain_args};

/// Table functions whose result has a single column.
const SINGLE_COLUMN: &[&str] = &["generate_series", "range", "unnest"];

/// Applies both rewrites everywhere in `statement`; `table_functions` are the names
/// DataFusion plans in `FROM`.
pub fn rewrite(statement: &mut Statement, table_functions: &HashSet<String>) {
    let _ = statement.visit(&mut Rewriter { table_functions });
}

struct Rewriter<'a> {
    table_functions: &'a HashSet<String>,
}

impl VisitorMut for Rewriter<'_> {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        rewrite_body(query.body.as_mut(), self.table_functions);
        ControlFlow::Continue(())
    }
}

fn rewrite_body(body: &mut SetExpr, table_functions: &HashSet<String>) {
    match body {
        SetExpr::Select(select) => {
            for (i, item) in select.projection.iter_mut().enumerate() {
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                    set_returning(e);
                    name_unnested_subquery(e, i);
                }
            }
            for table in &mut select.from {
                from_function(&mut table.relation, table_functions);
                for join in &mut table.joins {
                    from_function(&mut join.relation, table_functions);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            rewrite_body(left, table_functions);
            rewrite_body(right, table_functions);
        }
        _ => {}
    }
}

/// Rewrites the set-returning calls of a select-list expression (at its top, or under
/// parentheses, field access and casts, as `(_pg_expandarray(k)).n` has it).
fn set_returning(expr: &mut Expr) {
    match expr {
        Expr::Nested(inner) => set_returning(inner),
        Expr::Cast { expr: inner, .. } => set_returning(inner),
        Expr::CompoundFieldAccess { root, .. } => set_returning(root),
        Expr::Function(function) if is_get_field(function) => {
            if let FunctionArguments::List(list) = &mut function.args
                && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(root))) = list.args.first_mut()
            {
                set_returning(root);
            }
        }
        Expr::Function(function) if function.over.is_none() => {
            if let Some(replacement) = as_unnest(function) {
                *expr = replacement;
            }
        }
        _ => {}
    }
}

/// `unnest((SELECT array_agg(x) …))`: DataFusion names what it unnests after the
/// expression, and a subquery after its first column, so two such calls of one list
/// (pgcli's parent and child key columns) would be taken for one. The subquery's column
/// gets a name of its own, after the select item's position.
fn name_unnested_subquery(expr: &mut Expr, position: usize) {
    let Expr::Function(function) = expr else { return };
    if function_name(&function.name).is_none_or(|(name, _)| name != "unnest") {
        return;
    }
    let FunctionArguments::List(list) = &mut function.args else { return };
    let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))) = list.args.first_mut() else { return };
    let mut inner = arg;
    while let Expr::Nested(nested) = inner {
        inner = nested;
    }
    let Expr::Subquery(query) = inner else { return };
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    if let [SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. }] =
        select.projection.as_mut_slice()
    {
        let value = value.clone();
        select.projection = vec![SelectItem::ExprWithAlias {
            expr: value,
            alias: Ident::new(format!("__unnested_{position}")),
        }];
    }
}

fn is_get_field(function: &Function) -> bool {
    function_name(&function.name).is_some_and(|(name, _)| name == "get_field")
}

fn as_unnest(function: &Function) -> Option<Expr> {
    let (name, schema) = function_name(&function.name)?;
    let args = plain_args(function)?;
    let array = match (name.as_str(), schema.as_deref(), args.as_slice()) {
        ("generate_series", None | Some("pg_catalog"), [_, _] | [_, _, _]) => call("generate_series", args),
        ("generate_subscripts", None | Some("pg_catalog"), [array, dim]) => {
            // 1 … array_length(array, dim): Sluice's arrays all start at 1
            let length = call("array_length", vec![array.clone(), dim.clone()]);
            call("generate_series", vec![Expr::value(number(1)), length])
        }
        ("regexp_split_to_table", None | Some("pg_catalog"), [_, _] | [_, _, _]) => {
            call("regexp_split_to_array", args)
        }
        ("_pg_expandarray", Some("information_schema") | None, [_]) => call("pg_expandarray", args),
        _ => return None,
    };
    Some(call("unnest", vec![array]))
}

/// Whether an argument names a column.
fn reads_columns(args: &[FunctionArg]) -> bool {
    let mut reads = false;
    for arg in args {
        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg {
            let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |x| {
                reads |= matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
                ControlFlow::<()>::Continue(())
            });
        }
    }
    reads
}

fn number(n: i64) -> datafusion::sql::sqlparser::ast::Value {
    datafusion::sql::sqlparser::ast::Value::Number(n.to_string(), false)
}

/// A function in `FROM`: see the module documentation.
fn from_function(factor: &mut TableFactor, table_functions: &HashSet<String>) {
    let TableFactor::Table { name, args: Some(args), alias, with_ordinality: false, .. } = factor else {
        return;
    };
    let Some((function, _)) = function_name(name) else { return };
    // A table function is planned with constant arguments; over a column (of the outer
    // row: `generate_series(1, array_upper(con.conkey, 1))`) it is the set-returning
    // function of a one-row select instead.
    if table_functions.contains(&function) && !reads_columns(&args.args) {
        if let Some(alias) = alias
            && alias.columns.is_empty()
            && SINGLE_COLUMN.contains(&function.as_str())
        {
            alias.columns.push(TableAliasColumnDef::from_name(alias.name.value.clone()));
        }
        return;
    }
    let column = match alias {
        Some(a) if a.columns.len() == 1 => a.columns[0].name.clone(),
        Some(a) if a.columns.is_empty() => a.name.clone(),
        None => Ident::new(function.clone()),
        Some(_) => return,
    };
    let relation = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| Ident::new(function.clone()));
    let args = args.args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT {name}({args}) AS {column}");
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, &sql) else { return };
    let Some(Statement::Query(mut query)) = statements.pop() else { return };
    rewrite_body(query.body.as_mut(), table_functions);
    *factor = TableFactor::Derived {
        lateral: false,
        subquery: query,
        alias: Some(TableAlias { explicit: true, name: relation, columns: vec![], at: None }),
        sample: None,
    };
}
