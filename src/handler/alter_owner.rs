//! `ALTER kind name OWNER TO role` — see [`AlterOwner`] for the syntax. A superuser, or
//! the owner when it is a member of the new owning role (as in PostgreSQL), may hand an
//! object over. A sync's pipeline goes with the sync.

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};
use crate::sql::ast::grant::AlterOwner;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterOwner) -> Result<Output> {
    let kind = ObjectKind::parse(&statement.kind)
        .ok_or_else(|| SluiceError::Internal(format!("unknown object kind {}", statement.kind)))?;
    let name = statement.name.as_str();
    let new_owner = statement.owner.as_str();
    let store = &ctx.rt.store;
    let Some(owner) = store.owner(kind, name).await? else {
        return Err(SluiceError::UndefinedObject { kind: kind.as_str(), name: name.to_owned() });
    };
    if store.role(new_owner).await?.is_none() {
        return Err(SluiceError::UndefinedObject { kind: "role", name: new_owner.to_owned() });
    }
    let rights = ctx.actor().rights(ctx.rt).await?;
    if !rights.is_superuser() {
        if !rights.access.owns(Some(&owner)) {
            return Err(SluiceError::PermissionDenied(format!("must be owner of {} {name}", kind.as_str())));
        }
        if !rights.access.member_of.contains(new_owner) {
            return Err(SluiceError::PermissionDenied(format!("must be able to SET ROLE \"{new_owner}\"")));
        }
    }
    store.set_owner(kind, name, new_owner, &ctx.session.user).await?;
    if kind == ObjectKind::Sync {
        store.set_owner(ObjectKind::Pipeline, name, new_owner, &ctx.session.user).await?;
    }
    Ok(Output::Command(match kind {
        ObjectKind::Source => "ALTER SOURCE",
        ObjectKind::Secret => "ALTER SECRET",
        ObjectKind::Target => "ALTER TARGET",
        ObjectKind::Pipeline => "ALTER PIPELINE",
        ObjectKind::Schedule => "ALTER SCHEDULE",
        ObjectKind::Sync => "ALTER SYNC",
        ObjectKind::Database => "ALTER DATABASE",
    }))
}
