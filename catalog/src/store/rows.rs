//! Reading a catalog query straight into an Arrow [`RecordBatch`], for the system tables.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use sqlx::Row;

use super::{Store, with_pool};
use crate::error::{StoreError, StoreResult};

/// One column builder per supported Arrow type.
enum Column {
    Text(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl Column {
    fn for_type(data_type: &DataType) -> Option<Column> {
        Some(match data_type {
            DataType::Utf8 => Column::Text(StringBuilder::new()),
            DataType::Int64 => Column::Int(Int64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            DataType::Timestamp(TimeUnit::Microsecond, tz) => {
                Column::Timestamp(TimestampMicrosecondBuilder::new().with_timezone_opt(tz.clone()))
            }
            _ => return None,
        })
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Timestamp(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(b) => b.len(),
            Column::Int(b) => b.len(),
            Column::Bool(b) => b.len(),
            Column::Timestamp(b) => b.len(),
        }
    }
}

/// A value bound to a `$n` parameter of a system-table query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoreValue {
    Text(String),
    /// Integers, and timestamps as microseconds since the epoch (as the store keeps them).
    Int(i64),
    Bool(bool),
}

impl Store {
    /// Runs `sql` (which must select exactly `schema`'s columns, in order) and returns the
    /// rows as one batch. Columns may be text, bigint, boolean or microsecond timestamps.
    pub async fn load_batch(&self, sql: &str, schema: SchemaRef) -> StoreResult<RecordBatch> {
        self.load_batch_with(sql, &[], schema).await
    }

    /// [`Store::load_batch`] with `params` bound to `$1`, `$2`, … in order.
    pub async fn load_batch_with(
        &self,
        sql: &str,
        params: &[StoreValue],
        schema: SchemaRef,
    ) -> StoreResult<RecordBatch> {
        let mut columns = schema
            .fields()
            .iter()
            .map(|f| {
                Column::for_type(f.data_type()).ok_or_else(|| StoreError::Corrupt {
                    kind: "system table column",
                    name: f.name().clone(),
                    detail: format!("unsupported type {}", f.data_type()),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        with_pool!(self, |p| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for param in params {
                query = match param {
                    StoreValue::Text(v) => query.bind(v.clone()),
                    StoreValue::Int(v) => query.bind(*v),
                    StoreValue::Bool(v) => query.bind(*v),
                };
            }
            let rows = query.fetch_all(p).await?;
            for row in &rows {
                for (i, column) in columns.iter_mut().enumerate() {
                    match column {
                        Column::Text(b) => b.append_option(row.try_get::<Option<String>, _>(i)?),
                        Column::Int(b) => b.append_option(row.try_get::<Option<i64>, _>(i)?),
                        Column::Bool(b) => b.append_option(row.try_get::<Option<bool>, _>(i)?),
                        Column::Timestamp(b) => b.append_option(row.try_get::<Option<i64>, _>(i)?),
                    }
                }
            }
        });
        let rows = columns.first().map(Column::len).unwrap_or(0);
        let arrays: Vec<ArrayRef> = columns.iter_mut().map(Column::finish).collect();
        let options = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| StoreError::Corrupt {
            kind: "system table",
            name: sql.to_owned(),
            detail: e.to_string(),
        })
    }
}
