//! Pipelines as services use them: loaded from the store and bound against the catalog
//! as it is now.

use sluice_catalog::PipelineMode;

use crate::error::Result;
use crate::notice::Notice;
use crate::plan::stored::StoredPipeline;
use crate::plan::{Bound, PipelinePlan, PlanCtx, Tables, bind_with};
use crate::runtime::Runtime;
use crate::sql::placeholders::Interval;

/// The pipeline called `name`, or 42704.
pub async fn load(rt: &Runtime, name: &str) -> Result<StoredPipeline> {
    crate::plan::stored::load(&rt.store, name).await
}

/// `bound` as pipeline `name`'s plan, once its target exists and its engine can run it:
/// what START would deploy is compiled (and dropped) now, so that a body the engine cannot
/// run is refused as it is stored. A batch pipeline with no target or an in-gateway one is
/// left to the gateway, which runs it itself (DataFusion) whatever its engine.
pub async fn checked_plan(rt: &Runtime, name: &str, bound: Bound) -> Result<PipelinePlan> {
    let target = crate::deploy::targets::check_exists(&rt.store, bound.settings.target.as_deref()).await?;
    let plan = PipelinePlan::new(name, bound);
    let in_gateway = plan.settings().mode() == PipelineMode::Batch && target.is_none_or(|t| t.in_gateway);
    if !in_gateway {
        crate::compile::check_engine(&plan)?;
    }
    Ok(plan)
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
