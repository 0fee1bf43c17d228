//! Reading stored pipelines back: the record, its options and its body parsed again.
//! A corrupt record is an error that says which pipeline and why.

use sluice_catalog::{NewPipeline, PipelineRecord, Store, StoreError};

use super::Bound;
use crate::connectors::ResolvedOptions;
use crate::error::{Result, SluiceError};
use crate::sql::ast::Ident;
use crate::sql::ast::pipeline::{BodyStatement, CreatePipeline, body_sql};

/// A pipeline as stored.
pub struct StoredPipeline {
    pub record: PipelineRecord,
    pub options: ResolvedOptions,
    pub body: Vec<BodyStatement>,
}

impl StoredPipeline {
    /// The statement that recreates it (SHOW CREATE PIPELINE).
    pub fn create_statement(&self) -> CreatePipeline {
        CreatePipeline {
            name: Ident::new(self.record.name.clone()),
            or_replace: false,
            if_not_exists: false,
            options: self.options.to_sql_with(super::options::OPTIONS),
            body: self.body.clone(),
        }
    }
}

fn corrupt(name: &str, detail: String) -> SluiceError {
    SluiceError::Store(StoreError::Corrupt { kind: "pipeline", name: name.to_owned(), detail })
}

/// A stored pipeline's options.
pub fn options(record: &PipelineRecord) -> Result<ResolvedOptions> {
    ResolvedOptions::from_stored(&record.options, "pipeline", &record.name)
}

/// The pipeline called `name`, or 42704.
pub async fn load(store: &Store, name: &str) -> Result<StoredPipeline> {
    let record = store
        .pipeline(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "pipeline", name: name.to_owned() })?;
    let options = options(&record)?;
    let body =
        crate::sql::parse_pipeline_body(&record.body).map_err(|e| corrupt(&record.name, e.message()))?;
    Ok(StoredPipeline { record, options, body })
}

/// What the store keeps of a bound pipeline.
pub fn new_pipeline(name: &str, bound: &Bound, body: &[BodyStatement]) -> NewPipeline {
    let sources = bound.source_names();
    NewPipeline {
        name: name.to_owned(),
        engine: bound.settings.engine,
        mode: bound.settings.mode(),
        target: bound.settings.target.clone(),
        options: bound.options.to_json(),
        body: body_sql(body),
        sources,
        lineage: super::lineage::edges(bound),
    }
}
