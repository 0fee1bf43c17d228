//! `DROP SYNC [IF EXISTS] name [, …]` — see [`DropSync`]. Every name is checked before
//! any is dropped; a sync whose pipeline has an active deployment is refused (2BP01).

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::error::{Result, SluiceError};
use crate::sql::ast::sync::DropSync;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropSync) -> Result<Output> {
    for name in &statement.names {
        require_owner(ctx, ObjectKind::Sync, name.as_str()).await?;
    }
    let mut existing = Vec::new();
    for name in &statement.names {
        if ctx.rt.store.sync(name.as_str()).await?.is_none() {
            if statement.if_exists {
                ctx.notices.push(Notice::notice(format!("sync \"{name}\" does not exist, skipping")));
                continue;
            }
            return Err(SluiceError::UndefinedObject { kind: "sync", name: name.as_str().to_owned() });
        }
        let deployments = ctx.rt.store.deployments(Some(name.as_str())).await?;
        if let Some(d) = deployments.iter().find(|d| d.state.is_active()) {
            return Err(SluiceError::DependentObjects {
                what: format!("drop sync {name}"),
                detail: format!("its pipeline's deployment {} on target {} is {}", d.id, d.target, d.state),
                hint: Some("STOP PIPELINE it first."),
            });
        }
        existing.push(name.as_str());
    }
    for name in existing {
        ctx.rt.store.drop_sync(name, &ctx.session.user).await?;
    }
    Ok(Output::Command("DROP SYNC"))
}
