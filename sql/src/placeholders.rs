//! `${interval_start}` and `${interval_end}` in a pipeline body: the logical interval of
//! the schedule run that starts it (a backfill of a day loads that day).
//!
//! PostgreSQL's grammar has no such token, so before parsing `$ { name }` becomes one
//! placeholder token, which the AST keeps and prints as written (SHOW CREATE PIPELINE
//! shows it back). Binding replaces each with a `TIMESTAMP '…'` literal ([`substitute`]),
//! so what DataFusion plans, PREVIEW reads and Flink runs is the same literal. Outside a
//! schedule run the interval is the previous UTC day ([`Interval::default_now`]).

use std::borrow::Cow;
use std::ops::ControlFlow;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use datafusion_sql::sqlparser::ast::{
    DataType, Expr, TimezoneInfo, TypedString, Value, ValueWithSpan, VisitMut, VisitorMut, visit_expressions,
};
use datafusion_sql::sqlparser::tokenizer::{Span, Token, TokenWithSpan};

use super::ast::pipeline::BodyStatement;
use super::error::{ParseError, Result};

/// The variables a body may use.
pub const VARIABLES: &[&str] = &["interval_start", "interval_end"];

/// A run's logical interval `[start, end)`, as wall-clock times of the schedule's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Interval {
    /// The interval of a run outside any schedule: the previous UTC day.
    pub fn default_now() -> Interval {
        let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
        Interval { start: today - Duration::days(1), end: today }
    }

    /// The interval between two instants, as wall-clock times of their zone.
    pub fn between<Tz: chrono::TimeZone>(start: &DateTime<Tz>, end: &DateTime<Tz>) -> Interval {
        Interval { start: start.naive_local(), end: end.naive_local() }
    }

    fn value(&self, name: &str) -> Option<String> {
        let at = match name {
            "interval_start" => self.start,
            "interval_end" => self.end,
            _ => return None,
        };
        Some(at.format("%Y-%m-%d %H:%M:%S%.f").to_string())
    }
}

/// Joins `$`, `{`, `name`, `}` into the placeholder token `${name}`.
pub fn rewrite_tokens(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    if !tokens.iter().any(|t| matches!(&t.token, Token::Placeholder(p) if p == "$")) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if matches!(&tokens[i].token, Token::Placeholder(p) if p == "$") {
            // the next three tokens that are not whitespace
            let next: Vec<usize> = (i + 1..tokens.len())
                .filter(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
                .take(3)
                .collect();
            if let [open, word, close] = next[..]
                && tokens[open].token == Token::LBrace
                && tokens[close].token == Token::RBrace
                && let Token::Word(w) = &tokens[word].token
                && w.quote_style.is_none()
            {
                let span = Span::new(tokens[i].span.start, tokens[close].span.end);
                let name = w.value.to_lowercase();
                out.push(TokenWithSpan { token: Token::Placeholder(format!("${{{name}}}")), span });
                i = close + 1;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

fn is_variable(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(ValueWithSpan { value: Value::Placeholder(p), .. }) if p.starts_with("${"))
}

/// Whether the body uses a variable.
pub fn uses_variables(body: &[BodyStatement]) -> bool {
    body.iter().any(|s| {
        let query = match s {
            BodyStatement::Insert { query, .. } | BodyStatement::View { query, .. } => query,
        };
        visit_expressions(query, |e| {
            if is_variable(e) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .is_break()
    })
}

/// The body with every `${name}` replaced by its value in `interval` (or the default
/// interval); borrowed as it is when it uses none. An unknown name is 42704.
pub fn substitute<'a>(
    body: &'a [BodyStatement],
    interval: Option<&Interval>,
) -> Result<Cow<'a, [BodyStatement]>> {
    if !uses_variables(body) {
        return Ok(Cow::Borrowed(body));
    }
    let mut body = body.to_vec();
    let interval = interval.copied().unwrap_or_else(Interval::default_now);
    let mut visitor = Substitute { interval, unknown: None };
    for statement in &mut body {
        let query = match statement {
            BodyStatement::Insert { query, .. } | BodyStatement::View { query, .. } => query,
        };
        let _ = query.visit(&mut visitor);
    }
    if let Some(name) = visitor.unknown {
        return Err(ParseError::UndefinedVariable(name));
    }
    Ok(Cow::Owned(body))
}

struct Substitute {
    interval: Interval,
    unknown: Option<String>,
}

impl VisitorMut for Substitute {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Value(ValueWithSpan { value: Value::Placeholder(p), span }) = expr
            && let Some(name) = p.strip_prefix("${").and_then(|p| p.strip_suffix('}'))
        {
            match self.interval.value(name) {
                Some(text) => {
                    *expr = Expr::TypedString(TypedString {
                        data_type: DataType::Timestamp(None, TimezoneInfo::None),
                        value: ValueWithSpan { value: Value::SingleQuotedString(text), span: *span },
                        uses_odbc_syntax: false,
                    });
                }
                None => self.unknown = Some(name.to_owned()),
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ast::pipeline::body_sql;
    use crate::parse_pipeline_body;

    fn at(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("date")
    }

    #[test]
    fn variables_parse_print_back_and_become_timestamps() {
        let body = parse_pipeline_body(
            "INSERT INTO k.t SELECT * FROM m.db.o WHERE ts >= ${interval_start} AND ts < ${ INTERVAL_END }",
        )
        .expect("parses");
        assert!(
            body_sql(&body).contains("ts >= ${interval_start} AND ts < ${interval_end}"),
            "{}",
            body_sql(&body)
        );
        let day = Interval { start: at(26), end: at(27) };
        let bound = substitute(&body, Some(&day)).expect("known variables");
        let text = body_sql(&bound);
        assert!(!uses_variables(&bound));
        assert!(
            text.contains("ts >= TIMESTAMP '2026-11-26 00:00:00' AND ts < TIMESTAMP '2026-11-27 00:00:00'"),
            "{text}"
        );
    }

    #[test]
    fn unknown_variables_are_named() {
        let body = parse_pipeline_body("INSERT INTO k.t SELECT ${run_id}").expect("parses");
        let err = substitute(&body, None).expect_err("unknown");
        assert!(err.message().contains("${run_id}"), "{}", err.message());
        // 42704 at the error boundary
        assert!(
            matches!(err, crate::error::ParseError::UndefinedVariable(ref v) if v == "run_id"),
            "{err:?}"
        );
    }
}
