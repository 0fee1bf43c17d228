//! Reading stored pipelines back: the record, its options, its body parsed again, and
//! its plan (bound against the catalog as it is now).

use sluice_catalog::{NewPipeline, PipelineRecord, StoreError};

use super::Ctx;
use crate::connectors::ResolvedOptions;
use crate::error::{Result, SluiceError};
use crate::plan::{Bound, PipelinePlan, Tables, bind_with};
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
            options: self.options.to_sql_with(crate::plan::options::OPTIONS),
            body: self.body.clone(),
        }
    }
}

fn corrupt(name: &str, detail: String) -> SluiceError {
    SluiceError::Store(StoreError::Corrupt { kind: "pipeline", name: name.to_owned(), detail })
}

/// The pipeline called `name`, or 42704.
pub async fn load(ctx: &Ctx<'_>, name: &str) -> Result<StoredPipeline> {
    let record = ctx
        .server
        .store
        .pipeline(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "pipeline", name: name.to_owned() })?;
    let options = serde_json::from_str(&record.options)
        .map(ResolvedOptions)
        .map_err(|e| corrupt(&record.name, e.to_string()))?;
    let body =
        crate::sql::parse_pipeline_body(&record.body).map_err(|e| corrupt(&record.name, e.message()))?;
    Ok(StoredPipeline { record, options, body })
}

/// Binds a stored pipeline and lays out its DAG.
/// A sync's pipeline is bound with the sync's presets (its sink tables' columns and DDL).
pub async fn plan(ctx: &mut Ctx<'_>, stored: &StoredPipeline, tables: Tables<'_>) -> Result<PipelinePlan> {
    plan_in(ctx, stored, tables, None).await
}

/// [`plan`] for a schedule run: `${interval_start}` and `${interval_end}` are `interval`'s.
pub async fn plan_in(
    ctx: &mut Ctx<'_>,
    stored: &StoredPipeline,
    tables: Tables<'_>,
    interval: Option<&crate::sql::placeholders::Interval>,
) -> Result<PipelinePlan> {
    let mut presets =
        crate::sync::presets_of(&ctx.server.store, &stored.record.name).await?.unwrap_or_default();
    presets.interval = interval.copied();
    let bound = bind_with(ctx, stored.options.clone(), &stored.body, tables, &presets).await?;
    Ok(PipelinePlan::new(stored.record.name.clone(), bound))
}

/// What the store keeps of a bound pipeline.
pub fn new_pipeline(name: &str, bound: &Bound, body: &[BodyStatement]) -> NewPipeline {
    let mut sources: Vec<String> = bound.tables.iter().map(|t| t.path.source.clone()).collect();
    sources.sort();
    sources.dedup();
    NewPipeline {
        name: name.to_owned(),
        engine: bound.settings.engine.clone(),
        mode: bound.settings.mode().to_owned(),
        target: bound.settings.target.clone(),
        options: bound.options.to_json(),
        body: body_sql(body),
        sources,
    }
}
