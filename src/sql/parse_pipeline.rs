//! Parsing pipeline statements (see `ast::pipeline`).
//!
//! The body is `INSERT …` or `BEGIN …; …; END`; it may also be given dollar-quoted
//! (`AS $$ … $$`), which psql sends as one statement (psql splits `BEGIN …; END` at the
//! semicolons). A dollar-quoted body is tokenized in place, so positions in errors still
//! count from the start of the whole statement.

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use super::ast::pipeline::{BodyStatement, CreatePipeline};
use super::ast::{GatewayStatement, Ident};
use super::parse_source::{option_list, word};
use super::parser::expected;

pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..4).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    match (w(0), w(1), w(2), w(3)) {
        ("CREATE", "PIPELINE", ..) | ("CREATE", "OR", "REPLACE", "PIPELINE") => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let name = Ident::from(p.parse_identifier()?);
            let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
            p.expect_keyword(Keyword::AS)?;
            let body = body(p)?;
            Ok(Some(GatewayStatement::CreatePipeline(CreatePipeline { name, or_replace, if_not_exists, options, body })))
        }
        _ => Ok(None),
    }
}

/// `INSERT …`, `BEGIN …; … END`, or either of them dollar-quoted.
pub fn body(p: &mut Parser<'_>) -> Result<Vec<BodyStatement>, ParserError> {
    if let Token::DollarQuotedString(quoted) = &p.peek_token().token {
        let quoted = quoted.clone();
        let at = p.next_token().span.start;
        let tag_len = quoted.tag.as_ref().map_or(0, |t| t.chars().count()) as u64;
        let start = Location { line: at.line, column: at.column + tag_len + 2 };
        let dialect = PostgreSqlDialect {};
        let tokens = Tokenizer::new(&dialect, &quoted.value).tokenize_with_location()?;
        let shifted: Vec<TokenWithSpan> = tokens
            .into_iter()
            .map(|t| TokenWithSpan { token: t.token, span: Span::new(shift(t.span.start, start), shift(t.span.end, start)) })
            .collect();
        let mut inner = Parser::new(&dialect).with_tokens_with_locations(shifted);
        let statements = statements(&mut inner)?;
        while inner.consume_token(&Token::SemiColon) {}
        if inner.peek_token().token != Token::EOF {
            return Err(expected("the end of the pipeline body", &inner.peek_token()));
        }
        return Ok(statements);
    }
    statements(p)
}

fn shift(loc: Location, by: Location) -> Location {
    if loc.line <= 1 {
        Location { line: by.line, column: by.column + loc.column.saturating_sub(1) }
    } else {
        Location { line: by.line + loc.line - 1, column: loc.column }
    }
}

fn statements(p: &mut Parser<'_>) -> Result<Vec<BodyStatement>, ParserError> {
    if !p.parse_keyword(Keyword::BEGIN) {
        return Ok(vec![statement(p)?]);
    }
    let mut out = Vec::new();
    loop {
        while p.consume_token(&Token::SemiColon) {}
        if p.parse_keyword(Keyword::END) {
            break;
        }
        out.push(statement(p)?);
        if !p.consume_token(&Token::SemiColon) && p.peek_token().token != Token::make_keyword("END") {
            return Err(expected("; or END", &p.peek_token()));
        }
    }
    if out.is_empty() {
        return Err(expected("an INSERT statement", &p.peek_token()));
    }
    Ok(out)
}

fn statement(p: &mut Parser<'_>) -> Result<BodyStatement, ParserError> {
    if p.parse_keywords(&[Keyword::INSERT, Keyword::INTO]) {
        let sink = p.parse_object_name(false)?;
        let columns = column_list(p)?;
        let query = p.parse_query()?;
        return Ok(BodyStatement::Insert { sink, columns, query });
    }
    if p.parse_keywords(&[Keyword::CREATE, Keyword::TEMPORARY, Keyword::VIEW]) {
        let name = Ident::from(p.parse_identifier()?);
        let columns = column_list(p)?;
        p.expect_keyword(Keyword::AS)?;
        let query = p.parse_query()?;
        return Ok(BodyStatement::View { name, columns, query });
    }
    Err(expected("INSERT INTO … SELECT … or CREATE TEMPORARY VIEW … AS SELECT …", &p.peek_token()))
}

fn column_list(p: &mut Parser<'_>) -> Result<Vec<datafusion::sql::sqlparser::ast::Ident>, ParserError> {
    if p.peek_token().token != Token::LParen {
        return Ok(Vec::new());
    }
    // `INSERT INTO t (SELECT …)` is a parenthesised query, not a column list
    if let Token::Word(w) = &p.peek_nth_token(1).token {
        if w.keyword == Keyword::SELECT || w.keyword == Keyword::WITH || w.keyword == Keyword::VALUES {
            return Ok(Vec::new());
        }
    }
    p.expect_token(&Token::LParen)?;
    let columns = p.parse_comma_separated(|p| p.parse_identifier())?;
    p.expect_token(&Token::RParen)?;
    Ok(columns)
}
