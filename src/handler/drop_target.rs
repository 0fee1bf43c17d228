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
                what: "drop target local".into(),
                detail: "the local target is built in: pipelines without a target run on it".into(),
                hint: None,
            });
        }
        if !statement.if_exists && ctx.rt.store.target(name).await?.is_none() {
            return Err(SluiceError::UndefinedObject { kind: "target", name: name.to_owned() });
        }
    }
    // one transaction: a target in use leaves every named target as it was
    let names: Vec<&str> = statement.names.iter().map(|n| n.as_str()).collect();
    match ctx.rt.store.drop_targets(&names, &ctx.session.user).await {
        Ok(dropped) => {
            for (name, _) in names.iter().zip(dropped).filter(|(_, d)| !d) {
                ctx.notices.push(Notice::notice(format!("target \"{name}\" does not exist, skipping")));
            }
        }
        Err(StoreError::InUse { name, users, .. }) => {
            return Err(SluiceError::DependentObjects {
                what: format!("drop target {name}"),
                detail: format!("pipelines running on it: {}", users.join(", ")),
                hint: Some("STOP PIPELINE them first."),
            });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Output::Command("DROP TARGET"))
}
