//! From a pipeline's SQL to its plan: names resolved against the catalog
//! ([`resolve`]), the body checked with DataFusion ([`bind`]), and the DAG every engine's
//! artifact is compiled from ([`graph`]). EXPLAIN, PREVIEW and CREATE share this.

pub mod bind;
mod context;
pub mod graph;
pub mod options;
pub mod query;
pub mod resolve;
mod rewrite;
pub mod types;

pub use bind::{Bound, BoundInsert, BoundView, Tables, bind, bind_resolved, bind_with};
pub use graph::{NodeKind, PipelineGraph};
pub use options::Settings;
pub use resolve::{Presets, TablePath, TableUse};
pub use rewrite::windows;

/// A pipeline bound and laid out as a DAG: what every compiler reads.
pub struct PipelinePlan {
    pub name: String,
    pub bound: Bound,
    pub graph: PipelineGraph,
}

impl PipelinePlan {
    pub fn new(name: impl Into<String>, bound: Bound) -> PipelinePlan {
        let graph = PipelineGraph::build(&bound);
        PipelinePlan { name: name.into(), bound, graph }
    }

    pub fn settings(&self) -> &Settings {
        &self.bound.settings
    }
}
