//! The statement parser: DataFusion's DFParser plus Sluice's gateway statements.

use std::ops::Range;

use datafusion::sql::parser::{DFParserBuilder, ParserInput, Statement as DfStatement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::ast::{
    AlterRole, AlterRoleOperation, CreateRole, DropRole, GatewayStatement, Ident, Password, RoleOption,
};
use super::text::LineIndex;
use crate::error::{Result, SluiceError, split_parser_position};

/// A parsed statement.
#[derive(Debug, Clone)]
pub enum Statement {
    /// A statement Sluice itself implements.
    Gateway(GatewayStatement),
    /// A statement for DataFusion (queries, and the session statements SET, SHOW, BEGIN …
    /// that the gateway answers from sqlparser's AST).
    Query(Box<DfStatement>),
}

/// One statement of the input, with where it is.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub statement: Statement,
    /// Byte range of the statement's text in the input (without the `;`).
    pub range: Range<usize>,
}

/// Parses `sql` into its statements. An empty input (or only `;` and comments) gives none.
pub fn parse(sql: &str) -> Result<Vec<Parsed>> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| SluiceError::from(datafusion::error::DataFusionError::from(ParserError::from(e))))?;
    let tokens = super::placeholders::rewrite_tokens(super::window::rewrite_tokens(tokens));
    let mut df = DFParserBuilder::new(ParserInput::Tokens(tokens))
        .with_dialect(&dialect)
        .build()
        .map_err(SluiceError::from)?;
    let lines = LineIndex::new(sql);
    let mut out = Vec::new();
    loop {
        while df.parser.consume_token(&Token::SemiColon) {}
        let first = df.parser.peek_token();
        if first.token == Token::EOF {
            break;
        }
        let statement = match parse_gateway(&mut df.parser).map_err(syntax).map_err(|e| at_end(e, sql))? {
            Some(g) => Statement::Gateway(g),
            None => Statement::Query(Box::new(
                df.parse_statement().map_err(SluiceError::from).map_err(|e| at_end(e, sql))?,
            )),
        };
        let next = df.parser.peek_token();
        let end = lines.offset(next.span.start);
        let start = lines.offset(first.span.start);
        out.push(Parsed { statement, range: start..end.max(start) });
        match next.token {
            Token::SemiColon | Token::EOF => {}
            _ => return Err(syntax(expected("end of statement", &next))),
        }
    }
    for parsed in &mut out {
        let text = &sql[parsed.range.clone()];
        parsed.range.end = parsed.range.start + text.trim_end().len();
    }
    Ok(out)
}

/// Errors at the end of the input carry no location; PostgreSQL points just past the end.
fn at_end(e: SluiceError, sql: &str) -> SluiceError {
    match e {
        SluiceError::Syntax { message, pos: None } if message.ends_with("found: EOF") => {
            let line = sql.matches('\n').count() as u64 + 1;
            let last = sql.rsplit('\n').next().unwrap_or_default();
            let column = last.chars().count() as u64 + 1;
            SluiceError::Syntax { message, pos: Some(crate::error::SourcePos { line, column }) }
        }
        other => other,
    }
}

fn syntax(e: ParserError) -> SluiceError {
    let (message, pos) = split_parser_position(&e.to_string());
    SluiceError::Syntax { message: hide_literals(message), pos }
}

/// Parser messages quote the offending token; a literal there may be a password, so it
/// is described rather than shown.
fn hide_literals(message: String) -> String {
    let Some(i) = message.find("found: ") else { return message };
    let found = &message[i + "found: ".len()..];
    let literal = found.starts_with(['\'', '$', '"'])
        || found.starts_with(|c: char| c.is_ascii_digit())
        || ["E'", "e'", "N'", "n'", "X'", "x'", "B'", "b'", "U&'", "u&'"]
            .iter()
            .any(|p| found.starts_with(p));
    if literal { format!("{}found: a literal", &message[..i]) } else { message }
}

pub(super) fn expected(what: &str, found: &TokenWithSpan) -> ParserError {
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

pub(super) fn location_error(message: String, at: Location) -> ParserError {
    ParserError::ParserError(format!("{message}{at}"))
}

/// Recognises and parses a gateway statement at the parser's position; `None` (consuming
/// nothing) when the next statement is not one.
fn parse_gateway(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let keyword = |n: usize, p: &Parser<'_>| match p.peek_nth_token(n).token {
        Token::Word(w) => w.keyword,
        _ => Keyword::NoKeyword,
    };
    let (first, second) = (keyword(0, p), keyword(1, p));
    let statement = match (first, second) {
        (Keyword::CREATE, Keyword::ROLE | Keyword::USER) => {
            p.next_token();
            let user = p.next_token().token == Token::make_keyword("USER");
            GatewayStatement::CreateRole(parse_create_role(p, user)?)
        }
        (Keyword::ALTER, Keyword::ROLE | Keyword::USER) => {
            p.next_token();
            p.next_token();
            GatewayStatement::AlterRole(parse_alter_role(p)?)
        }
        (Keyword::DROP, Keyword::ROLE | Keyword::USER) => {
            p.next_token();
            p.next_token();
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let names = p.parse_comma_separated(|p| p.parse_identifier().map(Ident::from))?;
            GatewayStatement::DropRole(DropRole { if_exists, names })
        }
        _ => match super::parse_pipeline::parse(p)? {
            Some(statement) => statement,
            None => match super::parse_target::parse(p)? {
                Some(statement) => statement,
                None => match super::parse_sync::parse(p)? {
                    Some(statement) => statement,
                    None => match super::parse_schedule::parse(p)? {
                        Some(statement) => statement,
                        None => return super::parse_source::parse(p),
                    },
                },
            },
        },
    };
    Ok(Some(statement))
}

fn parse_create_role(p: &mut Parser<'_>, user: bool) -> Result<CreateRole, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = Ident::from(p.parse_identifier()?);
    let options = parse_role_options(p)?;
    Ok(CreateRole { name, if_not_exists, user, options })
}

fn parse_alter_role(p: &mut Parser<'_>) -> Result<AlterRole, ParserError> {
    let name = Ident::from(p.parse_identifier()?);
    let operation = if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        AlterRoleOperation::RenameTo(Ident::from(p.parse_identifier()?))
    } else {
        let options = parse_role_options(p)?;
        if options.is_empty() {
            return Err(expected("a role option or RENAME TO", &p.peek_token()));
        }
        AlterRoleOperation::With(options)
    };
    Ok(AlterRole { name, operation })
}

fn parse_role_options(p: &mut Parser<'_>) -> Result<Vec<RoleOption>, ParserError> {
    let _ = p.parse_keyword(Keyword::WITH);
    let mut options: Vec<RoleOption> = Vec::new();
    loop {
        let token = p.peek_token();
        let option = match &token.token {
            Token::SemiColon | Token::EOF => break,
            Token::Word(w) => match w.keyword {
                Keyword::SUPERUSER => RoleOption::Superuser(true),
                Keyword::NOSUPERUSER => RoleOption::Superuser(false),
                Keyword::LOGIN => RoleOption::Login(true),
                Keyword::NOLOGIN => RoleOption::Login(false),
                Keyword::ENCRYPTED | Keyword::PASSWORD => {
                    if w.keyword == Keyword::ENCRYPTED {
                        p.next_token();
                        if p.peek_token().token != Token::make_keyword("PASSWORD") {
                            return Err(expected("PASSWORD", &p.peek_token()));
                        }
                    }
                    p.next_token();
                    let password = if p.parse_keyword(Keyword::NULL) {
                        Password::Null
                    } else {
                        match p.next_token() {
                            TokenWithSpan { token: Token::SingleQuotedString(s), .. }
                            | TokenWithSpan { token: Token::EscapedStringLiteral(s), .. } => {
                                Password::Text(s)
                            }
                            other => return Err(expected("a password string or NULL", &other)),
                        }
                    };
                    options.push(RoleOption::Password(password));
                    continue;
                }
                _ => {
                    return Err(location_error(
                        format!(
                            "unsupported role option {}: Sluice roles have SUPERUSER, LOGIN and PASSWORD",
                            w.value.to_uppercase()
                        ),
                        token.span.start,
                    ));
                }
            },
            _ => return Err(expected("a role option", &token)),
        };
        let conflicting =
            options.iter().any(|o| std::mem::discriminant(o) == std::mem::discriminant(&option));
        if conflicting {
            return Err(location_error("conflicting or redundant options".into(), token.span.start));
        }
        p.next_token();
        options.push(option);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourcePos;
    use crate::sql::gateway;

    #[test]
    fn role_statements_round_trip() {
        for sql in [
            "CREATE ROLE alice",
            "CREATE USER IF NOT EXISTS \"Bob\" WITH SUPERUSER PASSWORD 'it''s'",
            "CREATE ROLE r WITH NOLOGIN PASSWORD NULL",
            "ALTER ROLE alice WITH NOSUPERUSER LOGIN",
            "ALTER ROLE alice RENAME TO carol",
            "DROP ROLE IF EXISTS a, \"B\"",
        ] {
            let first = gateway(sql);
            let again = gateway(&first.to_string());
            assert_eq!(first, again, "{sql} -> {first}");
        }
    }

    #[test]
    fn statement_ranges_cover_their_text() {
        let sql = "  select 1 ;\n-- note\nCREATE ROLE x LOGIN;;  show search_path";
        let parsed = parse(sql).expect("parses");
        let texts: Vec<&str> = parsed.iter().map(|p| &sql[p.range.clone()]).collect();
        assert_eq!(texts, ["select 1", "CREATE ROLE x LOGIN", "show search_path"]);
    }

    #[test]
    fn empty_input_has_no_statements() {
        assert!(parse(" ; ;\n-- only a comment\n").expect("parses").is_empty());
    }

    #[test]
    fn passwords_do_not_appear_in_errors_or_debug() {
        let err = parse("CREATE ROLE x LOGIN 'hunter2'").expect_err("bad syntax");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        for sql in [
            "CREATE ROLE x PASSWORD $$hunter2$$ x",
            "CREATE ROLE x LOGIN E'hunter2'",
            "CREATE ROLE x PASSWORD 12345",
        ] {
            let err = parse(sql).expect_err("bad syntax");
            assert!(!err.to_string().contains("hunter2") && !err.to_string().contains("12345"), "{err}");
        }
        let ok = gateway("CREATE ROLE x PASSWORD 'hunter2'");
        assert!(!format!("{ok:?}").contains("hunter2"));
        assert!(!ok.redacted().contains("hunter2"));
    }

    #[test]
    fn unsupported_role_options_are_named() {
        let err = parse("CREATE ROLE x CREATEDB").expect_err("unsupported");
        assert!(err.to_string().contains("CREATEDB"), "{err}");
        assert_eq!(err.pos(), Some(SourcePos { line: 1, column: 15 }));
    }
}
