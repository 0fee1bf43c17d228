//! `PREVIEW PIPELINE name [SINK s] [LIMIT n]` and `PREVIEW INSERT …` — every sink's query
//! run as a bounded SELECT over the live source tables, each part over one source pushed
//! to it whole (engine/federation.rs), one result set per sink, columns named and typed as
//! the sink's. Nothing is written anywhere.
//!
//! The pipeline bound over the live tables is kept per connection by the statement's text
//! and the catalog epoch (`Session::previews`): a client repeating a PREVIEW — a prepared
//! one with new values for its `$n` above all — binds it once.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ParamValues;

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Output, require};
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::plan::query::sink_query;
use crate::plan::{PipelinePlan, TablePath, Tables, bind};
use crate::service::pipelines::{load, plan};
use crate::sql::ast::pipeline::PreviewTarget;

/// Rows per sink when the statement gives no LIMIT.
pub const DEFAULT_LIMIT: u64 = 100;

/// A PREVIEW's pipeline bound over the live tables, the inserts it previews and the
/// notices binding it gave (sent again when it is reused).
pub struct BoundPreview {
    plan: PipelinePlan,
    chosen: Vec<usize>,
    notices: Vec<Notice>,
}

pub async fn handle(ctx: &mut Ctx<'_>, target: &PreviewTarget, limit: Option<u64>) -> Result<Output> {
    run(ctx, target, limit, None).await
}

/// PREVIEW with `values` for the `$n` of its body (a prepared PREVIEW at Execute).
pub async fn handle_bound(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
    limit: Option<u64>,
    values: ParamValues,
) -> Result<Output> {
    run(ctx, target, limit, Some(values)).await
}

async fn run(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
    limit: Option<u64>,
    values: Option<ParamValues>,
) -> Result<Output> {
    let bound = cached(ctx, target).await?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let mut outputs = Vec::new();
    for &i in &bound.chosen {
        let mut bounded = sink_query(&bound.plan, i, Some(limit), "PREVIEW")?;
        if let Some(values) = &values {
            bounded = bounded.replace_params_with_values(values)?;
        }
        let frame = bound.plan.bound.planner.execute_logical_plan(bounded).await?;
        let schema = frame.schema().as_arrow().clone();
        let stream = frame.execute_stream().await?;
        outputs.push(Output::Rows { tag: "SELECT", schema: Arc::new(schema), stream });
    }
    Ok(Output::ResultSets(outputs))
}

/// The bound PREVIEW of `target`: kept from an earlier run of the same text in this
/// catalog epoch, or bound now and kept. The privileges are checked on every run.
async fn cached(ctx: &mut Ctx<'_>, target: &PreviewTarget) -> Result<Arc<BoundPreview>> {
    if let PreviewTarget::Pipeline { name, .. } = target {
        require(ctx, Privilege::Operate, ObjectKind::Pipeline, name.as_str()).await?;
    }
    let key = target.to_string();
    let epoch = ctx.rt.store.epoch();
    let bound = match ctx.session.previews.get(&key, epoch) {
        Some(bound) => {
            ctx.notices.extend(bound.notices.iter().cloned());
            bound
        }
        None => {
            let before = ctx.notices.len();
            let (plan, chosen) = bind_target(ctx, target).await?;
            let notices = ctx.notices[before..].to_vec();
            let bound = Arc::new(BoundPreview { plan, chosen, notices });
            ctx.session.previews.insert(&key, epoch, bound.clone());
            bound
        }
    };
    require_reads(ctx, &bound.plan, &bound.chosen).await?;
    Ok(bound)
}

/// The columns PREVIEW returns when it returns one result set (for Describe).
pub async fn describe(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
) -> Result<Option<datafusion::arrow::datatypes::SchemaRef>> {
    let bound = cached(ctx, target).await?;
    match bound.chosen.as_slice() {
        [one] => {
            Ok(Some(Arc::new(sink_query(&bound.plan, *one, Some(1), "PREVIEW")?.schema().as_arrow().clone())))
        }
        _ => Ok(None),
    }
}

/// The types DataFusion infers for the parameters (`$1` …) of a PREVIEW body, over every
/// sink previewed, and the columns it returns as [`describe`] says.
pub async fn describe_with_parameters(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
) -> Result<(HashMap<String, Option<DataType>>, Option<SchemaRef>)> {
    let bound = cached(ctx, target).await?;
    let mut types: HashMap<String, Option<DataType>> = HashMap::new();
    let mut schemas = Vec::new();
    for i in &bound.chosen {
        let bounded = sink_query(&bound.plan, *i, Some(1), "PREVIEW")?;
        for (name, ty) in bounded.get_parameter_types()? {
            let slot = types.entry(name).or_default();
            if slot.is_none() {
                *slot = ty;
            }
        }
        schemas.push(Arc::new(bounded.schema().as_arrow().clone()));
    }
    let one = if schemas.len() == 1 { schemas.pop() } else { None };
    Ok((types, one))
}

/// The plan, bound over the live tables, and the inserts to preview (privileges are
/// checked by the caller).
async fn bind_target(ctx: &mut Ctx<'_>, target: &PreviewTarget) -> Result<(PipelinePlan, Vec<usize>)> {
    let server = ctx.rt;
    let catalogs = server.engine.catalogs();
    let (plan, sink) = match target {
        PreviewTarget::Pipeline { name, sink } => {
            let stored = load(ctx.rt, name.as_str()).await?;
            (plan(ctx.rt, &mut ctx.notices, &stored, Tables::Federated(catalogs), None).await?, sink.as_ref())
        }
        PreviewTarget::Body(body) => {
            let bound = bind(&mut ctx.plan_ctx(), &[], body, Tables::Federated(catalogs)).await?;
            (PipelinePlan::new("preview", bound), None)
        }
    };
    let chosen: Vec<usize> = match sink {
        None => (0..plan.bound.inserts.len()).collect(),
        Some(sink) => {
            let wanted = TablePath::named(sink);
            let chosen: Vec<usize> = plan
                .bound
                .inserts
                .iter()
                .enumerate()
                .filter(|(_, i)| wanted.as_ref() == Some(&plan.bound.tables[i.sink].path))
                .map(|(n, _)| n)
                .collect();
            if chosen.is_empty() {
                return Err(SluiceError::Query {
                    state: SqlState::UndefinedTable,
                    message: format!("pipeline \"{}\" has no sink {sink}", plan.name),
                    hint: None,
                    pos: None,
                });
            }
            chosen
        }
    };
    Ok((plan, chosen))
}

/// SELECT on every source the previewed inserts read, directly or through views: PREVIEW
/// shows their rows (the sinks are not written, and need nothing).
async fn require_reads(ctx: &Ctx<'_>, plan: &PipelinePlan, chosen: &[usize]) -> Result<()> {
    let bound = &plan.bound;
    let mut reads: Vec<usize> = chosen.iter().flat_map(|i| bound.inserts[*i].reads.iter().copied()).collect();
    reads.extend(bound.views.iter().flat_map(|v| v.reads.iter().copied()));
    let mut sources: Vec<&str> = reads.iter().map(|r| bound.tables[*r].path.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let rights = ctx.actor().rights(ctx.rt).await?;
    for source in sources {
        rights.require(Privilege::Select, ObjectKind::Source, source).await?;
    }
    Ok(())
}
