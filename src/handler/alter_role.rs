//! `ALTER ROLE` — see [`AlterRole`] for the syntax.

use sluice_catalog::RoleChanges;

use super::create_role::{refuse_predefined, refuse_reserved_name, verifier_for};
use super::{Ctx, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::sql::ast::{AlterRole, AlterRoleOperation, RoleOption};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterRole) -> Result<Output> {
    let name = statement.name.as_str();
    match &statement.operation {
        AlterRoleOperation::RenameTo(new_name) => {
            require_superuser(ctx, "rename roles").await?;
            refuse_predefined(name, "rename")?;
            refuse_reserved_name(new_name.as_str())?;
            if name == ctx.session.user {
                return Err(SluiceError::not_supported("session user cannot be renamed", None));
            }
            ctx.rt.store.rename_role(name, new_name.as_str(), &ctx.session.user).await?;
        }
        AlterRoleOperation::With(options) => {
            let only_own_password =
                name == ctx.session.user && options.iter().all(|o| matches!(o, RoleOption::Password(_)));
            if !only_own_password {
                require_superuser(ctx, "alter roles other than to change their own password").await?;
            }
            refuse_predefined(name, "alter")?;
            let mut changes = RoleChanges::default();
            for option in options {
                match option {
                    RoleOption::Superuser(v) => changes.superuser = Some(*v),
                    RoleOption::Login(v) => changes.can_login = Some(*v),
                    RoleOption::Inherit(v) => changes.inherit = Some(*v),
                    RoleOption::Password(p) => changes.password_verifier = Some(verifier_for(ctx, p).await?),
                }
            }
            // the store refuses, in the same transaction, a change that leaves no superuser
            // able to log in (demoting, NOLOGIN or PASSWORD NULL on the last one)
            ctx.rt.store.alter_role(name, &changes, &ctx.session.user).await?;
        }
    }
    Ok(Output::Command("ALTER ROLE"))
}
