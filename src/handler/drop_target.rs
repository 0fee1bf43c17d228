//! `DROP TARGET` — see [`DropTarget`]. Refused (2BP01) while a deployment on the target is
//! active; the built-in `local` target cannot be dropped.

use sluice_catalog::StoreError;

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::error::{Result, SluiceError};
use crate::sql::ast::target::DropTarget;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropTarget) -> Result<Output> {
    for name in &statement.names {
        require_owner(ctx, ObjectKind::Target, name.as_str()).await?;
    }
    for name in &statement.names {
        let name = name.as_str();
        if name == crate::deploy::targets::LOCAL {
            return Err(SluiceError::DependentObjects {
                what: "target local".into(),
                detail: "the local target is built in: pipelines without a target run on it".into(),
                hint: None,
            });
        }
        if !statement.if_exists && ctx.rt.store.target(name).await?.is_none() {
            return Err(SluiceError::UndefinedObject { kind: "target", name: name.to_owned() });
        }
    }
    for name in &statement.names {
        let name = name.as_str();
        match ctx.rt.store.drop_target(name, &ctx.session.user).await {
            Ok(true) => {}
            Ok(false) => {
                ctx.notices.push(Notice::notice(format!("target \"{name}\" does not exist, skipping")))
            }
            Err(StoreError::InUse { users, .. }) => {
                return Err(SluiceError::DependentObjects {
                    what: format!("target {name}"),
                    detail: format!("pipelines running on it: {}", users.join(", ")),
                    hint: Some("STOP PIPELINE them first."),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Output::Command("DROP TARGET"))
}
