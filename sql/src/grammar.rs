//! Pieces of grammar the statement parsers share: words ahead, identifiers, type names,
//! option lists, and errors in sqlparser's style (with the position of the token).

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use super::ast::Ident;
use super::ast::options::{OptionValue, SqlOption};
use super::ast::source::ObjectPath;

/// The upper-cased word `n` tokens ahead (keyword or not), if it is a word.
pub fn word(p: &Parser<'_>, n: usize) -> Option<String> {
    match p.peek_nth_token(n).token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_uppercase()),
        _ => None,
    }
}

/// Skips `n` tokens (the words a statement was recognised by).
pub fn advance(p: &mut Parser<'_>, n: usize) {
    for _ in 0..n {
        p.next_token();
    }
}

/// An identifier, normalised as PostgreSQL does.
pub fn ident(p: &mut Parser<'_>) -> Result<Ident, ParserError> {
    Ok(Ident::from(p.parse_identifier()?))
}

/// A dotted name (`source`, `source.table`, `source.database.table` …), parts normalised
/// like identifiers; how many parts a statement takes is its own check.
pub fn path(p: &mut Parser<'_>) -> Result<ObjectPath, ParserError> {
    let mut parts = vec![ident(p)?];
    while p.consume_token(&Token::Period) {
        parts.push(ident(p)?);
    }
    Ok(ObjectPath(parts))
}

/// A source or target type: a word (`mysql`, `flink-cdc` is not one) or a quoted string;
/// `what` names it in the error.
pub fn type_name(p: &mut Parser<'_>, what: &str) -> Result<String, ParserError> {
    match p.next_token() {
        TokenWithSpan { token: Token::Word(w), .. } => Ok(w.value.to_lowercase()),
        TokenWithSpan { token: Token::SingleQuotedString(s), .. } => Ok(s.to_lowercase()),
        other => Err(expected(what, &other)),
    }
}

/// `( key = value [, …] )`; a key given twice is an error.
pub fn option_list(p: &mut Parser<'_>) -> Result<Vec<SqlOption>, ParserError> {
    p.expect_token(&Token::LParen)?;
    let mut options: Vec<SqlOption> = Vec::new();
    if !p.consume_token(&Token::RParen) {
        loop {
            let at = p.peek_token().span.start;
            let key = option_key(p)?;
            p.expect_token(&Token::Eq)?;
            let value = option_value(p)?;
            if options.iter().any(|o| o.key == key) {
                return Err(location_error(format!("option \"{key}\" specified more than once"), at));
            }
            options.push(SqlOption { key, value });
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    }
    Ok(options)
}

/// `port`, `scan.startup.mode` or `'fs.s3.access-key'`, in lower case.
pub fn option_key(p: &mut Parser<'_>) -> Result<String, ParserError> {
    let first = p.next_token();
    let mut key = match &first.token {
        Token::SingleQuotedString(s) => return Ok(s.to_lowercase()),
        Token::Word(w) => w.value.to_lowercase(),
        _ => return Err(expected("an option name", &first)),
    };
    while p.consume_token(&Token::Period) {
        match p.next_token() {
            TokenWithSpan { token: Token::Word(w), .. } => {
                key.push('.');
                key.push_str(&w.value.to_lowercase());
            }
            other => return Err(expected("an option name", &other)),
        }
    }
    Ok(key)
}

fn option_value(p: &mut Parser<'_>) -> Result<OptionValue, ParserError> {
    let token = p.next_token();
    Ok(match &token.token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => OptionValue::String(s.clone()),
        Token::Number(n, _) => OptionValue::Number(n.clone()),
        Token::Minus => match p.next_token() {
            TokenWithSpan { token: Token::Number(n, _), .. } => OptionValue::Number(format!("-{n}")),
            other => return Err(expected("a number", &other)),
        },
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::TRUE => OptionValue::Bool(true),
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::FALSE => OptionValue::Bool(false),
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::SECRET => {
            OptionValue::Secret(ident(p)?)
        }
        Token::Word(w) => OptionValue::String(w.value.clone()),
        _ => return Err(expected("an option value: a string, a number, true, false or SECRET name", &token)),
    })
}

pub fn expected(what: &str, found: &TokenWithSpan) -> ParserError {
    let shown = match &found.token {
        Token::Word(_) | Token::EOF => found.token.to_string(),
        Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::EscapedStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::DollarQuotedString(_)
        | Token::UnicodeStringLiteral(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_) => "a literal".to_owned(),
        other => other.to_string(),
    };
    ParserError::ParserError(format!("Expected: {what}, found: {shown}{}", found.span.start))
}

pub fn location_error(message: String, at: Location) -> ParserError {
    ParserError::ParserError(format!("{message}{at}"))
}
