//! `SHOW DEPLOYMENTS [FOR PIPELINE name]` — newest first: id, pipeline, version, target,
//! engine, engine_job_id, state, since, last_error, savepoint, rows_in, rows_out.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text, timestamp, timestamptz};
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, pipeline: Option<&Ident>) -> Result<Output> {
    let deployments = ctx.rt.store.deployments(pipeline.map(Ident::as_str)).await?;
    rows(
        "SHOW",
        &[
            ("id", DataType::Int64),
            ("pipeline", DataType::Utf8),
            ("version", DataType::Int64),
            ("target", DataType::Utf8),
            ("engine", DataType::Utf8),
            ("engine_job_id", DataType::Utf8),
            ("state", DataType::Utf8),
            ("since", timestamptz()),
            ("last_error", DataType::Utf8),
            ("savepoint", DataType::Utf8),
            ("rows_in", DataType::Int64),
            ("rows_out", DataType::Int64),
        ],
        deployments
            .into_iter()
            .map(|d| {
                vec![
                    ScalarValue::Int64(Some(d.id)),
                    text(d.pipeline),
                    ScalarValue::Int64(Some(d.pipeline_version)),
                    text(d.target),
                    text(d.engine.as_str()),
                    opt_text(d.engine_job_id),
                    text(d.state.as_str()),
                    timestamp(d.since),
                    opt_text(d.last_error),
                    opt_text(d.savepoint),
                    ScalarValue::Int64(d.rows_in),
                    ScalarValue::Int64(d.rows_out),
                ]
            })
            .collect(),
    )
}
