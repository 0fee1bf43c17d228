//! Output column names as PostgreSQL gives them.
//!
//! PostgreSQL names a select-list item that has no alias after what it is: a function
//! call after the function (`count(*)` is `count`, `current_database()` is
//! `current_database`), a column after the column. DataFusion names it after the whole
//! expression (`count(*)`, `current_database()`), and queries that refer to a derived
//! table's or CTE's column by PostgreSQL's name (`… COUNT(1) … ORDER BY count`) then fail.
//! This rewrite gives every unaliased function call in a select list its PostgreSQL name,
//! unless another item of the list already has that name (DataFusion cannot return two
//! columns of one name).

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Statement, VisitMut, VisitorMut,
};

use crate::sql::exprs::function_name;

pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Names);
}

struct Names;

impl VisitorMut for Names {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        name_body(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

fn name_body(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            let mut used: HashSet<String> = select
                .projection
                .iter()
                .filter_map(|item| match item {
                    SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
                    SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.to_lowercase()),
                    SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                        parts.last().map(|i| i.value.to_lowercase())
                    }
                    _ => None,
                })
                .collect();
            // Items of the same text without a name of their own (`NULL, NULL`): PostgreSQL
            // calls each `?column?`; they get distinct names in that spirit.
            let mut seen: HashSet<String> = HashSet::new();
            let mut unnamed = 0;
            for item in &mut select.projection {
                let SelectItem::UnnamedExpr(expr) = item else { continue };
                if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Function(_)) {
                    continue;
                }
                if !seen.insert(expr.to_string()) {
                    unnamed += 1;
                    let alias = Ident::with_quote('"', format!("?column?{unnamed}"));
                    *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias };
                }
            }
            for item in &mut select.projection {
                let SelectItem::UnnamedExpr(Expr::Function(function)) = item else { continue };
                let Some((name, _)) = function_name(&function.name) else { continue };
                if !used.insert(name.clone()) {
                    continue;
                }
                let expr = Expr::Function(function.clone());
                *item = SelectItem::ExprWithAlias { expr, alias: Ident::new(name) };
            }
        }
        SetExpr::SetOperation { left, .. } => name_body(left),
        _ => {}
    }
}
