//! Flink SQL constructs DataFusion spells differently, rewritten in the body's AST before
//! it is planned: `IF(c, a, b)` → `CASE WHEN c THEN a ELSE b END`, `IFNULL(a, b)` →
//! `COALESCE(a, b)`, and `TIMESTAMPDIFF(DAY, a, b)` / `TIMESTAMPADD(HOUR, n, t)` (a unit
//! keyword as first argument) → calls with the unit as a string; window functions
//! (`TABLE(TUMBLE(…))`) → their input with the window columns added.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    CaseWhen, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName,
    Query, SelectItem, SetExpr, TableFactor, TimezoneInfo, Value, VisitMut, VisitorMut,
    visit_expressions_mut,
};
use sluice_functions::flink::{TIMESTAMPADD, TIMESTAMPDIFF};

use crate::sql::exprs::plain_args;
use crate::sql::window;

/// Applies every rewrite to `query`.
pub fn rewrite(query: &mut Query) {
    let _ = visit_expressions_mut(query, |expr| {
        rewrite_call(expr);
        ControlFlow::<()>::Continue(())
    });
    let _ = query.visit(&mut Windows);
}

/// The window functions (TUMBLE, HOP …) `query` uses, upper case.
pub fn windows(query: &Query) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(query, |expr| {
        if let Expr::Function(f) = expr
            && window::is_window(f)
        {
            let name = f.name.to_string().to_uppercase();
            if !found.contains(&name) {
                found.push(name);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), …))` → `(SELECT *, CAST(ts AS TIMESTAMP(3)) AS
/// window_start, … AS window_end, … AS window_time FROM t)`: the columns Flink's window
/// functions add, typed as Flink types them, so the statement type-checks. (Only the
/// types: a window's rows exist in a running streaming job.)
struct Windows;

impl VisitorMut for Windows {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::TableFunction { expr: Expr::Function(f), alias } = factor else {
            return ControlFlow::Continue(());
        };
        if !window::is_window(f) {
            return ControlFlow::Continue(());
        }
        let FunctionArguments::List(list) = &f.args else { return ControlFlow::Continue(()) };
        let args: Vec<&Expr> = list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                | FunctionArg::Named { arg: FunctionArgExpr::Expr(e), .. }
                | FunctionArg::ExprNamed { arg: FunctionArgExpr::Expr(e), .. } => Some(e),
                _ => None,
            })
            .collect();
        let table = args.iter().find_map(|e| match e {
            Expr::Subquery(q) if window::table_argument(e).is_some() => Some(q.clone()),
            _ => None,
        });
        let time = args.iter().find_map(|e| match e {
            Expr::Function(d) if d.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") => match &d.args {
                FunctionArguments::List(l) => l.args.first().and_then(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(c)) => Some(c.clone()),
                    _ => None,
                }),
                _ => None,
            },
            _ => None,
        });
        let (Some(mut subquery), Some(time)) = (table, time) else { return ControlFlow::Continue(()) };
        if let SetExpr::Select(select) = subquery.body.as_mut() {
            for column in ["window_start", "window_end", "window_time"] {
                select.projection.push(SelectItem::ExprWithAlias {
                    expr: Expr::Cast {
                        kind: CastKind::Cast,
                        expr: Box::new(time.clone()),
                        data_type: DataType::Timestamp(Some(3), TimezoneInfo::None),
                        array: false,
                        format: None,
                    },
                    alias: Ident::new(column),
                });
            }
        }
        *factor = TableFactor::Derived { lateral: false, subquery, alias: alias.clone(), sample: None };
        ControlFlow::Continue(())
    }
}

fn rewrite_call(expr: &mut Expr) {
    let Expr::Function(f) = expr else { return };
    let Some(name) = f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_uppercase()) else {
        return;
    };
    let Some(args) = plain_args(f) else { return };
    let replacement = match (name.as_str(), args.as_slice()) {
        ("IF", [condition, then, otherwise]) => Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen { condition: condition.clone(), result: then.clone() }],
            else_result: Some(Box::new(otherwise.clone())),
        },
        ("IFNULL", [_, _]) => {
            let mut call = f.clone();
            call.name = ObjectName::from(vec![Ident::new("coalesce")]);
            Expr::Function(call)
        }
        ("TIMESTAMPDIFF" | "TIMESTAMPADD", [unit, rest @ ..]) if rest.len() == 2 => {
            let Expr::Identifier(unit) = unit else { return };
            let target = if name == "TIMESTAMPDIFF" { TIMESTAMPDIFF } else { TIMESTAMPADD };
            let mut call = f.clone();
            call.name = ObjectName::from(vec![Ident::new(target)]);
            if let FunctionArguments::List(list) = &mut call.args {
                list.args[0] = FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(
                    Value::SingleQuotedString(unit.value.to_uppercase()).into(),
                )));
            }
            Expr::Function(call)
        }
        _ => return,
    };
    *expr = replacement;
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn flink_spellings_become_datafusion_ones() {
        let sql = "SELECT IF(a > 1, 'big', 'small'), IFNULL(b, 0), TIMESTAMPDIFF(DAY, t1, t2), TIMESTAMPADD(HOUR, 2, t1) FROM x";
        let mut query = Parser::new(&PostgreSqlDialect {}).try_with_sql(sql).unwrap().parse_query().unwrap();
        super::rewrite(&mut query);
        assert_eq!(
            query.to_string(),
            "SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END, coalesce(b, 0), \
             sluice_timestampdiff('DAY', t1, t2), sluice_timestampadd('HOUR', 2, t1) FROM x"
        );
    }
}
