//! The statement parser: DataFusion's DFParser plus Sluice's gateway statements.

use std::ops::Range;

use datafusion_sql::parser::{DFParserBuilder, ParserInput, Statement as DfStatement};
use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Token, Tokenizer};

use super::ast::GatewayStatement;
use super::bounded::Bounded;
use super::error::{ParseError, Result, SourcePos, split_parser_position};
use super::grammar::{expected, word};
use super::text::LineIndex;

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
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|e| {
        ParseError::from_datafusion(datafusion_common::DataFusionError::from(ParserError::from(e)))
    })?;
    let tokens = super::placeholders::rewrite_tokens(super::window::rewrite_tokens(tokens));
    let bounded = Bounded::new(tokens.len());
    let mut df = DFParserBuilder::new(ParserInput::Tokens(tokens))
        .with_dialect(&bounded)
        .build()
        .map_err(ParseError::from_datafusion)?;
    let lines = LineIndex::new(sql);
    let mut out = Vec::new();
    loop {
        while df.parser.consume_token(&Token::SemiColon) {}
        let first = df.parser.peek_token();
        if first.token == Token::EOF {
            break;
        }
        let failed =
            |e: ParseError| if bounded.exhausted() { ParseError::TooComplex } else { at_end(e, sql) };
        let statement = match parse_gateway(&mut df.parser).map_err(syntax).map_err(failed)? {
            Some(g) => Statement::Gateway(g),
            None => Statement::Query(Box::new(
                df.parse_statement().map_err(ParseError::from_datafusion).map_err(failed)?,
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
fn at_end(e: ParseError, sql: &str) -> ParseError {
    match e {
        ParseError::Syntax { message, pos: None } if message.ends_with("found: EOF") => {
            let line = sql.matches('\n').count() as u64 + 1;
            let last = sql.rsplit('\n').next().unwrap_or_default();
            let column = last.chars().count() as u64 + 1;
            ParseError::Syntax { message, pos: Some(SourcePos { line, column }) }
        }
        other => other,
    }
}

fn syntax(e: ParserError) -> ParseError {
    if matches!(e, ParserError::RecursionLimitExceeded) {
        return ParseError::TooComplex;
    }
    let (message, pos) = split_parser_position(&e.to_string());
    ParseError::Syntax { message: hide_literals(message), pos }
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

/// Which statement parser a gateway statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Role,
    Source,
    Table,
    Pipeline,
    Deployment,
    Sync,
    Schedule,
    Privilege,
}

/// The family of the statement that starts with `words` (upper-cased, `""` past the end
/// or for a non-word): by its verb and the kind of object after it (after `OR REPLACE`).
/// `None` is a statement for DataFusion.
fn family(words: [&str; 4]) -> Option<Family> {
    use Family::*;
    let object = match words {
        [_, "OR", "REPLACE", object] => object,
        [_, object, ..] => object,
    };
    Some(match (words[0], object) {
        ("GRANT" | "REVOKE", _) | ("SHOW", "GRANTS") => Privilege,
        ("ALTER", "SOURCE" | "SECRET" | "TARGET" | "PIPELINE" | "SCHEDULE" | "SYNC")
            if words[3] == "OWNER" =>
        {
            Privilege
        }
        ("CREATE" | "ALTER" | "DROP", "ROLE" | "USER") if words[1] == object => Role,
        ("START" | "STOP" | "SUSPEND" | "RESUME", "PIPELINE") => Deployment,
        ("PREVIEW", _) | (_, "PIPELINE" | "PIPELINES") => Pipeline,
        ("DESCRIBE" | "DESC", "TARGET") if words[2] != "TYPE" => Source,
        (_, "TARGET" | "TARGETS" | "DEPLOYMENTS") => Deployment,
        (_, "SYNC" | "SYNCS") => Sync,
        (_, "SCHEDULE" | "SCHEDULES" | "RUNS") => Schedule,
        (_, "SECRET" | "SECRETS" | "SOURCE" | "SOURCES" | "DATABASES") | ("SHOW", "TABLES") => Source,
        ("DESCRIBE" | "DESC", _) => Source,
        ("CREATE" | "DROP", "TABLE") => Table,
        _ => return None,
    })
}

/// Recognises and parses a gateway statement at the parser's position; `None` (consuming
/// nothing) when the next statement is not one.
fn parse_gateway(p: &mut Parser<'_>) -> std::result::Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<String> = (0..4).map(|n| word(p, n).unwrap_or_default()).collect();
    let words = [words[0].as_str(), words[1].as_str(), words[2].as_str(), words[3].as_str()];
    if super::parse_apply::starts(words) {
        return super::parse_apply::parse(p).map(Some);
    }
    if super::parse_lineage::starts(words) {
        return super::parse_lineage::parse(p).map(Some);
    }
    if super::parse_show_create::starts(words) {
        return super::parse_show_create::parse(p).map(Some);
    }
    match family(words) {
        None => Ok(None),
        Some(Family::Role) => super::parse_role::parse(p).map(Some),
        Some(Family::Source) => super::parse_source::parse(p),
        Some(Family::Table) => super::parse_table::parse(p),
        Some(Family::Pipeline) => super::parse_pipeline::parse(p),
        Some(Family::Deployment) => super::parse_target::parse(p),
        Some(Family::Sync) => super::parse_sync::parse(p),
        Some(Family::Schedule) => super::parse_schedule::parse(p),
        Some(Family::Privilege) => super::parse_grant::parse(p).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourcePos;
    use crate::gateway;

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
