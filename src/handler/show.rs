//! `SHOW name`, `SHOW ALL`, `SHOW TIME ZONE`, `SHOW TRANSACTION ISOLATION LEVEL`
//!
//! One row; the column is named as the parameter (`SHOW ALL`: name, setting, description).

use std::sync::Arc;

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::sqlparser::ast::Ident;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};
use crate::parameters as params;
use crate::server::session::Session;

/// What a SHOW statement shows.
enum Target {
    All,
    /// A parameter by its name, and the column name PostgreSQL gives it.
    Param {
        name: String,
        column: String,
    },
}

fn target(session: &Session, variable: &[Ident]) -> Result<Target> {
    let words: Vec<String> = variable.iter().map(|i| i.value.to_lowercase()).collect();
    let name = match words.join(" ").as_str() {
        "all" => return Ok(Target::All),
        "time zone" => "TimeZone".to_owned(),
        "transaction isolation level" => "transaction_isolation".to_owned(),
        "session authorization" => "session_authorization".to_owned(),
        _ => variable.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."),
    };
    if session.params().get(&name).is_none() {
        return Err(SluiceError::UnknownParameter(name));
    }
    let column = params::lookup(&name).map(|p| p.name.to_owned()).unwrap_or_else(|| name.to_lowercase());
    Ok(Target::Param { name, column })
}

fn schema_of(target: &Target) -> SchemaRef {
    let columns: Vec<&str> = match target {
        Target::All => vec!["name", "setting", "description"],
        Target::Param { column, .. } => vec![column.as_str()],
    };
    Arc::new(Schema::new(
        columns.into_iter().map(|c| Field::new(c, DataType::Utf8, false)).collect::<Vec<_>>(),
    ))
}

/// The result columns of a SHOW statement (for Describe).
pub fn describe(session: &Session, variable: &[Ident]) -> Result<SchemaRef> {
    Ok(schema_of(&target(session, variable)?))
}

pub fn handle(ctx: &mut Ctx<'_>, variable: &[Ident]) -> Result<Output> {
    let target = target(ctx.session, variable)?;
    let schema = schema_of(&target);
    let rows: Vec<Vec<String>> = match &target {
        Target::All => ctx.session.params().all().into_iter().map(|(n, s, d)| vec![n, s, d]).collect(),
        Target::Param { name, .. } => vec![vec![ctx.session.params().get(name).unwrap_or_default()]],
    };
    let columns = (0..schema.fields().len())
        .map(|i| Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r[i].as_str()))) as _)
        .collect();
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| SluiceError::Internal(e.to_string()))?;
    Ok(Output::batch("SHOW", batch))
}
