//! `DESCRIBE source.database.table` — column, type (Sluice's), nullable, key, source_type
//! (the source's own type name). `DESCRIBE schema.table` of the catalog's own tables
//! (`DESCRIBE sluice.roles`) describes their columns in PostgreSQL terms.

use crate::connectors::access;
use crate::connectors::definition::TableDefinition;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::common::TableReference;

use super::{Ctx, Output, rows, text};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::ObjectPath;

const COLUMNS: &[(&str, DataType)] = &[
    ("column", DataType::Utf8),
    ("type", DataType::Utf8),
    ("nullable", DataType::Boolean),
    ("key", DataType::Boolean),
    ("source_type", DataType::Utf8),
];

pub async fn handle(ctx: &mut Ctx<'_>, path: &ObjectPath) -> Result<Output> {
    let parts: Vec<&str> = path.0.iter().map(|p| p.as_str()).collect();
    if ctx.rt.store.source(parts[0]).await?.is_none() {
        return describe_catalog_table(ctx, path).await;
    }
    let source = crate::service::sources::load(ctx.rt, parts[0]).await?;
    let (database, table) = match (parts.as_slice(), source.source_type.has_databases) {
        ([_, db, table], true) => (*db, *table),
        ([_, table], false) => ("", *table),
        _ => {
            let expected =
                if source.source_type.has_databases { "source.database.table" } else { "source.table" };
            return Err(SluiceError::UndefinedTable {
                name: format!("{path} (expected {expected})"),
                pos: None,
            });
        }
    };
    let (record, columns) = match access::table(&ctx.rt.store, &source, database, table).await? {
        access::Found::Table(record, columns) => (record, columns),
        missing => {
            return Err(SluiceError::Query {
                state: crate::error::SqlState::UndefinedTable,
                message: format!("relation \"{path}\" does not exist"),
                hint: missing.hint(&source, &path.to_string()),
                pos: None,
            });
        }
    };
    let mut out: Vec<Vec<ScalarValue>> = columns
        .into_iter()
        .map(|c| {
            vec![
                text(c.name),
                text(c.data_type),
                ScalarValue::Boolean(Some(c.nullable)),
                ScalarValue::Boolean(Some(c.is_key)),
                text(c.source_type),
            ]
        })
        .collect();
    // columns no engine can read: listed with no type of Sluice's
    let definition = match record.definition.as_deref() {
        Some(d) => TableDefinition::from_stored(d, &path.to_string())?,
        None => TableDefinition::default(),
    };
    for u in definition.unreadable {
        out.push(vec![
            text(u.column),
            ScalarValue::Utf8(None),
            ScalarValue::Boolean(Some(true)),
            ScalarValue::Boolean(Some(false)),
            text(u.source_type),
        ]);
    }
    rows("DESCRIBE", COLUMNS, out)
}

async fn describe_catalog_table(ctx: &mut Ctx<'_>, path: &ObjectPath) -> Result<Output> {
    let reference = match path.0.as_slice() {
        [table] => TableReference::bare(table.as_str()),
        [schema, table] => TableReference::partial(schema.as_str(), table.as_str()),
        [catalog, schema, table] => TableReference::full(catalog.as_str(), schema.as_str(), table.as_str()),
        _ => return Err(SluiceError::UndefinedTable { name: path.to_string(), pos: None }),
    };
    let context = ctx.session.context(ctx.rt);
    let provider = context
        .table_provider(reference)
        .await
        .map_err(|_| SluiceError::UndefinedTable { name: path.to_string(), pos: None })?;
    let schema = provider.schema();
    let mut out = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let pg = arrow_pg::datatypes::into_pg_type(field.data_type())
            .map(|t| t.name().to_owned())
            .unwrap_or_else(|_| field.data_type().to_string());
        out.push(vec![
            text(field.name().clone()),
            text(pg),
            ScalarValue::Boolean(Some(field.is_nullable())),
            ScalarValue::Boolean(Some(false)),
            text(field.data_type().to_string()),
        ]);
    }
    rows("DESCRIBE", COLUMNS, out)
}
