//! `DROP SOURCE` — see [`DropSource`]. With CASCADE the pipelines that read or write the
//! source go too, each through DROP PIPELINE's checks and clean-up
//! ([`crate::service::drops`]): refused (2BP01) while any has an active deployment, a
//! schedule runs it or a sync compiles into it; the source and its pipelines are dropped
//! in one store transaction.

use sluice_catalog::StoreError;
use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output};
use crate::error::{Result, SluiceError};
use crate::service::drops;
use crate::sql::ast::source::DropSource;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropSource) -> Result<Output> {
    let name = statement.name.as_str();
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_owner(ObjectKind::Source, name).await?;
    if statement.cascade {
        // CASCADE drops the pipelines that use it: they must be the role's own too, and
        // droppable as DROP PIPELINE would drop them
        let users = ctx.rt.store.pipelines_using(name).await?;
        for pipeline in &users {
            rights.require_owner(ObjectKind::Pipeline, pipeline).await?;
        }
        let users: Vec<&str> = users.iter().map(String::as_str).collect();
        drops::prepare(ctx.rt, &users).await?.run().await?;
    }
    match ctx.rt.store.drop_source(name, statement.cascade, &ctx.session.user).await {
        Ok(true) => {
            ctx.rt.engine.catalogs().remove_source(name);
            Ok(Output::Command("DROP SOURCE"))
        }
        Ok(false) if statement.if_exists => {
            ctx.notices.push(Notice::notice(format!("source \"{name}\" does not exist, skipping")));
            Ok(Output::Command("DROP SOURCE"))
        }
        Ok(false) => Err(SluiceError::UndefinedObject { kind: "source", name: name.to_owned() }),
        Err(StoreError::InUse { kind: "pipeline", name: pipeline, users }) => {
            Err(SluiceError::DependentObjects {
                what: format!("drop pipeline {pipeline}"),
                detail: format!("{} of it is active", users.join(", ")),
                hint: Some("STOP PIPELINE it first."),
            })
        }
        Err(StoreError::InUse { users, .. }) => Err(SluiceError::DependentObjects {
            what: format!("drop source \"{name}\""),
            detail: format!(
                "pipeline{} {} read or write it",
                if users.len() > 1 { "s" } else { "" },
                users.join(", ")
            ),
            hint: Some("Use DROP SOURCE … CASCADE to drop the pipelines too."),
        }),
        Err(e) => Err(e.into()),
    }
}
