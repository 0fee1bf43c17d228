//! `DESCRIBE PIPELINE name` — the DAG: one row per node (id, kind, name, inputs, columns
//! it emits, detail) — and `DESCRIBE PIPELINE OPTIONS`, the options pipelines take.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use petgraph::Direction;
use petgraph::visit::EdgeRef;

use super::{Ctx, Output, opt_text, rows, text};
use crate::error::Result;
use crate::plan::{NodeKind, Tables};
use crate::service::pipelines::{load, plan};
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let stored = load(ctx.rt, name.as_str()).await?;
    let plan = plan(ctx.rt, &mut ctx.notices, &stored, Tables::Schemas, None).await?;
    let g = &plan.graph.graph;
    let mut out = Vec::new();
    for n in g.node_indices() {
        let node = &g[n];
        let (kind, detail) = match node.kind {
            NodeKind::Source { table } => {
                let t = &plan.bound.tables[table];
                (
                    "source",
                    format!(
                        "{} table, read once by {} statement(s)",
                        t.source_type.name,
                        plan.graph.fan_out(n)
                    ),
                )
            }
            NodeKind::View { view } => ("view", plan.bound.views[view].query.to_string()),
            NodeKind::Transform { insert } => ("transform", plan.bound.inserts[insert].query.to_string()),
            NodeKind::Sink { table } => {
                let t = &plan.bound.tables[table];
                let created = if t.create { ", created when the pipeline starts" } else { "" };
                ("sink", format!("{} table{created}", t.source_type.name))
            }
        };
        let inputs: Vec<String> =
            g.edges_directed(n, Direction::Incoming).map(|e| e.source().index().to_string()).collect();
        let columns = g
            .edges_directed(n, Direction::Outgoing)
            .next()
            .or_else(|| g.edges_directed(n, Direction::Incoming).next())
            .map(|e| e.weight().schema());
        out.push(vec![
            ScalarValue::Int64(Some(n.index() as i64)),
            text(kind),
            text(node.name.clone()),
            text(inputs.join(", ")),
            opt_text(columns),
            text(detail),
        ]);
    }
    rows(
        "DESCRIBE",
        &[
            ("node", DataType::Int64),
            ("kind", DataType::Utf8),
            ("name", DataType::Utf8),
            ("inputs", DataType::Utf8),
            ("columns", DataType::Utf8),
            ("detail", DataType::Utf8),
        ],
        out,
    )
}

/// `DESCRIBE PIPELINE OPTIONS`: option, value_type, default, group, description, and the
/// Flink / SeaTunnel settings it becomes.
pub fn options() -> Result<Output> {
    option_rows(crate::plan::options::OPTIONS, crate::plan::options::PASSTHROUGH)
}

/// One row per option of `specs`, and one per passthrough prefix (DESCRIBE … OPTIONS).
pub fn option_rows(specs: &[crate::connectors::schema::OptionSpec], passthrough: &[&str]) -> Result<Output> {
    let mut out: Vec<Vec<ScalarValue>> = specs
        .iter()
        .map(|o| {
            vec![
                text(o.name),
                text(o.value_type.name()),
                opt_text(o.default),
                text(o.group.as_str()),
                text(o.description),
                opt_text((!o.flink.is_empty()).then_some(o.flink)),
                opt_text((!o.seatunnel.is_empty()).then_some(o.seatunnel)),
            ]
        })
        .collect();
    for prefix in passthrough {
        out.push(vec![
            text(format!("{prefix}*")),
            text("string"),
            opt_text(None::<String>),
            text("advanced"),
            text(format!("Passed to the engine as it is, without the {prefix} prefix")),
            opt_text((*prefix == "flink.").then_some("*")),
            opt_text((*prefix == "seatunnel.").then_some("*")),
        ]);
    }
    rows(
        "DESCRIBE",
        &[
            ("option", DataType::Utf8),
            ("value_type", DataType::Utf8),
            ("default", DataType::Utf8),
            ("group", DataType::Utf8),
            ("description", DataType::Utf8),
            ("flink_option", DataType::Utf8),
            ("seatunnel_option", DataType::Utf8),
        ],
        out,
    )
}
