//! Pipelines as services use them: loaded from the store and bound against the catalog
//! as it is now.

use crate::error::Result;
use crate::notice::Notice;
use crate::plan::stored::StoredPipeline;
use crate::plan::{PipelinePlan, PlanCtx, Tables, bind_with};
use crate::runtime::Runtime;
use crate::sql::placeholders::Interval;

/// The pipeline called `name`, or 42704.
pub async fn load(rt: &Runtime, name: &str) -> Result<StoredPipeline> {
    crate::plan::stored::load(&rt.store, name).await
}

/// Binds a stored pipeline and lays out its DAG. A sync's pipeline is bound with the
/// sync's presets (its sink tables' columns and DDL); a schedule run passes its
/// `interval` (`${interval_start}`, `${interval_end}`).
pub async fn plan(
    rt: &Runtime,
    notices: &mut Vec<Notice>,
    stored: &StoredPipeline,
    tables: Tables<'_>,
    interval: Option<&Interval>,
) -> Result<PipelinePlan> {
    let mut presets = crate::sync::presets_of(&rt.store, &stored.record.name).await?.unwrap_or_default();
    presets.interval = interval.copied();
    let mut ctx = PlanCtx { store: &rt.store, master_key: &rt.master_key, notices };
    let bound = bind_with(&mut ctx, stored.options.clone(), &stored.body, tables, &presets).await?;
    Ok(PipelinePlan::new(stored.record.name.clone(), bound))
}
