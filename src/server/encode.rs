//! Arrow record batches to DataRow messages (arrow-pg), with cancellation.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, Schema};
use datafusion::execution::SendableRecordBatchStream;
use futures::{Stream, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::types::format::FormatOptions;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::errors::to_pgwire;
use crate::engine::output_names;
use crate::error::SluiceError;

/// Column descriptions for `schema` in `format`.
pub fn fields(
    schema: &Schema,
    format: &Format,
    options: Arc<FormatOptions>,
) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    let shown = shown_names(schema);
    Ok(Arc::new(with_sizes(
        schema,
        arrow_pg::datatypes::arrow_schema_to_pg_fields(&shown, format, Some(options))?,
    )))
}

/// Column descriptions for `schema` in `format`, as Describe reports them.
pub fn describe_fields(schema: &Schema, format: &Format) -> PgWireResult<Vec<FieldInfo>> {
    Ok(with_sizes(
        schema,
        arrow_pg::datatypes::arrow_schema_to_pg_fields(&shown_names(schema), format, None)?,
    ))
}

/// `schema` with its columns' names as clients see them (two columns may share a name).
fn shown_names(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_name(output_names::shown_name(f.name())))
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// DataFusion's unconstrained `numeric` (what `::numeric` and an untyped numeric
/// parameter become): PostgreSQL has no fixed scale for it, so its values are shown with
/// the digits they need.
const UNCONSTRAINED_NUMERIC: DataType = DataType::Decimal128(38, 10);

/// Each field with PostgreSQL's `typlen` and `typmod` for its type: numeric precision and
/// scale (`((p << 16) | s) + 4`, -1 when unconstrained), the width of fixed-size types.
fn with_sizes(schema: &Schema, fields: Vec<FieldInfo>) -> Vec<FieldInfo> {
    fields
        .into_iter()
        .zip(schema.fields())
        .map(|(info, field)| {
            let (size, modifier) = match field.data_type() {
                DataType::Boolean | DataType::Int8 | DataType::UInt8 => (1, -1),
                DataType::Int16 | DataType::UInt16 => (2, -1),
                DataType::Int32 | DataType::UInt32 | DataType::Float32 | DataType::Date32 => (4, -1),
                DataType::Int64 | DataType::UInt64 | DataType::Float64 | DataType::Timestamp(..) => (8, -1),
                DataType::Time64(_) | DataType::Time32(_) => (8, -1),
                t if *t == UNCONSTRAINED_NUMERIC => (-1, -1),
                DataType::Decimal128(p, s) if *s >= 0 => {
                    (-1, ((i32::from(*p) << 16) | i32::from(*s as u8)) + 4)
                }
                _ => (-1, -1),
            };
            info.with_type_size(size).with_type_modifier(modifier)
        })
        .collect()
}

/// `batch` with each unconstrained numeric column shown with the digits its values need,
/// as PostgreSQL shows them: in text each value its own (`12.34`, not `12.3400000000`),
/// in binary the column at the smallest scale that keeps every value exact.
fn trim_numerics(fields: &[FieldInfo], batch: RecordBatch) -> datafusion::error::Result<RecordBatch> {
    let schema = batch.schema();
    let unconstrained = |i: &usize| schema.field(*i).data_type() == &UNCONSTRAINED_NUMERIC;
    if !(0..batch.num_columns()).any(|i| unconstrained(&i)) {
        return Ok(batch);
    }
    let mut columns = batch.columns().to_vec();
    let mut new_fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for i in (0..batch.num_columns()).filter(unconstrained) {
        let text_format = fields.get(i).is_none_or(|f| f.format() == FieldFormat::Text);
        let (array, data_type): (ArrayRef, DataType) = if text_format {
            let text = cast(&columns[i], &DataType::Utf8)?;
            let text: StringArray = text
                .as_string::<i32>()
                .iter()
                .map(|v| {
                    v.map(|v| if v.contains('.') { v.trim_end_matches('0').trim_end_matches('.') } else { v })
                })
                .collect();
            (Arc::new(text), DataType::Utf8)
        } else {
            let DataType::Decimal128(precision, scale) = UNCONSTRAINED_NUMERIC else { continue };
            let needed = columns[i]
                .as_primitive::<Decimal128Type>()
                .iter()
                .flatten()
                .map(|v| {
                    let mut zeros = 0;
                    while zeros < scale && v % 10_i128.pow(u32::from(zeros as u8) + 1) == 0 {
                        zeros += 1;
                    }
                    scale - zeros
                })
                .max()
                .unwrap_or(0);
            let data_type = DataType::Decimal128(precision, needed);
            (cast(&columns[i], &data_type)?, data_type)
        };
        columns[i] = array;
        new_fields[i] = Field::new(new_fields[i].name(), data_type, new_fields[i].is_nullable());
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(new_fields)), columns)?)
}

/// The rows of `stream` encoded for `fields`; ends with 57014 if `cancel` fires.
pub fn data_rows(
    fields: Arc<Vec<FieldInfo>>,
    stream: SendableRecordBatchStream,
    cancel: CancellationToken,
) -> impl Stream<Item = PgWireResult<DataRow>> + Send + 'static {
    let rows = stream
        .map(move |batch| -> Box<dyn Iterator<Item = PgWireResult<DataRow>> + Send> {
            match batch {
                Ok(batch) => match trim_numerics(&fields, batch) {
                    Ok(batch) => arrow_pg::datatypes::encode_recordbatch(fields.clone(), batch),
                    Err(e) => Box::new(std::iter::once(Err(to_pgwire(&SluiceError::from(e), None)))),
                },
                Err(e) => Box::new(std::iter::once(Err(to_pgwire(&SluiceError::from(e), None)))),
            }
        })
        .flat_map(futures::stream::iter);
    Cancellable { inner: Box::pin(rows), cancelled: Box::pin(cancel.cancelled_owned()), done: false }
}

struct Cancellable<S> {
    inner: Pin<Box<S>>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    done: bool,
}

impl<S: Stream<Item = PgWireResult<DataRow>>> Stream for Cancellable<S> {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.cancelled.as_mut().poll(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(PgWireError::UserError(Box::new(super::errors::error_info(
                &SluiceError::Canceled,
                None,
            ))))));
        }
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Err(_)) | None) = &next {
            self.done = true;
        }
        next
    }
}
