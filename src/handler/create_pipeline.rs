//! `CREATE PIPELINE` — see [`CreatePipeline`] for the syntax. The body is bound and
//! checked before anything is stored; each CREATE (OR REPLACE) adds a version.

use sluice_catalog::StoreError;

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_create};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::stored::new_pipeline;
use crate::plan::{Tables, bind};
use crate::sql::ast::pipeline::CreatePipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreatePipeline) -> Result<Output> {
    let name = statement.name.as_str();
    let replaces = statement.or_replace.then_some((ObjectKind::Pipeline, name));
    let rights = require_create(ctx, "pipelines", replaces).await?;
    if statement.if_not_exists && ctx.rt.store.pipeline(name).await?.is_some() {
        ctx.notices.push(Notice::notice(format!("pipeline \"{name}\" already exists, skipping")));
        return Ok(Output::Command("CREATE PIPELINE"));
    }
    if statement.or_replace && ctx.rt.store.sync(name).await?.is_some() {
        return Err(SluiceError::Query {
            state: SqlState::DependentObjectsStillExist,
            message: format!("cannot replace pipeline {name}: sync {name} compiles into it"),
            hint: Some("Change the sync with CREATE OR REPLACE SYNC DATABASE instead.".into()),
            pos: None,
        });
    }
    let bound = bind(&mut ctx.plan_ctx(), &statement.options, &statement.body, Tables::Schemas).await?;
    let plan = crate::service::pipelines::checked_plan(ctx.rt, name, bound).await?;
    let pipeline = new_pipeline(name, &plan.bound, &statement.body);
    rights.require_usage_of_sources(pipeline.sources.iter().map(String::as_str)).await?;
    match ctx.rt.store.put_pipeline(&pipeline, statement.or_replace, &ctx.session.user).await {
        Ok(_) => Ok(Output::Command("CREATE PIPELINE")),
        Err(StoreError::AlreadyExists { .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!("pipeline \"{name}\" already exists, skipping")));
            Ok(Output::Command("CREATE PIPELINE"))
        }
        Err(StoreError::AlreadyExists { .. }) => {
            Err(SluiceError::DuplicateObject { kind: "pipeline", name: name.to_owned() })
        }
        Err(e) => Err(e.into()),
    }
}
