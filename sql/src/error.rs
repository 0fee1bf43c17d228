//! What parsing can fail with. `sluice-sql` depends on nothing but DataFusion's SQL
//! parser: its errors are turned into the gateway's `SluiceError` (with their SQLSTATE)
//! at the boundary, in the gateway's `error` module.

use std::fmt;

use datafusion_common::DataFusionError;
use datafusion_sql::sqlparser::parser::ParserError;

/// A place in the statement text: line and column, both from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePos {
    pub line: u64,
    pub column: u64,
}

impl SourcePos {
    /// The 1-based character offset of this position in `text`, as PostgreSQL reports it.
    pub fn char_offset(self, text: &str) -> Option<usize> {
        if self.line == 0 || self.column == 0 {
            return None;
        }
        let mut offset = 0usize;
        for (i, line) in text.split('\n').enumerate() {
            if (i as u64) + 1 == self.line {
                return Some(offset + self.column as usize);
            }
            offset += line.chars().count() + 1;
        }
        None
    }
}

/// A statement that cannot be parsed (or whose parameters cannot be filled in).
#[derive(Debug)]
pub enum ParseError {
    /// 42601, with the place in the text when the parser knows it.
    Syntax { message: String, pos: Option<SourcePos> },
    /// Another error of DataFusion's parser, classified at the boundary.
    DataFusion(DataFusionError),
    /// 42P02: `$n` with no value.
    UndefinedParameter { number: usize, pos: Option<SourcePos> },
    /// 42704: a `${name}` in a pipeline body that no run defines.
    UndefinedVariable(String),
    /// 54001: the statement nests too deeply to parse (sqlparser's recursion limit, or
    /// the work bound of [`crate::bounded`]).
    TooComplex,
}

/// A result of parsing.
pub type Result<T> = std::result::Result<T, ParseError>;

impl ParseError {
    /// The primary message, as the client sees it.
    pub fn message(&self) -> String {
        match self {
            ParseError::Syntax { message, .. } => message.clone(),
            ParseError::DataFusion(e) => e.to_string(),
            ParseError::UndefinedParameter { number, .. } => format!("there is no parameter ${number}"),
            ParseError::UndefinedVariable(name) => {
                format!("pipeline variable \"${{{name}}}\" does not exist")
            }
            ParseError::TooComplex => "statement is too complex to parse: it nests too deeply".into(),
        }
    }

    /// Where in the text the error is, when known.
    pub fn pos(&self) -> Option<SourcePos> {
        match self {
            ParseError::Syntax { pos, .. } | ParseError::UndefinedParameter { pos, .. } => *pos,
            ParseError::DataFusion(_) | ParseError::UndefinedVariable(_) | ParseError::TooComplex => None,
        }
    }

    /// A DataFusion parser error: sqlparser's own errors are syntax errors (with their
    /// position split off); others are kept for the boundary to classify.
    pub fn from_datafusion(e: DataFusionError) -> ParseError {
        match e.find_root() {
            DataFusionError::SQL(e, _) if matches!(**e, ParserError::RecursionLimitExceeded) => {
                ParseError::TooComplex
            }
            DataFusionError::SQL(parser_error, _) => {
                let (message, pos) = split_parser_position(&parser_error.to_string());
                ParseError::Syntax { message, pos }
            }
            _ => ParseError::DataFusion(e),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ParseError {}

/// sqlparser appends " at Line: L, Column: C" to its messages; split that off.
pub fn split_parser_position(message: &str) -> (String, Option<SourcePos>) {
    let message = message.strip_prefix("sql parser error: ").unwrap_or(message);
    if let Some(i) = message.rfind(" at Line: ") {
        let tail = &message[i + " at Line: ".len()..];
        if let Some((line, column)) = tail.split_once(", Column: ") {
            let column = column.trim_end_matches(|c: char| !c.is_ascii_digit());
            if let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse()) {
                return (message[..i].to_owned(), Some(SourcePos { line, column }));
            }
        }
    }
    (message.to_owned(), None)
}
