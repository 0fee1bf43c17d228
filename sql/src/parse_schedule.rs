//! Parsing schedule statements (see `ast::schedule`).

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::Token;

use super::ast::GatewayStatement;
use super::ast::schedule::{
    AlterSchedule, AlterScheduleOperation, CreateSchedule, DropSchedule, RunSchedule, RunsFilter,
    ScheduleInfo, SetScheduleState, Task,
};
use super::grammar::{advance, expected, ident, option_key, option_list, word};
use super::parse_pipeline::quoted_or_inline;

/// Recognises a schedule statement; `None` (consuming nothing) otherwise.
pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..4).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    let statement = match (w(0), w(1), w(2), w(3)) {
        ("CREATE", "SCHEDULE", ..) => {
            advance(p, 2);
            create(p, false)?
        }
        ("CREATE", "OR", "REPLACE", "SCHEDULE") => {
            advance(p, 4);
            create(p, true)?
        }
        ("ALTER", "SCHEDULE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let operation = if p.parse_keyword(Keyword::SET) {
                AlterScheduleOperation::Set(option_list(p)?)
            } else if p.parse_keyword(Keyword::RESET) {
                p.expect_token(&Token::LParen)?;
                let keys = p.parse_comma_separated(option_key)?;
                p.expect_token(&Token::RParen)?;
                AlterScheduleOperation::Reset(keys)
            } else if word(p, 0).as_deref() == Some("CRON") {
                p.next_token();
                let cron = p.parse_literal_string()?;
                AlterScheduleOperation::Cron { cron, timezone: timezone(p)? }
            } else if word(p, 0).as_deref() == Some("TIMEZONE") {
                p.next_token();
                AlterScheduleOperation::Timezone(p.parse_literal_string()?)
            } else {
                return Err(expected("SET, RESET, CRON or TIMEZONE", &p.peek_token()));
            };
            GatewayStatement::AlterSchedule(AlterSchedule { name, operation })
        }
        ("DROP", "SCHEDULE", ..) => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let names = p.parse_comma_separated(ident)?;
            GatewayStatement::DropSchedule(DropSchedule { if_exists, names })
        }
        ("PAUSE" | "RESUME", "SCHEDULE", ..) => {
            let pause = w(0) == "PAUSE";
            advance(p, 2);
            GatewayStatement::SetScheduleState(SetScheduleState { name: ident(p)?, pause })
        }
        ("RUN", "SCHEDULE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let range = if p.parse_keyword(Keyword::FOR) {
                p.expect_keyword(Keyword::RANGE)?;
                let from = p.parse_literal_string()?;
                p.expect_keyword(Keyword::TO)?;
                Some((from, p.parse_literal_string()?))
            } else {
                None
            };
            GatewayStatement::RunSchedule(RunSchedule { name, range })
        }
        ("SHOW", "SCHEDULES", ..) => {
            advance(p, 2);
            GatewayStatement::ScheduleInfo(ScheduleInfo::ShowSchedules)
        }
        ("DESCRIBE" | "DESC", "SCHEDULE", "OPTIONS", ..) => {
            advance(p, 3);
            GatewayStatement::ScheduleInfo(ScheduleInfo::DescribeScheduleOptions)
        }
        ("DESCRIBE" | "DESC", "SCHEDULE", ..) => {
            advance(p, 2);
            GatewayStatement::ScheduleInfo(ScheduleInfo::DescribeSchedule(ident(p)?))
        }
        ("SHOW", "RUNS", ..) => {
            advance(p, 2);
            let filter = if p.parse_keyword(Keyword::FOR) {
                match word(p, 0).as_deref() {
                    Some("SCHEDULE") => {
                        p.next_token();
                        RunsFilter::Schedule(ident(p)?)
                    }
                    Some("PIPELINE") => {
                        p.next_token();
                        RunsFilter::Pipeline(ident(p)?)
                    }
                    _ => return Err(expected("SCHEDULE or PIPELINE", &p.peek_token())),
                }
            } else {
                RunsFilter::All
            };
            GatewayStatement::ScheduleInfo(ScheduleInfo::ShowRuns(filter))
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn timezone(p: &mut Parser<'_>) -> Result<Option<String>, ParserError> {
    if word(p, 0).as_deref() == Some("TIMEZONE") {
        p.next_token();
        Ok(Some(p.parse_literal_string()?))
    } else {
        Ok(None)
    }
}

/// After `CREATE [OR REPLACE] SCHEDULE`.
fn create(p: &mut Parser<'_>, or_replace: bool) -> Result<GatewayStatement, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = ident(p)?;
    if word(p, 0).as_deref() != Some("CRON") {
        return Err(expected("CRON 'expression'", &p.peek_token()));
    }
    p.next_token();
    let cron = p.parse_literal_string()?;
    let timezone = timezone(p)?;
    let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
    p.expect_keyword(Keyword::AS)?;
    let tasks = quoted_or_inline(p, "the end of the schedule body", tasks)?;
    Ok(GatewayStatement::CreateSchedule(CreateSchedule {
        name,
        or_replace,
        if_not_exists,
        cron,
        timezone,
        options,
        tasks,
    }))
}

/// `BEGIN RUN PIPELINE a; RUN PIPELINE b AFTER a; … END` (or a single `RUN PIPELINE a`).
fn tasks(p: &mut Parser<'_>) -> Result<Vec<Task>, ParserError> {
    if !p.parse_keyword(Keyword::BEGIN) {
        return Ok(vec![task(p)?]);
    }
    let mut out = Vec::new();
    loop {
        while p.consume_token(&Token::SemiColon) {}
        if p.parse_keyword(Keyword::END) {
            break;
        }
        out.push(task(p)?);
        if !p.consume_token(&Token::SemiColon) && p.peek_token().token != Token::make_keyword("END") {
            return Err(expected("; or END", &p.peek_token()));
        }
    }
    if out.is_empty() {
        return Err(expected("RUN PIPELINE", &p.peek_token()));
    }
    Ok(out)
}

fn task(p: &mut Parser<'_>) -> Result<Task, ParserError> {
    if word(p, 0).as_deref() != Some("RUN") || word(p, 1).as_deref() != Some("PIPELINE") {
        return Err(expected("RUN PIPELINE name", &p.peek_token()));
    }
    advance(p, 2);
    let pipeline = ident(p)?;
    let after = if word(p, 0).as_deref() == Some("AFTER") {
        p.next_token();
        p.parse_comma_separated(ident)?
    } else {
        Vec::new()
    };
    Ok(Task { pipeline, after })
}

/// Parses a stored schedule body (`BEGIN RUN PIPELINE …; END`).
pub fn parse_tasks(sql: &str) -> super::error::Result<Vec<Task>> {
    use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion_sql::sqlparser::tokenizer::Tokenizer;
    let syntax = |e: ParserError| super::error::ParseError::Syntax { message: e.to_string(), pos: None };
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|e| syntax(e.into()))?;
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let parsed = tasks(&mut p).map_err(syntax)?;
    while p.consume_token(&Token::SemiColon) {}
    if p.peek_token().token != Token::EOF {
        return Err(syntax(expected("the end of the schedule body", &p.peek_token())));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use crate::ast::schedule::tasks_sql;
    use crate::{GatewayStatement, gateway, parse};

    #[test]
    fn schedule_statements_round_trip() {
        for sql in [
            "CREATE SCHEDULE nightly CRON '0 2 * * *' TIMEZONE 'Asia/Shanghai' \
             WITH (retries = 2, retry_delay = '5m', timeout = '2h', max_active_runs = 1, catchup = false) \
             AS BEGIN RUN PIPELINE load_orders; RUN PIPELINE load_users; \
             RUN PIPELINE daily_totals AFTER load_orders, load_users; END",
            "CREATE OR REPLACE SCHEDULE IF NOT EXISTS \"Odd s\" CRON '*/2 * * * * *' AS RUN PIPELINE p",
            "CREATE SCHEDULE s CRON '0 * * * *' AS $$ BEGIN RUN PIPELINE a; RUN PIPELINE b AFTER a; END $$",
            "ALTER SCHEDULE s SET (retries = 3)",
            "ALTER SCHEDULE s RESET (retries, timeout)",
            "ALTER SCHEDULE s CRON '0 3 * * *' TIMEZONE 'Europe/Berlin'",
            "ALTER SCHEDULE s TIMEZONE 'UTC'",
            "DROP SCHEDULE IF EXISTS s, t",
            "PAUSE SCHEDULE s",
            "RESUME SCHEDULE s",
            "RUN SCHEDULE s",
            "RUN SCHEDULE s FOR RANGE '2026-11-01' TO '2026-11-04'",
            "SHOW SCHEDULES",
            "DESCRIBE SCHEDULE s",
            "DESC SCHEDULE OPTIONS",
            "SHOW RUNS",
            "SHOW RUNS FOR SCHEDULE s",
            "SHOW RUNS FOR PIPELINE p",
        ] {
            let first = gateway(sql);
            let again = gateway(&first.to_string());
            assert_eq!(first, again, "{sql} -> {first}");
        }
    }

    #[test]
    fn the_body_is_kept_as_a_dag_and_parses_back() {
        let GatewayStatement::CreateSchedule(s) = gateway(
            "CREATE SCHEDULE s CRON '* * * * *' AS BEGIN RUN PIPELINE a; RUN PIPELINE c AFTER a, \"B\"; END",
        ) else {
            panic!("not a schedule")
        };
        let text = tasks_sql(&s.tasks);
        assert_eq!(text, "BEGIN RUN PIPELINE a; RUN PIPELINE c AFTER a, \"B\"; END");
        assert_eq!(super::parse_tasks(&text).expect("parses"), s.tasks);
    }

    #[test]
    fn malformed_schedules_are_syntax_errors() {
        for sql in [
            "CREATE SCHEDULE s AS RUN PIPELINE a",
            "CREATE SCHEDULE s CRON '* * * * *' AS BEGIN END",
            "CREATE SCHEDULE s CRON '* * * * *' AS BEGIN INSERT INTO t SELECT 1; END",
            "RUN SCHEDULE s FOR RANGE '2026-01-01'",
            "SHOW RUNS FOR TABLE t",
        ] {
            let err = parse(sql).expect_err(sql);
            let shown = err.to_string();
            // syntax errors, 42601 at the error boundary
            assert!(
                matches!(
                    err,
                    crate::error::ParseError::Syntax { .. }
                        | crate::error::ParseError::DataFusion(datafusion_common::DataFusionError::SQL(..))
                ),
                "{sql}: {shown}"
            );
        }
    }
}
