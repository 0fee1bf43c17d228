//! `EXPLAIN LINEAGE FOR { PIPELINE p | TABLE t } [FORMAT f]` — see
//! [`ExplainLineage`] for the syntax: the lineage around a pipeline or a table
//! ([`crate::service::lineage`]), as rows or as a graph.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text};
use crate::error::Result;
use crate::service::lineage::{dot, explain, mermaid};
use crate::sql::ast::lineage::{ExplainLineage, LineageFormat};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &ExplainLineage) -> Result<Output> {
    let steps = explain(ctx.rt, &statement.subject, &mut ctx.notices).await?;
    match statement.format {
        LineageFormat::Text => rows(
            "EXPLAIN",
            &[
                ("direction", DataType::Utf8),
                ("depth", DataType::Int64),
                ("input", DataType::Utf8),
                ("pipeline", DataType::Utf8),
                ("output", DataType::Utf8),
                ("columns", DataType::Utf8),
            ],
            steps
                .iter()
                .map(|s| {
                    vec![
                        text(s.side.name()),
                        ScalarValue::Int64(Some(s.depth)),
                        text(s.input.to_string()),
                        text(s.pipeline.clone()),
                        text(s.output.to_string()),
                        opt_text(s.column_text()),
                    ]
                })
                .collect(),
        ),
        LineageFormat::Dot => rows("EXPLAIN", &[("lineage", DataType::Utf8)], vec![vec![text(dot(&steps))]]),
        LineageFormat::Mermaid => {
            rows("EXPLAIN", &[("lineage", DataType::Utf8)], vec![vec![text(mermaid(&steps))]])
        }
    }
}
