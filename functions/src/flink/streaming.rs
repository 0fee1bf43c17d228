//! PROCTIME() and CURRENT_WATERMARK(): they exist in Flink's streams only. Here they
//! type-check (so streaming pipelines validate) and refuse to run (so PREVIEW says so).

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, not_impl_err};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::row::{RowFn, arity};

/// Functions that type-check but cannot be evaluated on bounded data.
pub const TYPE_ONLY: &[&str] = &["proctime", "current_watermark"];

pub fn functions() -> Vec<ScalarUDF> {
    let ltz3 = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    vec![
        RowFn::udf(
            "proctime",
            Volatility::Volatile,
            ltz3.clone(),
            |args| {
                arity("proctime", args, &[0])?;
                Ok(vec![])
            },
            refuse_proctime,
        ),
        RowFn::udf(
            "current_watermark",
            Volatility::Volatile,
            ltz3,
            |args| {
                arity("current_watermark", args, &[1])?;
                Ok(args.to_vec())
            },
            refuse_watermark,
        ),
    ]
}

fn refuse_proctime(_: &[ScalarValue]) -> Result<ScalarValue> {
    not_impl_err!(
        "PROCTIME() exists only in a running streaming pipeline; it cannot be evaluated on bounded data"
    )
}

fn refuse_watermark(_: &[ScalarValue]) -> Result<ScalarValue> {
    not_impl_err!(
        "CURRENT_WATERMARK() exists only in a running streaming pipeline; it cannot be evaluated on bounded data"
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::error;

    #[tokio::test]
    async fn stream_only_functions_type_check_but_do_not_run() {
        assert!(error("proctime()").await.contains("PROCTIME() exists only"));
        assert!(
            error("current_watermark(TIMESTAMP '2026-01-01 00:00:00')")
                .await
                .contains("CURRENT_WATERMARK() exists only")
        );
        assert!(error("proctime(1)").await.contains("proctime"));
    }
}
