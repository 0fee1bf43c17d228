//! Flink SQL constructs DataFusion spells differently, rewritten in the body's AST before
//! it is planned: `IF(c, a, b)` → `CASE WHEN c THEN a ELSE b END`, `IFNULL(a, b)` →
//! `COALESCE(a, b)`, and `TIMESTAMPDIFF(DAY, a, b)` / `TIMESTAMPADD(HOUR, n, t)` (a unit
//! keyword as first argument) → calls with the unit as a string.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    CaseWhen, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Query,
    Value, visit_expressions_mut,
};
use sluice_functions::flink::{TIMESTAMPADD, TIMESTAMPDIFF};

/// Applies every rewrite to `query`.
pub fn rewrite(query: &mut Query) {
    let _ = visit_expressions_mut(query, |expr| {
        rewrite_call(expr);
        ControlFlow::<()>::Continue(())
    });
}

fn args_of(f: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &f.args else { return None };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn rewrite_call(expr: &mut Expr) {
    let Expr::Function(f) = expr else { return };
    let Some(name) = f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_uppercase()) else {
        return;
    };
    let Some(args) = args_of(f) else { return };
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
