//! `PREVIEW PIPELINE name [SINK s] [LIMIT n]` and `PREVIEW INSERT …` — every sink's query
//! run as a bounded SELECT by DataFusion over the live source tables (filters and limits
//! pushed down to them), one result set per sink, columns named and typed as the sink's.
//! Nothing is written anywhere.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, SchemaRef};

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Output, require};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::query::sink_query;
use crate::plan::{PipelinePlan, TablePath, Tables, bind};
use crate::service::pipelines::{load, plan};
use crate::sql::ast::pipeline::PreviewTarget;

/// Rows per sink when the statement gives no LIMIT.
pub const DEFAULT_LIMIT: u64 = 100;

pub async fn handle(ctx: &mut Ctx<'_>, target: &PreviewTarget, limit: Option<u64>) -> Result<Output> {
    let (plan, chosen) = bind_target(ctx, target).await?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let mut outputs = Vec::new();
    for i in chosen {
        let bounded = sink_query(&plan, i, Some(limit), "PREVIEW")?;
        let frame = plan.bound.planner.execute_logical_plan(bounded).await?;
        let schema = frame.schema().as_arrow().clone();
        let stream = frame.execute_stream().await?;
        outputs.push(Output::Rows { tag: "SELECT", schema: std::sync::Arc::new(schema), stream });
    }
    Ok(Output::ResultSets(outputs))
}

/// The columns PREVIEW returns when it returns one result set (for Describe).
pub async fn describe(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
) -> Result<Option<datafusion::arrow::datatypes::SchemaRef>> {
    let (plan, chosen) = bind_target(ctx, target).await?;
    match chosen.as_slice() {
        [one] => Ok(Some(std::sync::Arc::new(
            sink_query(&plan, *one, Some(1), "PREVIEW")?.schema().as_arrow().clone(),
        ))),
        _ => Ok(None),
    }
}

/// The types DataFusion infers for the parameters (`$1` …) of a PREVIEW body, over every
/// sink previewed, and the columns it returns as [`describe`] says.
pub async fn describe_with_parameters(
    ctx: &mut Ctx<'_>,
    target: &PreviewTarget,
) -> Result<(HashMap<String, Option<DataType>>, Option<SchemaRef>)> {
    let (plan, chosen) = bind_target(ctx, target).await?;
    let mut types: HashMap<String, Option<DataType>> = HashMap::new();
    let mut schemas = Vec::new();
    for i in &chosen {
        let bounded = sink_query(&plan, *i, Some(1), "PREVIEW")?;
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

/// The plan, bound over the live tables, and the inserts to preview.
async fn bind_target(ctx: &mut Ctx<'_>, target: &PreviewTarget) -> Result<(PipelinePlan, Vec<usize>)> {
    let server = ctx.rt;
    let catalogs = server.engine.catalogs();
    let (plan, sink) = match target {
        PreviewTarget::Pipeline { name, sink } => {
            require(ctx, Privilege::Operate, ObjectKind::Pipeline, name.as_str()).await?;
            let stored = load(ctx.rt, name.as_str()).await?;
            (plan(ctx.rt, &mut ctx.notices, &stored, Tables::Live(catalogs), None).await?, sink.as_ref())
        }
        PreviewTarget::Body(body) => {
            let bound = bind(&mut ctx.plan_ctx(), &[], body, Tables::Live(catalogs)).await?;
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
    require_reads(ctx, &plan, &chosen).await?;
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
