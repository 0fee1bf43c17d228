//! DataFusion's errors as Sluice's: the SQLSTATE PostgreSQL would report for a planning
//! or execution failure, with Sluice's own errors (a lost store, an unreachable source)
//! found again inside whatever DataFusion and Arrow wrapped them in.

use datafusion::arrow::error::ArrowError;
use datafusion::common::{DataFusionError, SchemaError};
use sluice_catalog::StoreError;

use super::{SluiceError, SourcePos, SqlState, clone_store_error, split_parser_position};

impl From<DataFusionError> for SluiceError {
    fn from(e: DataFusionError) -> Self {
        classify_datafusion(e)
    }
}

/// A store or source error Sluice raised inside DataFusion, however DataFusion and Arrow
/// wrapped it on its way out (an external error inside an Arrow error inside another
/// external error, as a stream passes it on).
fn sluice_error_in(e: &DataFusionError) -> Option<SluiceError> {
    match e {
        DataFusionError::External(boxed) => sluice_error_boxed(boxed.as_ref()),
        DataFusionError::ArrowError(arrow, _) => match arrow.as_ref() {
            ArrowError::ExternalError(boxed) => sluice_error_boxed(boxed.as_ref()),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => sluice_error_in(inner),
        DataFusionError::Shared(inner) => sluice_error_in(inner),
        DataFusionError::Collection(errors) => errors.iter().find_map(sluice_error_in),
        _ => None,
    }
}

fn sluice_error_boxed(boxed: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<SluiceError> {
    if let Some(store) = boxed.downcast_ref::<StoreError>() {
        return Some(SluiceError::Store(clone_store_error(store)));
    }
    match boxed.downcast_ref::<SluiceError>() {
        Some(SluiceError::SourceUnavailable { name, message }) => {
            return Some(SluiceError::SourceUnavailable { name: name.clone(), message: message.clone() });
        }
        Some(SluiceError::Store(store)) => return Some(SluiceError::Store(clone_store_error(store))),
        _ => {}
    }
    if let Some(ArrowError::ExternalError(inner)) = boxed.downcast_ref::<ArrowError>() {
        return sluice_error_boxed(inner.as_ref());
    }
    boxed.downcast_ref::<DataFusionError>().and_then(sluice_error_in)
}

/// Turns a DataFusion error into a [`SluiceError`] with the SQLSTATE PostgreSQL would use.
pub(super) fn classify_datafusion(e: DataFusionError) -> SluiceError {
    let pos =
        e.diagnostic().and_then(|d| d.span).map(|s| SourcePos { line: s.start.line, column: s.start.column });

    // Errors raised by Sluice itself inside DataFusion (system tables, functions).
    if let Some(own) = sluice_error_in(&e) {
        return own;
    }

    let root = e.find_root();
    if let Some(regex) = regex_error(root) {
        return query(
            SqlState::InvalidRegularExpression,
            format!("invalid regular expression: {regex}"),
            None,
            pos,
        );
    }
    match root {
        DataFusionError::SQL(parser_error, _) => {
            let (message, pos) = split_parser_position(&parser_error.to_string());
            SluiceError::Syntax { message, pos }
        }
        DataFusionError::SchemaError(schema_error, _) => match schema_error.as_ref() {
            SchemaError::FieldNotFound { field, valid_fields } => {
                let hint = closest_column(field.name(), valid_fields.iter().map(|c| c.name()));
                query(
                    SqlState::UndefinedColumn,
                    format!("column \"{}\" does not exist", field.flat_name()),
                    hint,
                    pos,
                )
            }
            SchemaError::AmbiguousReference { field } => query(
                SqlState::AmbiguousColumn,
                format!("column reference \"{}\" is ambiguous", field.name()),
                None,
                pos,
            ),
            other => query(SqlState::SyntaxOrAccessRule, other.to_string(), None, pos),
        },
        DataFusionError::ArrowError(arrow, _) => classify_arrow(arrow, pos),
        DataFusionError::NotImplemented(m) => {
            query(SqlState::FeatureNotSupported, format!("not supported: {m}"), None, pos)
        }
        DataFusionError::Plan(m) => classify_plan_message(m, pos),
        DataFusionError::Configuration(m) => query(SqlState::InvalidParameterValue, m.clone(), None, pos),
        DataFusionError::ResourcesExhausted(m) => query(SqlState::OutOfMemory, m.clone(), None, pos),
        DataFusionError::Execution(m) => classify_execution_message(m, pos),
        DataFusionError::Internal(m) => SluiceError::Internal(m.clone()),
        other => SluiceError::Internal(other.strip_backtrace()),
    }
}

fn query(state: SqlState, message: String, hint: Option<String>, pos: Option<SourcePos>) -> SluiceError {
    SluiceError::Query { state, message, hint, pos }
}

/// A pattern that does not compile (`~`, regexp_like, regexp_replace, regexp_split_to_array
/// …): the regex crates' error that DataFusion passes on as the root of its error, directly
/// or inside an Arrow error — regex's from compiling, regex-syntax's from DataFusion's
/// simplification of regular-expression matches.
fn regex_error(root: &DataFusionError) -> Option<&dyn std::fmt::Display> {
    let external = match root {
        DataFusionError::External(boxed) => boxed.as_ref(),
        DataFusionError::ArrowError(arrow, _) => match arrow.as_ref() {
            ArrowError::ExternalError(boxed) => boxed.as_ref(),
            _ => return None,
        },
        _ => return None,
    };
    if let Some(regex) = external.downcast_ref::<regex::Error>() {
        return Some(regex);
    }
    external.downcast_ref::<regex_syntax::Error>().map(|e| e as &dyn std::fmt::Display)
}

fn classify_arrow(e: &ArrowError, pos: Option<SourcePos>) -> SluiceError {
    match e {
        ArrowError::DivideByZero => query(SqlState::DivisionByZero, "division by zero".into(), None, pos),
        ArrowError::ArithmeticOverflow(m) => query(SqlState::NumericValueOutOfRange, m.clone(), None, pos),
        ArrowError::CastError(m) | ArrowError::ParseError(m) => {
            query(SqlState::InvalidTextRepresentation, m.clone(), None, pos)
        }
        ArrowError::InvalidArgumentError(m) => query(SqlState::InvalidParameterValue, m.clone(), None, pos),
        ArrowError::NotYetImplemented(m) => query(SqlState::FeatureNotSupported, m.clone(), None, pos),
        // regexp_like, regexp_replace … with a pattern that does not compile
        other => SluiceError::Internal(other.to_string()),
    }
}

/// DataFusion reports many planning failures only as text; these prefixes are stable
/// across its releases and are matched here, in this one place.
fn classify_plan_message(m: &str, pos: Option<SourcePos>) -> SluiceError {
    let first_line = m.lines().next().unwrap_or(m);
    let hint = m.lines().skip(1).map(str::trim).find(|l| !l.is_empty()).map(str::to_owned);
    if let Some(rest) = first_line.strip_prefix("Invalid function '") {
        let name = rest.split('\'').next().unwrap_or(rest);
        return query(SqlState::UndefinedFunction, format!("function {name} does not exist"), hint, pos);
    }
    if first_line.starts_with("table '") && first_line.ends_with("' not found") {
        let name = &first_line["table '".len()..first_line.len() - "' not found".len()];
        return SluiceError::UndefinedTable { name: name.to_owned(), pos };
    }
    let state = if first_line.contains("GROUP BY") || first_line.contains("aggregate") {
        SqlState::GroupingError
    } else if first_line.contains("Cannot coerce")
        || first_line.contains("Cannot infer common")
        || first_line.contains("No function matches")
        || first_line.contains("Failed to coerce")
        || first_line.contains("does not support")
    {
        SqlState::UndefinedFunction
    } else if first_line.contains("Unsupported") || first_line.contains("not supported") {
        SqlState::FeatureNotSupported
    } else {
        SqlState::SyntaxOrAccessRule
    };
    query(state, first_line.to_owned(), hint, pos)
}

fn classify_execution_message(m: &str, pos: Option<SourcePos>) -> SluiceError {
    let lower = m.to_ascii_lowercase();
    let state = if lower.contains("divide by zero") || lower.contains("division by zero") {
        return query(SqlState::DivisionByZero, "division by zero".into(), None, pos);
    } else if lower.contains("overflow") || lower.contains("out of range") {
        SqlState::NumericValueOutOfRange
    } else if lower.contains("cannot cast") || lower.contains("invalid input") {
        SqlState::InvalidTextRepresentation
    } else if lower.contains("more than one row") {
        SqlState::CardinalityViolation
    } else {
        SqlState::InvalidParameterValue
    };
    query(state, m.to_owned(), None, pos)
}

/// "Perhaps you meant …" for an unknown column, when a known one is close.
fn closest_column<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (strsim_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("Perhaps you meant to reference the column \"{c}\"."))
}

/// Levenshtein distance (small inputs only: identifiers).
pub fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_is_22012() {
        let e: SluiceError = DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None).into();
        assert_eq!(e.sqlstate().code(), "22012");
    }

    #[test]
    fn unknown_functions_are_42883() {
        let e: SluiceError =
            DataFusionError::Plan("Invalid function 'nosuch'.\nDid you mean 'nullif'?".into()).into();
        assert_eq!(e.sqlstate().code(), "42883");
        assert_eq!(e.message(), "function nosuch does not exist");
        assert_eq!(e.hint(), Some("Did you mean 'nullif'?"));
    }

    #[test]
    fn store_failures_have_the_states_a_client_retries_on() {
        let concurrent = StoreError::Concurrent { detail: "tables_source_fkey".into() };
        assert_eq!(SluiceError::Store(concurrent).sqlstate().code(), "40001");
        let lost = StoreError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(SluiceError::Store(lost).sqlstate().code(), "08006");
        // a lost store, wrapped by DataFusion and Arrow on its way out of a system-table
        // stream, keeps its state
        let nested = DataFusionError::ArrowError(
            Box::new(ArrowError::ExternalError(Box::new(DataFusionError::External(Box::new(
                StoreError::Database(sqlx::Error::PoolClosed),
            ))))),
            None,
        );
        let e: SluiceError =
            DataFusionError::Context("scanning sluice.sources".into(), Box::new(nested)).into();
        assert_eq!(e.sqlstate().code(), "08006", "{e}");
        let corrupt = StoreError::Corrupt { kind: "source", name: "s".into(), detail: "json".into() };
        assert_eq!(SluiceError::Store(corrupt).sqlstate().code(), "58000");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(strsim_distance("kitten", "sitting"), 3);
        assert_eq!(strsim_distance("", "abc"), 3);
    }
}
