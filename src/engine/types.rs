//! PostgreSQL type names DataFusion does not know, as casts and column types use them.
//!
//! `name` (PostgreSQL's identifier type) and information_schema's domains
//! (`cardinal_number`, `sql_identifier`, `character_data`, `yes_or_no`, `time_stamp`)
//! map to the Arrow types of what they hold; everything else goes to
//! datafusion-pg-catalog's planner (oid aliases such as `regclass`, `pg_catalog.`-qualified
//! builtins).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::error::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::DataType as SqlType;
use datafusion_pg_catalog::pg_catalog::oid_type_planner::PgOidTypePlanner;

/// Sluice's type planner, in front of datafusion-pg-catalog's.
#[derive(Debug, Default)]
pub struct PgTypes;

impl PgTypes {
    fn named(sql_type: &SqlType) -> Option<DataType> {
        let SqlType::Custom(name, modifiers) = sql_type else { return None };
        if !modifiers.is_empty() {
            return None;
        }
        let parts: Vec<String> =
            name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase()).collect();
        let (schema, last) = match parts.as_slice() {
            [last] => (None, last.as_str()),
            [schema, last] => (Some(schema.as_str()), last.as_str()),
            _ => return None,
        };
        let text = DataType::Utf8;
        match (schema, last) {
            (None | Some("pg_catalog"), "name") => Some(text),
            (None | Some("information_schema"), "sql_identifier" | "character_data" | "yes_or_no") => {
                Some(text)
            }
            (None | Some("information_schema"), "cardinal_number") => Some(DataType::Int32),
            (None | Some("information_schema"), "time_stamp") => {
                Some(DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))
            }
            _ => None,
        }
    }
}

impl TypePlanner for PgTypes {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<Arc<Field>>> {
        if let Some(data_type) = Self::named(sql_type) {
            return Ok(Some(Arc::new(Field::new("", data_type, true))));
        }
        PgOidTypePlanner.plan_type_field(sql_type)
    }
}
