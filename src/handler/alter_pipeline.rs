//! `ALTER PIPELINE name SET (…) | RESET (…)` — see [`AlterPipeline`]. The changed options
//! are checked with the body (an engine change must still fit every table), then stored
//! as a new version.

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Output};
use crate::connectors::validate::{reset_with, validate_with};
use crate::error::Result;
use crate::plan::bind::option_schema;
use crate::plan::stored::new_pipeline;
use crate::plan::{Tables, bind_with};
use crate::service::pipelines::load;
use crate::sql::ast::pipeline::{AlterPipeline, AlterPipelineOperation};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterPipeline) -> Result<Output> {
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_owner(ObjectKind::Pipeline, statement.name.as_str()).await?;
    let stored = load(ctx.rt, statement.name.as_str()).await?;
    let options = match &statement.operation {
        AlterPipelineOperation::Set(options) => validate_with(option_schema(), &stored.options, options)?,
        AlterPipelineOperation::Reset(keys) => reset_with(option_schema(), &stored.options, keys)?,
    };
    // a sync's pipeline is bound as START binds it: with the sync's sink tables preset
    let presets = crate::sync::presets_of(&ctx.rt.store, &stored.record.name).await?.unwrap_or_default();
    let bound = bind_with(&mut ctx.plan_ctx(), options, &stored.body, Tables::Schemas, &presets).await?;
    let plan = crate::service::pipelines::checked_plan(ctx.rt, &stored.record.name, bound).await?;
    let pipeline = new_pipeline(&stored.record.name, &plan.bound, &stored.body);
    rights.require_usage_of_sources(pipeline.sources.iter().map(String::as_str)).await?;
    ctx.rt.store.alter_pipeline(&pipeline, stored.record.version, &ctx.session.user).await?;
    Ok(Output::Command("ALTER PIPELINE"))
}
