//! `WITH (key = value, …)` option lists of gateway statements.

use std::fmt;

use super::{Ident, write_literal};

/// An option value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// `'text'`
    String(String),
    /// `42`, `1.5`, `-3` (kept as written)
    Number(String),
    /// `true` / `false`
    Bool(bool),
    /// `SECRET name`: the value of a stored secret, resolved only where it is used.
    Secret(Ident),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::String(s) => write_literal(f, s),
            OptionValue::Number(n) => f.write_str(n),
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Secret(name) => write!(f, "SECRET {name}"),
        }
    }
}

/// `key = value`. Keys are case-insensitive words (`port`) or quoted strings for keys
/// with dots and dashes (`'fs.s3.access-key'`), stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlOption {
    pub key: String,
    pub value: OptionValue,
}

impl fmt::Display for SqlOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_key(f, &self.key)?;
        write!(f, " = {}", self.value)
    }
}

/// Writes an option key: bare when it is a plain lower-case word, quoted otherwise.
pub fn write_key(f: &mut impl fmt::Write, key: &str) -> fmt::Result {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { f.write_str(key) } else { write_literal(f, key) }
}

/// Writes ` (a = 1, b = 'x')`, or nothing for an empty list.
pub fn write_options(f: &mut fmt::Formatter<'_>, options: &[SqlOption]) -> fmt::Result {
    f.write_str("(")?;
    for (i, o) in options.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{o}")?;
    }
    f.write_str(")")
}
