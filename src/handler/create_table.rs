//! `CREATE TABLE source.[database.]table (…) WITH (…)` — see [`CreateTable`] for the
//! syntax. A table of a schema-less source (Kafka, files), or of a source with databases
//! that Sluice cannot or should not introspect (Paimon on S3, a Doris cluster the gateway
//! cannot reach); a declared table wins over what the source says of the same table.

use sluice_catalog::{ColumnRecord, StoreError, TableRecord};

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Notice, Output, require_create};
use crate::connectors::definition::{TableDefinition, Watermark};
use crate::connectors::validate::{Schema, validate_with};
use crate::connectors::{ResolvedOptions, SourceType};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::ObjectPath;
use crate::sql::ast::table::{CreateTable, TableColumn};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateTable) -> Result<Output> {
    let rights = require_create(ctx, "tables", None).await?;
    rights.require(Privilege::Usage, ObjectKind::Source, source_part(&statement.name)?).await?;
    let source = crate::service::sources::load(ctx.rt, source_part(&statement.name)?).await?;
    let source_type = source.source_type;
    let (database, table_name) = declared_path(&statement.name, source_type)?;
    check_columns(statement)?;
    let owner = format!("tables of source type {}", source_type.name);
    let listing = format!("DESCRIBE SOURCE TYPE {}", source_type.name);
    let schema = Schema {
        owner: &owner,
        listing: &listing,
        options: source_type.table_options,
        passthrough: source_type.table_passthrough,
    };
    let options = validate_with(schema, &ResolvedOptions::default(), &statement.options)?;
    let columns: Vec<ColumnRecord> = statement
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let is_key = statement.primary_key.iter().any(|k| k == c.name());
            let (data_type, source_type, nullable) = match c {
                TableColumn::Physical { data_type, not_null, .. } => {
                    (data_type.clone(), data_type.clone(), !not_null && !is_key)
                }
                TableColumn::Computed { expr, .. } => ("COMPUTED".to_owned(), format!("AS {expr}"), true),
            };
            ColumnRecord {
                ordinal: i as i64 + 1,
                name: c.name().as_str().to_owned(),
                data_type,
                source_type,
                nullable,
                is_key,
            }
        })
        .collect();
    let definition = TableDefinition {
        statement: Some(statement.to_string()),
        watermark: statement
            .watermark
            .as_ref()
            .map(|w| Watermark { column: w.column.as_str().to_owned(), expr: w.expr.clone() }),
        primary_key: statement.primary_key.iter().map(|k| k.as_str().to_owned()).collect(),
        options,
        ..TableDefinition::default()
    };
    let record = TableRecord {
        source: source.record.name.clone(),
        database: database.to_owned(),
        name: table_name.to_owned(),
        kind: "declared".into(),
        definition: Some(definition.to_json()),
        refreshed_at: sluice_catalog::time::now_micros(),
    };
    match ctx.rt.store.put_declared_table(&record, &columns, statement.or_replace, &ctx.session.user).await {
        Ok(()) => Ok(Output::Command("CREATE TABLE")),
        Err(StoreError::AlreadyExists { name, .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!("table \"{name}\" already exists, skipping")));
            Ok(Output::Command("CREATE TABLE"))
        }
        Err(StoreError::AlreadyExists { name, .. }) => {
            Err(SluiceError::DuplicateObject { kind: "table", name })
        }
        Err(e) => Err(e.into()),
    }
}

/// The source a declared table's name starts with (the name has two or three parts).
pub fn source_part(path: &ObjectPath) -> Result<&str> {
    match path.0.as_slice() {
        [source, _] | [source, _, _] => Ok(source.as_str()),
        [_] => Err(SluiceError::not_supported(
            format!("Sluice keeps no tables of its own: {path} would be one"),
            Some(
                "Declared tables belong to sources: CREATE TABLE source.table (…) or source.database.table (…).",
            ),
        )),
        _ => Err(SluiceError::Syntax {
            message: format!(
                "improper table name {path}: declared tables are named source.table or source.database.table"
            ),
            pos: None,
        }),
    }
}

/// `(database, table)` of a declared table of a source of type `t`: `source.table` for
/// sources without databases (database `""`), `source.database.table` for the others.
pub fn declared_path<'a>(path: &'a ObjectPath, t: &SourceType) -> Result<(&'a str, &'a str)> {
    match (path.0.as_slice(), t.has_databases) {
        ([_, table], false) => Ok(("", table.as_str())),
        ([_, database, table], true) => Ok((database.as_str(), table.as_str())),
        (_, has_databases) => {
            let expected = if has_databases { "source.database.table" } else { "source.table" };
            Err(SluiceError::Syntax {
                message: format!(
                    "improper table name {path}: tables of {} sources are named {expected}",
                    t.name
                ),
                pos: None,
            })
        }
    }
}

/// Unique column names; watermark and key columns that exist.
fn check_columns(statement: &CreateTable) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for c in &statement.columns {
        let name = c.name().as_str();
        if seen.contains(&name) {
            return Err(SluiceError::DuplicateObject { kind: "column", name: name.to_owned() });
        }
        seen.push(name);
    }
    let physical = |name: &str| {
        statement.columns.iter().find_map(|c| match c {
            TableColumn::Physical { name: n, data_type, .. } if n.as_str() == name => {
                Some(data_type.as_str())
            }
            _ => None,
        })
    };
    if let Some(w) = &statement.watermark {
        let column = w.column.as_str();
        let is_time = statement
            .columns
            .iter()
            .any(|c| c.name().as_str() == column && matches!(c, TableColumn::Computed { .. }))
            || physical(column).is_some_and(|t| t.starts_with("TIMESTAMP"));
        if !is_time {
            return Err(SluiceError::Query {
                state: crate::error::SqlState::DatatypeMismatch,
                message: format!(
                    "watermark column \"{column}\" must be a TIMESTAMP or TIMESTAMP_LTZ column of the table"
                ),
                hint: None,
                pos: None,
            });
        }
    }
    for key in &statement.primary_key {
        if physical(key.as_str()).is_none() {
            return Err(SluiceError::Query {
                state: crate::error::SqlState::UndefinedColumn,
                message: format!(
                    "primary key column \"{}\" is not a physical column of the table",
                    key.as_str()
                ),
                hint: None,
                pos: None,
            });
        }
    }
    Ok(())
}
