//! The DAG for people: text (EXPLAIN's default), Graphviz dot, Mermaid, and the whole
//! plan as JSON.

use std::fmt::Write;

use petgraph::Direction;
use petgraph::visit::EdgeRef;
use serde_json::{Value, json};

use super::flink_sql::job_settings;
use crate::plan::{NodeKind, PipelinePlan};

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Source { .. } => "source",
        NodeKind::View { .. } => "view",
        NodeKind::Transform { .. } => "transform",
        NodeKind::Sink { .. } => "sink",
    }
}

/// What a node says about itself: the table's type, or the statement.
fn detail(plan: &PipelinePlan, kind: NodeKind) -> String {
    match kind {
        NodeKind::Source { table } | NodeKind::Sink { table } => {
            let t = &plan.bound.tables[table];
            let how = match (kind, t.source_type.reads_changes, plan.settings().streaming) {
                (NodeKind::Source { .. }, true, true) => "cdc",
                (NodeKind::Source { .. }, true, false) => "snapshot",
                (NodeKind::Source { .. }, ..) => "read",
                _ => "write",
            };
            format!("{} {how}", t.source_type.name)
        }
        NodeKind::View { view } => plan.bound.views[view].query.to_string(),
        NodeKind::Transform { insert } => plan.bound.inserts[insert].query.to_string(),
    }
}

/// One line per node (with what it reads from and its output schema), then the job
/// settings.
pub fn text(plan: &PipelinePlan) -> String {
    let g = &plan.graph.graph;
    let mut out =
        format!("Pipeline {} ({}, engine {})\n", plan.name, plan.settings().mode(), plan.settings().engine);
    for n in g.node_indices() {
        let node = &g[n];
        let _ = writeln!(
            out,
            "  [{}] {} {}: {}",
            n.index(),
            kind_name(node.kind),
            node.name,
            detail(plan, node.kind)
        );
        let inputs: Vec<String> =
            g.edges_directed(n, Direction::Incoming).map(|e| format!("[{}]", e.source().index())).collect();
        if !inputs.is_empty() {
            let _ = writeln!(out, "      from {}", inputs.join(", "));
        }
        if let Some(e) = g.edges_directed(n, Direction::Outgoing).next() {
            let _ = writeln!(out, "      schema ({})", e.weight().schema());
        }
        let fan_out = g.edges_directed(n, Direction::Outgoing).count();
        if matches!(node.kind, NodeKind::Source { .. }) && fan_out > 1 {
            let _ = writeln!(out, "      read once, fans out to {fan_out}");
        }
    }
    out.push_str("Settings\n");
    for (k, v) in job_settings(plan) {
        let _ = writeln!(out, "  {k} = {v}");
    }
    out
}

fn label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The DAG in Graphviz dot.
pub fn dot(plan: &PipelinePlan) -> String {
    let g = &plan.graph.graph;
    let mut out = format!("digraph \"{}\" {{\n  rankdir=LR;\n", label(&plan.name));
    for n in g.node_indices() {
        let node = &g[n];
        let shape = match node.kind {
            NodeKind::Source { .. } | NodeKind::Sink { .. } => "cylinder",
            _ => "box",
        };
        let _ = writeln!(
            out,
            "  n{} [shape={shape}, label=\"{}\\n{}\"];",
            n.index(),
            kind_name(node.kind),
            label(&node.name)
        );
    }
    for e in g.edge_references() {
        let _ = writeln!(
            out,
            "  n{} -> n{} [label=\"{}\"];",
            e.source().index(),
            e.target().index(),
            label(&e.weight().schema())
        );
    }
    out.push_str("}\n");
    out
}

/// The DAG as a Mermaid flowchart.
pub fn mermaid(plan: &PipelinePlan) -> String {
    let g = &plan.graph.graph;
    let text = |t: &str| t.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for n in g.node_indices() {
        let node = &g[n];
        let body = format!("{}: {}", kind_name(node.kind), text(&node.name));
        let _ = match node.kind {
            NodeKind::Source { .. } | NodeKind::Sink { .. } => {
                writeln!(out, "  n{}[(\"{body}\")]", n.index())
            }
            _ => writeln!(out, "  n{}[\"{body}\"]", n.index()),
        };
    }
    for e in g.edge_references() {
        let columns: Vec<&str> = e.weight().columns.iter().map(|(c, _)| c.as_str()).collect();
        let _ = writeln!(
            out,
            "  n{} -->|\"{}\"| n{}",
            e.source().index(),
            text(&columns.join(", ")),
            e.target().index()
        );
    }
    out
}

/// The whole plan: settings, tables, nodes, edges.
pub fn json(plan: &PipelinePlan) -> String {
    let g = &plan.graph.graph;
    let tables: Vec<Value> = plan
        .bound
        .tables
        .iter()
        .map(|t| {
            json!({
                "path": t.path.to_string(),
                "source": t.path.source,
                "database": t.path.database,
                "table": t.path.table,
                "type": t.source_type.name,
                "columns": t.columns.iter().map(|c| json!({
                    "name": c.name, "type": if c.data_type == "COMPUTED" { &c.source_type } else { &c.data_type },
                    "nullable": c.nullable, "key": c.is_key,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let nodes: Vec<Value> = g
        .node_indices()
        .map(|n| {
            let node = &g[n];
            json!({ "id": n.index(), "kind": kind_name(node.kind), "name": node.name, "detail": detail(plan, node.kind) })
        })
        .collect();
    let edges: Vec<Value> = g
        .edge_references()
        .map(|e| {
            json!({
                "from": e.source().index(),
                "to": e.target().index(),
                "columns": e.weight().columns.iter().map(|(n, t)| json!({ "name": n, "type": t })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let settings = plan.settings();
    let value = json!({
        "pipeline": plan.name,
        "engine": settings.engine.as_str(),
        "mode": settings.mode().as_str(),
        "target": settings.target,
        "parallelism": settings.parallelism,
        "settings": job_settings(plan).into_iter().map(|(k, v)| (k, Value::String(v))).collect::<serde_json::Map<_, _>>(),
        "tables": tables,
        "nodes": nodes,
        "edges": edges,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
