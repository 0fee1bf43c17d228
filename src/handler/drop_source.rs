//! `DROP SOURCE` — see [`DropSource`] for the syntax.

use sluice_catalog::StoreError;
use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::DropSource;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropSource) -> Result<Output> {
    let name = statement.name.as_str();
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_owner(ObjectKind::Source, name).await?;
    if statement.cascade {
        // CASCADE drops the pipelines that use it: they must be the role's own too
        for pipeline in ctx.rt.store.pipelines_using(name).await? {
            rights.require_owner(ObjectKind::Pipeline, &pipeline).await?;
        }
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
        Err(StoreError::InUse { users, .. }) => Err(SluiceError::DependentObjects {
            what: format!("source \"{name}\""),
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
