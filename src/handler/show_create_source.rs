//! `SHOW CREATE SOURCE name` — a statement that recreates the source, secrets by name.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::connectors::access::stored_options;
use crate::connectors::lookup_type;
use crate::error::{Result, SluiceError};
use crate::sql::ast::Ident;
use crate::sql::ast::source::CreateSource;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let record = ctx
        .rt
        .store
        .source(name.as_str())
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "source", name: name.as_str().to_owned() })?;
    let source_type = lookup_type(&record.source_type)?;
    let statement = CreateSource {
        name: Ident::new(record.name.clone()),
        or_replace: false,
        if_not_exists: false,
        source_type: record.source_type.clone(),
        options: stored_options(&record)?.to_sql(source_type),
    };
    rows(
        "SHOW",
        &[("source", DataType::Utf8), ("create_statement", DataType::Utf8)],
        vec![vec![text(record.name), text(format!("{statement};"))]],
    )
}
