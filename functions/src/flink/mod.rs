//! Flink SQL built-ins that DataFusion lacks, with Flink's semantics, so that pipeline
//! bodies written for Flink type-check here and, on bounded data, can be previewed.
//!
//! Semantics follow Flink's "System (Built-in) Functions" documentation; date patterns
//! are Java `SimpleDateFormat` patterns (`yyyy-MM-dd HH:mm:ss`); times are in UTC (the
//! gateway's `table.local-time-zone`). Functions that exist only in streams (PROCTIME(),
//! CURRENT_WATERMARK()) type-check but refuse to run.

mod datetime;
mod json;
mod pattern;
mod row;
mod streaming;
mod strings;

use datafusion::logical_expr::ScalarUDF;

pub use datetime::{TIMESTAMPADD, TIMESTAMPDIFF};
pub use pattern::java_to_chrono;
pub use streaming::TYPE_ONLY;

/// Every function of this module.
pub fn functions() -> Vec<ScalarUDF> {
    let mut all = Vec::new();
    all.extend(datetime::functions());
    all.extend(strings::functions());
    all.extend(json::functions());
    all.extend(streaming::functions());
    all
}

#[cfg(test)]
pub(crate) mod testing {
    use datafusion::arrow::util::display::array_value_to_string;
    use datafusion::prelude::SessionContext;

    /// Runs `SELECT <expr>` with the Flink functions registered; returns the value as
    /// text (NULL as "NULL") and its Arrow type.
    pub async fn eval(expr: &str) -> (String, String) {
        let ctx = SessionContext::new();
        for f in super::functions() {
            ctx.register_udf(f);
        }
        let batches = ctx
            .sql(&format!("SELECT {expr} AS v"))
            .await
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        let column = batches[0].column(0);
        let text =
            if column.is_null(0) { "NULL".to_owned() } else { array_value_to_string(column, 0).unwrap() };
        (text, column.data_type().to_string())
    }

    /// Plans `SELECT <expr>` and returns the error, if any.
    pub async fn error(expr: &str) -> String {
        let ctx = SessionContext::new();
        for f in super::functions() {
            ctx.register_udf(f);
        }
        match ctx.sql(&format!("SELECT {expr} AS v")).await {
            Err(e) => e.to_string(),
            Ok(df) => match df.collect().await {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            },
        }
    }
}
