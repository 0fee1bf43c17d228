//! Flink's windowing table-valued functions — `TABLE(TUMBLE(TABLE orders,
//! DESCRIPTOR(ts), INTERVAL '5' MINUTE))`, and HOP, CUMULATE, SESSION — take a table as
//! argument, which PostgreSQL's grammar has no place for. Before parsing, `TABLE name`
//! as an argument of one of them becomes the scalar subquery `(SELECT * FROM name)`, so
//! the table is an ordinary relation of the AST (resolved, renamed and checked like any
//! other); [`restore`] turns it back into `TABLE name` for display and for Flink.

use std::ops::ControlFlow;

use datafusion_sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Query, SelectItem,
    SetExpr, TableFactor, VisitMut, VisitorMut,
};
use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

/// The windowing table-valued functions.
pub const WINDOW_FUNCTIONS: &[&str] = &["TUMBLE", "HOP", "CUMULATE", "SESSION"];

/// Rewrites `TABLE name` arguments of window functions into `(SELECT * FROM name)`.
/// Inserted tokens carry the span of `TABLE`, so error positions stay right.
pub fn rewrite_tokens(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    // the function (upper case) each open parenthesis belongs to
    let mut calls: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        match &token.token {
            Token::LParen => {
                let callee = last_significant(&out)
                    .and_then(|t| match &t.token {
                        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_uppercase()),
                        _ => None,
                    })
                    .unwrap_or_default();
                calls.push(callee);
            }
            Token::RParen => {
                calls.pop();
            }
            Token::Word(w) if w.keyword == Keyword::TABLE && w.quote_style.is_none() => {
                let in_window = calls.last().is_some_and(|c| WINDOW_FUNCTIONS.contains(&c.as_str()));
                let after = last_significant(&out).map(|t| &t.token);
                let argument = matches!(after, Some(Token::LParen | Token::Comma | Token::RArrow));
                if in_window
                    && argument
                    && let Some(end) = name_end(&tokens, i + 1)
                {
                    let at = |t: Token| TokenWithSpan { token: t, span: token.span };
                    out.push(at(Token::LParen));
                    out.push(at(Token::make_keyword("SELECT")));
                    out.push(at(Token::Mul));
                    out.push(at(Token::make_keyword("FROM")));
                    out.extend(tokens[i + 1..end].iter().cloned());
                    out.push(at(Token::RParen));
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        out.push(token.clone());
        i += 1;
    }
    out
}

fn last_significant(tokens: &[TokenWithSpan]) -> Option<&TokenWithSpan> {
    tokens.iter().rev().find(|t| !matches!(t.token, Token::Whitespace(_)))
}

/// The end (exclusive) of a dotted name starting at or after `from` (whitespace first).
fn name_end(tokens: &[TokenWithSpan], from: usize) -> Option<usize> {
    let mut i = from;
    while matches!(
        tokens.get(i).map(|t| &t.token),
        Some(Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab))
    ) {
        i += 1;
    }
    if !matches!(tokens.get(i).map(|t| &t.token), Some(Token::Word(_))) {
        return None;
    }
    i += 1;
    while matches!(tokens.get(i).map(|t| &t.token), Some(Token::Period))
        && matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Word(_)))
    {
        i += 2;
    }
    Some(i)
}

/// The table a window function argument stands for (`(SELECT * FROM name)`).
pub fn table_argument(expr: &Expr) -> Option<&ObjectName> {
    let Expr::Subquery(query) = expr else { return None };
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    match (select.projection.as_slice(), select.from.as_slice()) {
        ([SelectItem::Wildcard(_)], [from]) if from.joins.is_empty() && select.selection.is_none() => {
            match &from.relation {
                TableFactor::Table { name, .. } => Some(name),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether `f` is a window function.
pub fn is_window(f: &Function) -> bool {
    f.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| WINDOW_FUNCTIONS.contains(&i.value.to_uppercase().as_str()))
}

/// `query` with window functions' table arguments written `TABLE name` again.
pub fn restore(query: &Query) -> Query {
    let mut query = query.clone();
    let _ = query.visit(&mut Restore);
    query
}

struct Restore;

impl VisitorMut for Restore {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr
            && is_window(f)
        {
            restore_arguments(f);
        }
        ControlFlow::Continue(())
    }
}

/// Replaces each table argument of window function `f` with the bare words `TABLE name`.
pub fn restore_arguments(f: &mut Function) {
    let FunctionArguments::List(list) = &mut f.args else { return };
    for arg in &mut list.args {
        let expr = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
            FunctionArg::Named { arg: FunctionArgExpr::Expr(e), .. }
            | FunctionArg::ExprNamed { arg: FunctionArgExpr::Expr(e), .. } => e,
            _ => continue,
        };
        if let Some(name) = table_argument(expr) {
            *expr = Expr::Identifier(Ident::new(format!("TABLE {name}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion_sql::sqlparser::parser::Parser;
    use datafusion_sql::sqlparser::tokenizer::Tokenizer;

    use super::*;

    fn query(sql: &str) -> Query {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location().unwrap();
        *Parser::new(&PostgreSqlDialect {})
            .with_tokens_with_locations(rewrite_tokens(tokens))
            .parse_query()
            .unwrap()
    }

    #[test]
    fn window_tables_parse_and_display_as_flink_writes_them() {
        let sql = "SELECT window_start, SUM(amount) FROM TABLE(TUMBLE(TABLE src.db.orders, DESCRIPTOR(ts), \
                   INTERVAL '5' MINUTE)) GROUP BY window_start";
        let q = query(sql);
        assert!(q.to_string().contains("TUMBLE((SELECT * FROM src.db.orders), DESCRIPTOR(ts)"), "{q}");
        assert_eq!(restore(&q).to_string(), sql);
        let hop = "SELECT * FROM TABLE(HOP(DATA => TABLE k.t, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '1' MINUTE, \
                   SIZE => INTERVAL '5' MINUTE))";
        assert_eq!(restore(&query(hop)).to_string(), hop);
        // elsewhere TABLE keeps its meaning
        let other = "SELECT * FROM TABLE(generate_series(1, 3)) WHERE x IN (SELECT y FROM t)";
        assert_eq!(query(other).to_string(), other);
    }
}
