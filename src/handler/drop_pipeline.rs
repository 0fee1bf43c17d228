//! `DROP PIPELINE [IF EXISTS] name [, …]` — see [`DropPipeline`]. Every name is checked
//! before any is dropped, so a failed statement drops nothing; a pipeline with an active
//! deployment, or that a schedule runs or a sync compiles into, is refused (2BP01) — the
//! checks and clean-up of [`crate::service::drops`], which DROP SOURCE … CASCADE shares.

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::error::{Result, SluiceError};
use crate::service::drops;
use crate::sql::ast::pipeline::DropPipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropPipeline) -> Result<Output> {
    for name in &statement.names {
        require_owner(ctx, ObjectKind::Pipeline, name.as_str()).await?;
    }
    let mut existing = Vec::new();
    for name in &statement.names {
        match ctx.rt.store.pipeline(name.as_str()).await? {
            Some(_) => existing.push(name.as_str()),
            None if statement.if_exists => {
                ctx.notices.push(Notice::notice(format!("pipeline \"{name}\" does not exist, skipping")));
            }
            None => {
                return Err(SluiceError::UndefinedObject {
                    kind: "pipeline",
                    name: name.as_str().to_owned(),
                });
            }
        }
    }
    // every target is asked first, so one that cannot answer leaves every pipeline as it was
    drops::prepare(ctx.rt, &existing).await?.run().await?;
    for name in existing {
        ctx.rt.store.drop_pipeline(name, &ctx.session.user).await?;
    }
    Ok(Output::Command("DROP PIPELINE"))
}
