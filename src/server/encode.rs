//! Arrow record batches to DataRow messages (arrow-pg), with cancellation.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::datatypes::Schema;
use datafusion::execution::SendableRecordBatchStream;
use futures::{Stream, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::types::format::FormatOptions;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::errors::to_pgwire;
use crate::error::SluiceError;

/// Column descriptions for `schema` in `format`.
pub fn fields(
    schema: &Schema,
    format: &Format,
    options: Arc<FormatOptions>,
) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    Ok(Arc::new(arrow_pg::datatypes::arrow_schema_to_pg_fields(schema, format, Some(options))?))
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
                Ok(batch) => arrow_pg::datatypes::encode_recordbatch(fields.clone(), batch),
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
