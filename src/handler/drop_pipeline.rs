//! `DROP PIPELINE [IF EXISTS] name [, …]` — see [`DropPipeline`]. Every name is checked
//! before any is dropped, so a failed statement drops nothing.

use super::{Ctx, Notice, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::sql::ast::pipeline::DropPipeline;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropPipeline) -> Result<Output> {
    require_superuser(ctx, "drop pipelines").await?;
    let mut existing = Vec::new();
    for name in &statement.names {
        match ctx.server.store.pipeline(name.as_str()).await? {
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
    for name in existing {
        ctx.server.store.drop_pipeline(name, &ctx.session.user).await?;
    }
    Ok(Output::Command("DROP PIPELINE"))
}
