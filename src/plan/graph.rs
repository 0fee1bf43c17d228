//! The pipeline as a DAG (petgraph): source reads → transforms → sinks, each edge carrying
//! the schema that flows along it. A table read by several statements is one source node
//! that fans out, so every engine reads it once.

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::bind::Bound;
use super::types::flink_type;

/// What a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Reads a table (index into [`Bound::tables`]).
    Source { table: usize },
    /// A `CREATE TEMPORARY VIEW` (index into [`Bound::views`]).
    View { view: usize },
    /// The query of an INSERT (index into [`Bound::inserts`]).
    Transform { insert: usize },
    /// Writes a table (index into [`Bound::tables`]).
    Sink { table: usize },
}

/// A node: its kind and a display name (`mysql_prod.shop.orders`, `insert #1`).
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    pub name: String,
}

/// What flows along an edge: columns and their (Flink SQL) types.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub columns: Vec<(String, String)>,
}

impl Edge {
    /// `id BIGINT, amount DECIMAL(10, 2)`.
    pub fn schema(&self) -> String {
        let name = |n: &str| crate::sql::ast::Ident::new(n).to_string();
        self.columns.iter().map(|(n, t)| format!("{} {t}", name(n))).collect::<Vec<_>>().join(", ")
    }
}

/// The DAG of a bound pipeline.
#[derive(Debug, Clone)]
pub struct PipelineGraph {
    pub graph: DiGraph<Node, Edge>,
}

impl PipelineGraph {
    /// Builds the graph of `bound`.
    pub fn build(bound: &Bound) -> PipelineGraph {
        let mut graph: DiGraph<Node, Edge> = DiGraph::new();
        let mut sources: Vec<(usize, NodeIndex)> = Vec::new();
        let mut source_node = |graph: &mut DiGraph<Node, Edge>, table: usize| -> NodeIndex {
            if let Some((_, n)) = sources.iter().find(|(t, _)| *t == table) {
                return *n;
            }
            let n = graph.add_node(Node {
                kind: NodeKind::Source { table },
                name: bound.tables[table].path.to_string(),
            });
            sources.push((table, n));
            n
        };
        let table_edge = |table: usize| Edge {
            columns: bound.tables[table].columns.iter().map(|c| (c.name.clone(), column_type(c))).collect(),
        };
        let mut views: Vec<NodeIndex> = Vec::new();
        for (i, view) in bound.views.iter().enumerate() {
            let inputs: Vec<NodeIndex> = view.reads.iter().map(|&t| source_node(&mut graph, t)).collect();
            let n = graph.add_node(Node { kind: NodeKind::View { view: i }, name: view.name.clone() });
            for (&table, &s) in view.reads.iter().zip(&inputs) {
                graph.add_edge(s, n, table_edge(table));
            }
            for read in &view.views {
                if let Some(v) = bound.views.iter().position(|x| &x.name == read) {
                    graph.add_edge(views[v], n, schema_edge(&bound.views[v].schema));
                }
            }
            views.push(n);
        }
        let mut sinks: Vec<(usize, NodeIndex)> = Vec::new();
        for (i, insert) in bound.inserts.iter().enumerate() {
            let inputs: Vec<NodeIndex> = insert.reads.iter().map(|&t| source_node(&mut graph, t)).collect();
            let t = graph.add_node(Node {
                kind: NodeKind::Transform { insert: i },
                name: format!("insert #{}", i + 1),
            });
            for (&table, &s) in insert.reads.iter().zip(&inputs) {
                graph.add_edge(s, t, table_edge(table));
            }
            for read in &insert.views {
                if let Some(v) = bound.views.iter().position(|x| &x.name == read) {
                    graph.add_edge(views[v], t, schema_edge(&bound.views[v].schema));
                }
            }
            let sink = match sinks.iter().find(|(table, _)| *table == insert.sink) {
                Some((_, n)) => *n,
                None => {
                    let n = graph.add_node(Node {
                        kind: NodeKind::Sink { table: insert.sink },
                        name: bound.tables[insert.sink].path.to_string(),
                    });
                    sinks.push((insert.sink, n));
                    n
                }
            };
            graph.add_edge(t, sink, schema_edge(&insert.schema));
        }
        PipelineGraph { graph }
    }

    /// Source nodes, in the order they were first read.
    pub fn sources(&self) -> impl Iterator<Item = (NodeIndex, usize)> + '_ {
        self.graph.node_indices().filter_map(|n| match self.graph[n].kind {
            NodeKind::Source { table } => Some((n, table)),
            _ => None,
        })
    }

    /// How many statements read each source node (2 or more: a fan-out).
    pub fn fan_out(&self, node: NodeIndex) -> usize {
        self.graph.neighbors_directed(node, Direction::Outgoing).count()
    }
}

fn schema_edge(schema: &datafusion::arrow::datatypes::Schema) -> Edge {
    Edge { columns: schema.fields().iter().map(|f| (f.name().clone(), flink_type(f.data_type()))).collect() }
}

fn column_type(c: &sluice_catalog::ColumnRecord) -> String {
    if c.data_type == "COMPUTED" { c.source_type.clone() } else { c.data_type.clone() }
}
