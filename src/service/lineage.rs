//! Lineage across pipelines: the edges each pipeline stored when it was bound
//! (`sluice.lineage`), joined through the tables one pipeline writes and another reads —
//! what `EXPLAIN LINEAGE` walks from a pipeline or a table, upstream and downstream.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use sluice_catalog::{LineageTable, PipelineLineage};

use crate::error::{Result, SluiceError};
use crate::notice::Notice;
use crate::runtime::Runtime;
use crate::sql::ast::lineage::LineageSubject;

/// Where an edge lies from what `EXPLAIN LINEAGE` starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Upstream,
    /// An edge of the pipeline asked about.
    Pipeline,
    Downstream,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Upstream => "upstream",
            Side::Pipeline => "pipeline",
            Side::Downstream => "downstream",
        }
    }
}

/// Rows of `input` flow into `output` through `pipeline`; `columns` pairs (input column,
/// output column) where they are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub side: Side,
    /// Pipelines away from the subject (0: the pipeline asked about).
    pub depth: i64,
    pub input: LineageTable,
    pub pipeline: String,
    pub output: LineageTable,
    pub columns: Vec<(String, String)>,
}

impl Step {
    /// `amount -> total, id -> id`; `None` when no column is known.
    pub fn column_text(&self) -> Option<String> {
        let pairs: Vec<String> = self.columns.iter().map(|(i, o)| format!("{i} -> {o}")).collect();
        (!pairs.is_empty()).then(|| pairs.join(", "))
    }
}

/// One pipeline's edges between tables, with their column pairs.
type TableEdges = Vec<(LineageTable, LineageTable, Vec<(String, String)>)>;

/// Every pipeline's table edges, by pipeline.
fn by_pipeline(rows: Vec<PipelineLineage>) -> BTreeMap<String, TableEdges> {
    let mut out: BTreeMap<String, TableEdges> = BTreeMap::new();
    let mut at: HashMap<(String, LineageTable, LineageTable), usize> = HashMap::new();
    for row in rows {
        let e = row.edge;
        let edges = out.entry(row.pipeline.clone()).or_default();
        let key = (row.pipeline, e.input.clone(), e.output.clone());
        let i = *at.entry(key).or_insert_with(|| {
            edges.push((e.input, e.output, Vec::new()));
            edges.len() - 1
        });
        if let (Some(input), Some(output)) = (e.input_column, e.output_column) {
            edges[i].2.push((input, output));
        }
    }
    out
}

/// The lineage around `subject`: its own edges (a pipeline's), then every edge found by
/// following tables upstream (pipelines writing what it reads) and downstream (pipelines
/// reading what it writes). Upstream edges come farthest first, so rows read in the
/// direction rows flow.
/// A pipeline without edges gets a NOTICE (it reads no table, or was created before
/// lineage was recorded).
pub async fn explain(rt: &Runtime, subject: &LineageSubject, notices: &mut Vec<Notice>) -> Result<Vec<Step>> {
    let pipelines = by_pipeline(rt.store.lineage(None).await?);
    let mut steps = Vec::new();
    let (mut up, mut down): (Vec<LineageTable>, Vec<LineageTable>) = (Vec::new(), Vec::new());
    // the pipeline's own edges are not found again by the walks
    let mut own: BTreeSet<Walked> = BTreeSet::new();
    match subject {
        LineageSubject::Pipeline(name) => {
            let name = name.as_str();
            if rt.store.pipeline(name).await?.is_none() {
                return Err(SluiceError::UndefinedObject { kind: "pipeline", name: name.to_owned() });
            }
            if !pipelines.contains_key(name) {
                notices.push(Notice::notice(format!(
                    "pipeline \"{name}\" has no recorded lineage: it reads no table, or was created before \
                     lineage was recorded (CREATE OR REPLACE PIPELINE records it)"
                )));
            }
            for (input, output, columns) in pipelines.get(name).into_iter().flatten() {
                up.push(input.clone());
                down.push(output.clone());
                own.insert((name.to_owned(), input.clone(), output.clone()));
                let (input, output, columns) = (input.clone(), output.clone(), columns.clone());
                steps.push(Step {
                    side: Side::Pipeline,
                    depth: 0,
                    input,
                    pipeline: name.into(),
                    output,
                    columns,
                });
            }
        }
        LineageSubject::Table(path) => {
            let table = table_of(path);
            if rt.store.source(&table.source).await?.is_none() {
                return Err(SluiceError::UndefinedObject { kind: "source", name: table.source.clone() });
            }
            up.push(table.clone());
            down.push(table);
        }
    }
    steps.extend(walk(&pipelines, up, Side::Upstream, own.clone()));
    steps.extend(walk(&pipelines, down, Side::Downstream, own));
    if let LineageSubject::Table(path) = subject
        && steps.is_empty()
    {
        notices.push(Notice::notice(format!("no pipeline reads or writes table {path}")));
    }
    steps.sort_by(|a, b| {
        let depth = |s: &Step| if s.side == Side::Upstream { -s.depth } else { s.depth };
        (a.side, depth(a), &a.pipeline).cmp(&(b.side, depth(b), &b.pipeline))
    });
    Ok(steps)
}

fn table_of(path: &crate::sql::ast::source::ObjectPath) -> LineageTable {
    let parts: Vec<String> = path.0.iter().map(|p| p.as_str().to_owned()).collect();
    match parts.as_slice() {
        [s, d, t] => LineageTable { source: s.clone(), database: d.clone(), table: t.clone() },
        [s, t] => LineageTable { source: s.clone(), database: String::new(), table: t.clone() },
        _ => LineageTable { source: parts.join("."), database: String::new(), table: String::new() },
    }
}

/// A pipeline's edge between two tables, as the walks remember them.
type Walked = (String, LineageTable, LineageTable);

/// Breadth-first from `start` along `side`: each pipeline edge that writes (upstream) or
/// reads (downstream) a table of the frontier, once each, except those in `seen_edges`.
fn walk(
    pipelines: &BTreeMap<String, TableEdges>,
    start: Vec<LineageTable>,
    side: Side,
    mut seen_edges: BTreeSet<Walked>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut seen_tables: BTreeSet<LineageTable> = start.iter().cloned().collect();
    let mut frontier = start;
    let mut depth = 1;
    while !frontier.is_empty() {
        let mut next = Vec::new();
        let wanted: HashSet<&LineageTable> = frontier.iter().collect();
        for (pipeline, edges) in pipelines {
            for (input, output, columns) in edges {
                let (near, far) = match side {
                    Side::Upstream => (output, input),
                    _ => (input, output),
                };
                if !wanted.contains(near)
                    || !seen_edges.insert((pipeline.clone(), input.clone(), output.clone()))
                {
                    continue;
                }
                steps.push(Step {
                    side,
                    depth,
                    input: input.clone(),
                    pipeline: pipeline.clone(),
                    output: output.clone(),
                    columns: columns.clone(),
                });
                if seen_tables.insert(far.clone()) {
                    next.push(far.clone());
                }
            }
        }
        frontier = next;
        depth += 1;
    }
    steps
}

/// Values numbered in the order they first appear.
struct Numbered<T> {
    items: Vec<T>,
    ids: HashMap<T, usize>,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Numbered { items: Vec::new(), ids: HashMap::new() }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Numbered<T> {
    /// The number of `item`, given to it when first seen.
    fn id(&mut self, item: &T) -> usize {
        if let Some(&at) = self.ids.get(item) {
            return at;
        }
        let at = self.items.len();
        self.items.push(item.clone());
        self.ids.insert(item.clone(), at);
        at
    }
}

/// Graph node ids: `t<n>` for tables, `p<n>` for pipelines, in order of appearance.
#[derive(Default)]
struct Nodes {
    tables: Numbered<LineageTable>,
    pipelines: Numbered<String>,
}

impl Nodes {
    /// The edges `input -> pipeline -> output` of `steps`, once each, by node id.
    fn edges(&mut self, steps: &[Step]) -> Vec<(String, String)> {
        let mut edges: Numbered<(String, String)> = Numbered::default();
        for s in steps {
            let i = format!("t{}", self.tables.id(&s.input));
            let p = format!("p{}", self.pipelines.id(&s.pipeline));
            let o = format!("t{}", self.tables.id(&s.output));
            edges.id(&(i, p.clone()));
            edges.id(&(p, o));
        }
        edges.items
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The lineage as a Graphviz digraph: tables as cylinders, pipelines as boxes.
pub fn dot(steps: &[Step]) -> String {
    let mut nodes = Nodes::default();
    let edges = nodes.edges(steps);
    let mut out = String::from("digraph lineage {\n  rankdir=LR;\n");
    for (n, t) in nodes.tables.items.iter().enumerate() {
        let _ = writeln!(out, "  t{n} [shape=cylinder, label={}];", quoted(&t.to_string()));
    }
    for (n, p) in nodes.pipelines.items.iter().enumerate() {
        let _ = writeln!(out, "  p{n} [shape=box, label={}];", quoted(&format!("pipeline {p}")));
    }
    for (from, to) in edges {
        let _ = writeln!(out, "  {from} -> {to};");
    }
    out.push_str("}\n");
    out
}

/// The lineage as a Mermaid flowchart.
pub fn mermaid(steps: &[Step]) -> String {
    let mut nodes = Nodes::default();
    let edges = nodes.edges(steps);
    let text = |t: &str| t.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for (n, t) in nodes.tables.items.iter().enumerate() {
        let _ = writeln!(out, "  t{n}[(\"{}\")]", text(&t.to_string()));
    }
    for (n, p) in nodes.pipelines.items.iter().enumerate() {
        let _ = writeln!(out, "  p{n}[\"pipeline {}\"]", text(p));
    }
    for (from, to) in edges {
        let _ = writeln!(out, "  {from} --> {to}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_catalog::LineageEdge;

    fn t(name: &str) -> LineageTable {
        let parts: Vec<&str> = name.split('.').collect();
        LineageTable { source: parts[0].into(), database: parts[1].into(), table: parts[2].into() }
    }

    fn row(pipeline: &str, input: &str, output: &str, columns: Option<(&str, &str)>) -> PipelineLineage {
        PipelineLineage {
            pipeline: pipeline.into(),
            edge: LineageEdge {
                input: t(input),
                input_column: columns.map(|c| c.0.into()),
                output: t(output),
                output_column: columns.map(|c| c.1.into()),
            },
        }
    }

    fn chain() -> BTreeMap<String, TableEdges> {
        by_pipeline(vec![
            row("a", "pg.s.raw", "pg.s.clean", None),
            row("a", "pg.s.raw", "pg.s.clean", Some(("amount", "total"))),
            row("b", "pg.s.clean", "pg.s.report", None),
            row("c", "pg.s.report", "pg.s.raw", None),
        ])
    }

    #[test]
    fn walks_follow_tables_both_ways_and_stop_at_cycles() {
        let pipelines = chain();
        let down = walk(&pipelines, vec![t("pg.s.clean")], Side::Downstream, BTreeSet::new());
        let names: Vec<(&str, i64)> = down.iter().map(|s| (s.pipeline.as_str(), s.depth)).collect();
        assert_eq!(names, [("b", 1), ("c", 2), ("a", 3)]);
        let up = walk(&pipelines, vec![t("pg.s.clean")], Side::Upstream, BTreeSet::new());
        assert_eq!(up[0].pipeline, "a");
        assert_eq!(up[0].columns, [("amount".to_owned(), "total".to_owned())]);
        assert_eq!(up[0].column_text().as_deref(), Some("amount -> total"));
    }

    #[test]
    fn a_pipelines_own_edges_are_not_walked_again() {
        let pipelines = by_pipeline(vec![
            row("x", "pg.s.raw", "pg.s.staging", None),
            row("x", "pg.s.staging", "pg.s.final", None),
        ]);
        let own: BTreeSet<Walked> =
            pipelines["x"].iter().map(|(i, o, _)| ("x".to_owned(), i.clone(), o.clone())).collect();
        let start = vec![t("pg.s.raw"), t("pg.s.staging"), t("pg.s.final")];
        assert!(walk(&pipelines, start.clone(), Side::Upstream, own.clone()).is_empty());
        assert!(walk(&pipelines, start, Side::Downstream, own).is_empty());
    }

    #[test]
    fn graphs_name_each_table_and_pipeline_once() {
        let steps = walk(&chain(), vec![t("pg.s.raw")], Side::Downstream, BTreeSet::new());
        let dot = dot(&steps);
        assert_eq!(dot.matches("shape=cylinder").count(), 3, "{dot}");
        assert!(dot.contains("t0 -> p0;\n  p0 -> t1;"), "{dot}");
        let mermaid = mermaid(&steps);
        assert!(mermaid.starts_with("flowchart LR\n  t0[(\"pg.s.raw\")]"), "{mermaid}");
        assert_eq!(mermaid.matches("-->").count(), 6, "{mermaid}");
    }
}
