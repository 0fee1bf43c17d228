//! `SHOW TABLES FROM source.database` (or `FROM source` for sources without databases) —
//! name, type, refreshed_at (how old the cached metadata is).

use crate::connectors::access;
use crate::connectors::definition::TableDefinition;
use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text, timestamp, timestamptz};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::ObjectPath;

pub async fn handle(ctx: &mut Ctx<'_>, path: &ObjectPath) -> Result<Output> {
    let (source_name, database) = match path.0.as_slice() {
        [source] => (source.as_str(), None),
        [source, database] => (source.as_str(), Some(database.as_str())),
        _ => {
            return Err(SluiceError::Syntax {
                message: format!("SHOW TABLES FROM takes source or source.database, not {path}"),
                pos: None,
            });
        }
    };
    let source = crate::service::sources::load(ctx.rt, source_name).await?;
    let database = match (database, source.source_type.has_databases) {
        (Some(db), true) => db.to_owned(),
        (None, false) => String::new(),
        (None, true) => {
            return Err(SluiceError::InvalidValue {
                name: "SHOW TABLES".into(),
                message: format!(
                    "source \"{source_name}\" has databases: name one (SHOW TABLES FROM {source_name}.database)"
                ),
                hint: Some(format!("SHOW DATABASES FROM {source_name} lists them.")),
            });
        }
        (Some(_), false) => {
            return Err(SluiceError::InvalidValue {
                name: "SHOW TABLES".into(),
                message: format!(
                    "sources of type {} have no databases: SHOW TABLES FROM {source_name}",
                    source.source_type.name
                ),
                hint: None,
            });
        }
    };
    let tables = access::tables(&ctx.rt.store, &source, &database).await?;
    rows(
        "SHOW",
        &[("name", DataType::Utf8), ("type", DataType::Utf8), ("refreshed_at", timestamptz())],
        tables
            .into_iter()
            .map(|t| {
                let definition = match t.definition.as_deref() {
                    Some(d) => TableDefinition::from_stored(d, &t.name)?,
                    None => TableDefinition::default(),
                };
                let kind = definition.table_type.unwrap_or_else(|| t.kind.clone());
                Ok(vec![text(t.name), text(kind), timestamp(t.refreshed_at)])
            })
            .collect::<Result<Vec<_>>>()?,
    )
}
