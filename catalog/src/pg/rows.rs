//! Rows of a `pg_catalog` table built by name, as one batch of the table's schema.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::error::Result;

/// One row, by column name; columns not named take NULL (or their type's zero where the
/// column is NOT NULL).
pub type Row = Vec<(&'static str, ScalarValue)>;

/// `rows` as one batch of `schema`.
pub fn rows_batch(schema: &SchemaRef, rows: &[Row]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let missing = if field.is_nullable() {
                ScalarValue::try_from(field.data_type())?
            } else {
                ScalarValue::new_default(field.data_type())?
            };
            let values = rows
                .iter()
                .map(|row| {
                    let value = row.iter().find(|(name, _)| name == field.name()).map(|(_, v)| v);
                    value.map_or_else(|| Ok(missing.clone()), |v| v.cast_to(field.data_type()))
                })
                .collect::<Result<Vec<ScalarValue>>>()?;
            ScalarValue::iter_to_array(values)
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(array, field)| {
            if array.data_type() == field.data_type() {
                Ok(array)
            } else {
                Ok(datafusion::arrow::compute::cast(&array, field.data_type())?)
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
