//! `CREATE TABLE source.table (…) WITH (…)` — see [`CreateTable`] for the syntax.

use sluice_catalog::{ColumnRecord, StoreError, TableRecord};

use super::{Ctx, Notice, Output, require_superuser};
use crate::connectors::definition::{TableDefinition, Watermark};
use crate::connectors::validate::{Schema, validate_with};
use crate::connectors::{ResolvedOptions, SourceType};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::ObjectPath;
use crate::sql::ast::table::{CreateTable, TableColumn};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateTable) -> Result<Output> {
    require_superuser(ctx, "declare tables").await?;
    let (source_name, table_name) = declared_path(&statement.name)?;
    let source = crate::service::sources::load(ctx.rt, source_name).await?;
    let source_type = declaring_type(&source.record.source_type, source.source_type, source_name)?;
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
        table_type: None,
    };
    let record = TableRecord {
        source: source.record.name.clone(),
        database: String::new(),
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

/// `source.table` — declared tables have two-part names.
pub fn declared_path(path: &ObjectPath) -> Result<(&str, &str)> {
    match path.0.as_slice() {
        [source, table] => Ok((source.as_str(), table.as_str())),
        _ => Err(SluiceError::not_supported(
            format!("{path}: declared tables are named source.table"),
            Some(
                "Tables of sources with databases (mysql, postgres …) are read from the source; REFRESH SOURCE updates them.",
            ),
        )),
    }
}

/// The source's type, if its tables are declared.
pub fn declaring_type(type_name: &str, t: &'static SourceType, source: &str) -> Result<&'static SourceType> {
    if t.declares_tables() {
        Ok(t)
    } else {
        Err(SluiceError::not_supported(
            format!(
                "tables of {type_name} sources are read from the source, not declared: {source} is a {type_name} source"
            ),
            Some("REFRESH SOURCE reads its tables; DESCRIBE source.database.table shows one."),
        ))
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
