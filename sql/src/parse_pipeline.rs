//! Parsing pipeline statements (see `ast::pipeline`).
//!
//! The body is `INSERT …` or `BEGIN …; …; END`; it may also be given dollar-quoted
//! (`AS $$ … $$`), which psql sends as one statement (psql splits `BEGIN …; END` at the
//! semicolons). A dollar-quoted body is tokenized in place, so positions in errors still
//! count from the start of the whole statement.

use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use super::ast::GatewayStatement;
use super::ast::pipeline::{
    AlterPipeline, AlterPipelineOperation, BodyStatement, CreatePipeline, DropPipeline, ExplainFormat,
    PipelineInfo, PreviewTarget,
};
use super::grammar::{advance, expected, ident, location_error, option_key, option_list, word};

pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..4).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    let statement = match (w(0), w(1), w(2), w(3)) {
        ("CREATE", "PIPELINE", ..) | ("CREATE", "OR", "REPLACE", "PIPELINE") => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let name = ident(p)?;
            let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
            p.expect_keyword(Keyword::AS)?;
            let body = body(p)?;
            GatewayStatement::CreatePipeline(CreatePipeline {
                name,
                or_replace,
                if_not_exists,
                options,
                body,
            })
        }
        ("ALTER", "PIPELINE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let operation = if p.parse_keyword(Keyword::SET) {
                AlterPipelineOperation::Set(option_list(p)?)
            } else if p.parse_keyword(Keyword::RESET) {
                p.expect_token(&Token::LParen)?;
                let keys = p.parse_comma_separated(option_key)?;
                p.expect_token(&Token::RParen)?;
                AlterPipelineOperation::Reset(keys)
            } else {
                return Err(expected("SET or RESET", &p.peek_token()));
            };
            GatewayStatement::AlterPipeline(AlterPipeline { name, operation })
        }
        ("DROP", "PIPELINE", ..) => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let names = p.parse_comma_separated(ident)?;
            GatewayStatement::DropPipeline(DropPipeline { if_exists, names })
        }
        ("SHOW", "PIPELINES", ..) => info(p, 2, PipelineInfo::ShowPipelines),
        ("DESCRIBE" | "DESC", "PIPELINE", "OPTIONS", _) => info(p, 3, PipelineInfo::DescribePipelineOptions),
        ("DESCRIBE" | "DESC", "PIPELINE", ..) => {
            advance(p, 2);
            GatewayStatement::PipelineInfo(PipelineInfo::DescribePipeline(ident(p)?))
        }
        ("EXPLAIN", "PIPELINE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let format = if word(p, 0).as_deref() == Some("FORMAT") {
                p.next_token();
                let token = p.next_token();
                let format = match &token.token {
                    Token::Word(w) => ExplainFormat::from_name(&w.value),
                    Token::SingleQuotedString(s) => ExplainFormat::from_name(s),
                    _ => None,
                };
                format.ok_or_else(|| {
                    let names: Vec<&str> = ExplainFormat::ALL.iter().map(|f| f.name()).collect();
                    location_error(
                        format!("unknown EXPLAIN format: expected one of {}", names.join(", ")),
                        token.span.start,
                    )
                })?
            } else {
                ExplainFormat::Text
            };
            let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
            GatewayStatement::PipelineInfo(PipelineInfo::Explain { name, format, options })
        }
        ("PREVIEW", "PIPELINE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let sink = if word(p, 0).as_deref() == Some("SINK") {
                p.next_token();
                Some(p.parse_object_name(false)?)
            } else {
                None
            };
            let limit = limit(p)?;
            GatewayStatement::PipelineInfo(PipelineInfo::Preview {
                target: PreviewTarget::Pipeline { name, sink },
                limit,
            })
        }
        ("PREVIEW", ..) => {
            p.next_token();
            let body = body(p)?;
            let limit = limit(p)?;
            GatewayStatement::PipelineInfo(PipelineInfo::Preview { target: PreviewTarget::Body(body), limit })
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn info(p: &mut Parser<'_>, words: usize, info: PipelineInfo) -> GatewayStatement {
    advance(p, words);
    GatewayStatement::PipelineInfo(info)
}

/// `[ LIMIT n ]`, n > 0.
fn limit(p: &mut Parser<'_>) -> Result<Option<u64>, ParserError> {
    if !p.parse_keyword(Keyword::LIMIT) {
        return Ok(None);
    }
    let token = p.next_token();
    match &token.token {
        Token::Number(n, _) => match n.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(location_error("LIMIT must be a positive whole number".into(), token.span.start)),
        },
        _ => Err(expected("a row count", &token)),
    }
}

/// `INSERT …`, `BEGIN …; … END`, or either of them dollar-quoted.
pub fn body(p: &mut Parser<'_>) -> Result<Vec<BodyStatement>, ParserError> {
    quoted_or_inline(p, "the end of the pipeline body", statements)
}

/// Parses with `parse` either what follows in `p`, or — when a dollar-quoted string
/// follows — its content, tokenized in place so that positions count from the start of
/// the whole statement. `what` names the end for errors.
pub fn quoted_or_inline<T>(
    p: &mut Parser<'_>,
    what: &str,
    parse: impl Fn(&mut Parser<'_>) -> Result<T, ParserError>,
) -> Result<T, ParserError> {
    if let Token::DollarQuotedString(quoted) = &p.peek_token().token {
        let quoted = quoted.clone();
        let at = p.next_token().span.start;
        let tag_len = quoted.tag.as_ref().map_or(0, |t| t.chars().count()) as u64;
        let start = Location { line: at.line, column: at.column + tag_len + 2 };
        let dialect = PostgreSqlDialect {};
        let tokens = Tokenizer::new(&dialect, &quoted.value).tokenize_with_location()?;
        let shifted: Vec<TokenWithSpan> = tokens
            .into_iter()
            .map(|t| TokenWithSpan {
                token: t.token,
                span: Span::new(shift(t.span.start, start), shift(t.span.end, start)),
            })
            .collect();
        let mut inner = Parser::new(&dialect).with_tokens_with_locations(
            super::placeholders::rewrite_tokens(super::window::rewrite_tokens(shifted)),
        );
        let parsed = parse(&mut inner)?;
        while inner.consume_token(&Token::SemiColon) {}
        if inner.peek_token().token != Token::EOF {
            return Err(expected(what, &inner.peek_token()));
        }
        return Ok(parsed);
    }
    parse(p)
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
        let name = ident(p)?;
        let columns = column_list(p)?;
        p.expect_keyword(Keyword::AS)?;
        let query = p.parse_query()?;
        return Ok(BodyStatement::View { name, columns, query });
    }
    Err(expected("INSERT INTO … SELECT … or CREATE TEMPORARY VIEW … AS SELECT …", &p.peek_token()))
}

fn column_list(p: &mut Parser<'_>) -> Result<Vec<datafusion_sql::sqlparser::ast::Ident>, ParserError> {
    if p.peek_token().token != Token::LParen {
        return Ok(Vec::new());
    }
    // `INSERT INTO t (SELECT …)` is a parenthesised query, not a column list
    if let Token::Word(w) = &p.peek_nth_token(1).token
        && (w.keyword == Keyword::SELECT || w.keyword == Keyword::WITH || w.keyword == Keyword::VALUES)
    {
        return Ok(Vec::new());
    }
    p.expect_token(&Token::LParen)?;
    let columns = p.parse_comma_separated(|p| p.parse_identifier())?;
    p.expect_token(&Token::RParen)?;
    Ok(columns)
}

/// Parses a stored pipeline body (`INSERT …` or `BEGIN … END`).
pub fn parse_body(sql: &str) -> super::error::Result<Vec<BodyStatement>> {
    let dialect = PostgreSqlDialect {};
    let syntax = |e: ParserError| super::error::ParseError::Syntax { message: e.to_string(), pos: None };
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|e| syntax(e.into()))?;
    let tokens = super::placeholders::rewrite_tokens(super::window::rewrite_tokens(tokens));
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let statements = body(&mut p).map_err(syntax)?;
    while p.consume_token(&Token::SemiColon) {}
    if p.peek_token().token != Token::EOF {
        return Err(syntax(expected("the end of the pipeline body", &p.peek_token())));
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use crate::error::SourcePos;
    use crate::{gateway, parse};

    #[test]
    fn pipeline_statements_round_trip() {
        for sql in [
            "CREATE PIPELINE p AS INSERT INTO k.t SELECT a, b FROM m.db.t WHERE a > 1",
            "CREATE OR REPLACE PIPELINE IF NOT EXISTS \"P q\" WITH (mode = 'batch', parallelism = 2, 'flink.x.y' = 'z') AS \
             BEGIN CREATE TEMPORARY VIEW v (a) AS SELECT a FROM m.db.t; INSERT INTO k.t (a) SELECT a FROM v; END",
            "CREATE PIPELINE p AS $tag$ BEGIN INSERT INTO k.t SELECT 1; INSERT INTO k.u SELECT 'it''s'; END $tag$",
            "ALTER PIPELINE p SET (parallelism = 4)",
            "ALTER PIPELINE p RESET (parallelism, 'flink.a-b')",
            "DROP PIPELINE IF EXISTS p, q",
            "SHOW PIPELINES",
            "SHOW CREATE PIPELINE p",
            "DESCRIBE PIPELINE p",
            "DESC PIPELINE OPTIONS",
            "EXPLAIN PIPELINE p",
            "EXPLAIN PIPELINE p FORMAT flink_sql",
            "EXPLAIN PIPELINE p FORMAT kubernetes WITH (namespace = 'flink', mode = 'session')",
            "PREVIEW PIPELINE p SINK k.t LIMIT 5",
            "PREVIEW INSERT INTO k.t SELECT a FROM m.db.t LIMIT 3",
            "PREVIEW BEGIN INSERT INTO k.t SELECT a FROM m.db.t; END LIMIT 7",
        ] {
            let first = gateway(sql);
            let again = gateway(&first.to_string());
            assert_eq!(first, again, "{sql} -> {first}");
        }
    }

    #[test]
    fn dollar_quoted_bodies_report_positions_in_the_whole_statement() {
        let sql = "CREATE PIPELINE p AS $$\nINSERT INTO k.t SELEC a FROM m.db.t\n$$";
        let err = parse(sql).expect_err("syntax error");
        assert_eq!(err.pos(), Some(SourcePos { line: 2, column: 17 }), "{err}");
    }

    #[test]
    fn bad_formats_and_limits_are_refused() {
        for sql in
            ["EXPLAIN PIPELINE p FORMAT yaml", "PREVIEW PIPELINE p LIMIT 0", "CREATE PIPELINE p AS BEGIN END"]
        {
            assert!(parse(sql).is_err(), "{sql}");
        }
    }
}
