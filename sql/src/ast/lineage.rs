//! `EXPLAIN LINEAGE`: where a pipeline's or a table's rows come from and go.

use std::fmt;

use super::Ident;
use super::source::ObjectPath;

/// What `EXPLAIN LINEAGE` starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineageSubject {
    Pipeline(Ident),
    /// `source.table` or `source.database.table`.
    Table(ObjectPath),
}

/// How `EXPLAIN LINEAGE` renders the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineageFormat {
    /// One row per edge (the default).
    Text,
    /// Graphviz dot, one row.
    Dot,
    /// A Mermaid flowchart, one row.
    Mermaid,
}

impl LineageFormat {
    pub const ALL: [LineageFormat; 3] = [LineageFormat::Text, LineageFormat::Dot, LineageFormat::Mermaid];

    pub fn name(self) -> &'static str {
        match self {
            LineageFormat::Text => "text",
            LineageFormat::Dot => "dot",
            LineageFormat::Mermaid => "mermaid",
        }
    }

    /// The format a name (any case) spells.
    pub fn from_name(name: &str) -> Option<LineageFormat> {
        LineageFormat::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// ```text
/// EXPLAIN LINEAGE FOR PIPELINE name [ FORMAT { text | dot | mermaid } ]
/// EXPLAIN LINEAGE FOR TABLE source.[ database. ]table [ FORMAT { text | dot | mermaid } ]
/// ```
///
/// The lineage around a pipeline (the tables it reads and writes) or a table (the
/// pipelines that write and read it), followed upstream and downstream through every
/// pipeline and table it leads to: `text` gives a row per edge (direction, depth, input
/// table, pipeline, output table, the columns it maps); `dot` and `mermaid` one row with
/// the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainLineage {
    pub subject: LineageSubject,
    pub format: LineageFormat,
}

impl fmt::Display for ExplainLineage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            LineageSubject::Pipeline(name) => write!(f, "EXPLAIN LINEAGE FOR PIPELINE {name}")?,
            LineageSubject::Table(path) => write!(f, "EXPLAIN LINEAGE FOR TABLE {path}")?,
        }
        if self.format != LineageFormat::Text {
            write!(f, " FORMAT {}", self.format.name())?;
        }
        Ok(())
    }
}
