//! From a pipeline's SQL to its plan: names resolved against the catalog
//! ([`resolve`]), the body checked with DataFusion ([`bind`]), and the DAG every engine's
//! artifact is compiled from ([`graph`]). EXPLAIN, PREVIEW and CREATE share this.

pub mod bind;
mod context;
pub mod graph;
mod keys;
pub mod lineage;
pub mod options;
pub mod query;
pub mod resolve;
mod rewrite;
pub mod stored;
pub mod types;
mod unreadable;

pub use bind::{Bound, BoundInsert, BoundView, Tables, bind, bind_resolved, bind_with};
pub use graph::{NodeKind, PipelineGraph};
pub use options::Settings;
pub use resolve::{Presets, TablePath, TableUse};
pub use rewrite::windows;

/// What binding reads and reports: the catalog store (tables, cached columns), the
/// master key (to reach a source live when its tables are not cached yet) and the notices
/// for the client.
pub struct PlanCtx<'a> {
    pub store: &'a sluice_catalog::Store,
    pub master_key: &'a crate::secrets::MasterKey,
    pub notices: &'a mut Vec<crate::notice::Notice>,
}

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
