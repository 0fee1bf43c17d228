//! SQL functions Sluice registers in DataFusion.
//!
//! * [`session`] — the gateway's own helpers that PostgreSQL clients call at start-up and
//!   in catalog queries (`version()`, `current_setting()`, `current_user`, …), answered
//!   from the session rather than hard-coded.
//!
//! * [`flink`] — the Flink SQL built-ins that DataFusion lacks, with Flink's semantics,
//!   registered where pipeline bodies are planned (so they type-check and preview).

pub mod flink;
pub mod format;
pub mod like;
pub mod pg_compat;
pub mod pg_info;
pub mod session;
pub mod sizes;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::ColumnarValue;

/// A function's result `array` (one value per row) as DataFusion expects it back: a
/// scalar when every argument was one (then every row has the same value), else the array.
pub(crate) fn columnar(array: ArrayRef, args: &[ColumnarValue]) -> datafusion::error::Result<ColumnarValue> {
    if !array.is_empty() && args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?));
    }
    Ok(ColumnarValue::Array(array))
}
