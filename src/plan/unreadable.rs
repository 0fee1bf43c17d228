//! Columns of source tables that no engine can read (Doris and StarRocks aggregation
//! states such as `BITMAP` and `HLL`): introspection keeps them apart from the columns
//! ([`crate::connectors::definition::Unreadable`]), so `SELECT *` and the engines' table
//! definitions leave them out; a pipeline that reads one gets this module's error naming
//! the column, its table and its type instead of "column does not exist".

use super::resolve::TableUse;
use crate::error::{SluiceError, SqlState};
use crate::notice::Notice;

/// A NOTICE for each read table that has columns no engine can read.
pub fn notices(used: &[TableUse], read: &[usize], notices: &mut Vec<Notice>) {
    for table in read.iter().filter_map(|&i| used.get(i)) {
        let Some(definition) = &table.definition else { continue };
        if definition.unreadable.is_empty() {
            continue;
        }
        let names: Vec<&str> = definition.unreadable.iter().map(|u| u.column.as_str()).collect();
        notices.push(Notice::notice(format!(
            "{} has columns no engine can read, left out of the pipeline: {}",
            table.path,
            names.join(", ")
        )));
    }
}

/// `e`, or — when it is an unknown column that is an unreadable column of a table the
/// body uses — 0A000 saying why the column cannot be read.
pub fn explain(e: SluiceError, used: &[TableUse]) -> SluiceError {
    let SluiceError::Query { state: SqlState::UndefinedColumn, message, pos, .. } = &e else { return e };
    let found = used.iter().find_map(|t| {
        let definition = t.definition.as_ref()?;
        let u = definition.unreadable.iter().find(|u| names_column(message, &u.column))?;
        Some((t, u))
    });
    match found {
        Some((table, u)) => SluiceError::Query {
            state: SqlState::FeatureNotSupported,
            message: format!("column \"{}\" of {} cannot be read: {}", u.column, table.path, u.why),
            hint: Some("Leave the column out of the query; SELECT * does.".into()),
            pos: *pos,
        },
        None => e,
    }
}

/// Whether `column "…" does not exist` names `column` (alone or qualified).
fn names_column(message: &str, column: &str) -> bool {
    let Some(named) = message.strip_prefix("column \"").and_then(|m| m.strip_suffix("\" does not exist"))
    else {
        return false;
    };
    named == column || named.ends_with(&format!(".{column}"))
}

#[cfg(test)]
mod tests {
    use super::names_column;

    #[test]
    fn the_column_is_found_in_the_message() {
        assert!(names_column("column \"uv\" does not exist", "uv"));
        assert!(names_column("column \"dw.ods.t.uv\" does not exist", "uv"));
        assert!(!names_column("column \"puv\" does not exist", "uv"));
    }
}
