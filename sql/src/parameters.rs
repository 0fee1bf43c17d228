//! Bind parameters (`$1`, `$2` …) in gateway statements.
//!
//! DataFusion binds the parameters of a query in its plan. A gateway statement (PREVIEW,
//! CREATE SOURCE …) is not planned by DataFusion as a whole, so its parameters are bound
//! the way a client library without server-side binding would: each `$n` token is
//! replaced by the SQL literal of its value and the statement runs as if the client had
//! written the literal. Only tokens are replaced — a `$1` inside a string, a quoted
//! identifier or a comment stays as it is.

use std::ops::Range;

use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_sql::sqlparser::tokenizer::{Token, Tokenizer};

use super::LineIndex;
use super::error::{ParseError, Result, SourcePos};

/// One `$n` of a statement: its number and its bytes in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub number: usize,
    pub range: Range<usize>,
    pub pos: SourcePos,
}

/// The `$n` tokens of `text`, in order of appearance. A text that does not tokenize has
/// none (its parser reports the error).
pub fn parameters(text: &str) -> Vec<Parameter> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location() else {
        return Vec::new();
    };
    let lines = LineIndex::new(text);
    tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Placeholder(p) => {
                let number = p.strip_prefix('$')?.parse::<usize>().ok().filter(|n| *n > 0)?;
                let (start, end) = (t.span.start, t.span.end);
                let pos = SourcePos { line: start.line, column: start.column };
                Some(Parameter { number, range: lines.offset(start)..lines.offset(end), pos })
            }
            _ => None,
        })
        .collect()
}

/// How many parameters `text` takes: the highest `$n` it uses.
pub fn count(text: &str) -> usize {
    parameters(text).iter().map(|p| p.number).max().unwrap_or(0)
}

/// `text` with each `$n` replaced by `literals[n - 1]` (SQL literals, written by the
/// caller). A `$n` past the values given is 42P02, as in PostgreSQL.
pub fn substitute(text: &str, literals: &[String]) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for p in parameters(text) {
        let Some(literal) = literals.get(p.number - 1) else { return Err(no_such(&p, Some(p.pos))) };
        out.push_str(&text[at..p.range.start]);
        out.push_str(literal);
        at = p.range.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Refuses a statement that still has a parameter (one sent in a simple query, say): 42P02.
pub fn none_left(text: &str) -> Result<()> {
    // `text` is one statement of the client's input: positions in it are not the input's
    match parameters(text).first() {
        Some(p) => Err(no_such(p, None)),
        None => Ok(()),
    }
}

/// 42P02 for `p`, as PostgreSQL words it.
fn no_such(p: &Parameter, pos: Option<SourcePos>) -> ParseError {
    ParseError::UndefinedParameter { number: p.number, pos }
}

/// `text` with every `$n` replaced by `NULL`: parses wherever a literal may stand, so a
/// statement whose grammar has no parameters can be checked (and described) at Parse.
pub fn with_nulls(text: &str) -> String {
    let nulls = vec!["NULL".to_owned(); count(text)];
    substitute(text, &nulls).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_parameter_tokens_are_replaced() {
        let text = "PREVIEW INSERT INTO s SELECT '$1', \"$2\" FROM t -- $1\n WHERE id > $1 AND n = $2";
        assert_eq!(count(text), 2);
        let bound = substitute(text, &["5".into(), "'it''s'".into()]).unwrap();
        assert_eq!(
            bound,
            "PREVIEW INSERT INTO s SELECT '$1', \"$2\" FROM t -- $1\n WHERE id > 5 AND n = 'it''s'"
        );
    }

    #[test]
    fn a_parameter_past_the_values_is_42p02() {
        let e = substitute("SELECT $1, $3", &["1".into(), "2".into()]).unwrap_err();
        assert_eq!(e.to_string(), "there is no parameter $3");
        // the client sees it with 42P02 (converted at the error boundary)
        assert!(matches!(e, crate::error::ParseError::UndefinedParameter { number: 3, .. }), "{e:?}");
    }

    #[test]
    fn non_ascii_text_keeps_its_offsets() {
        let text = "SELECT 'é', $1 WITH (x = 'ü') -- $2";
        assert_eq!(substitute(text, &["42".into()]).unwrap(), "SELECT 'é', 42 WITH (x = 'ü') -- $2");
        assert_eq!(with_nulls("VALUES ($1, ${interval_start})"), "VALUES (NULL, ${interval_start})");
    }
}
