//! `GRANT role TO member` — see [`GrantRole`] for the syntax. Superusers, and members of
//! the role WITH ADMIN OPTION, may grant it; a membership that would make a role a member
//! of itself is refused (0LP01).

use sluice_catalog::privileges::Access;
use sluice_catalog::store::grants::NewMembership;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError, SqlState};
use crate::sql::ast::Ident;
use crate::sql::ast::grant::GrantRole;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &GrantRole) -> Result<Output> {
    check(ctx, &statement.roles, &statement.members).await?;
    let memberships = ctx.rt.store.memberships().await?;
    for role in &statement.roles {
        for member in &statement.members {
            // role would reach member: granting member would close a loop
            let above = Access::resolve(role.as_str(), false, &memberships, Vec::new());
            if above.member_of.contains(member.as_str()) {
                return Err(SluiceError::Query {
                    state: SqlState::InvalidGrantOperation,
                    message: format!("role \"{member}\" is a member of role \"{role}\""),
                    hint: Some("A role cannot be a member of itself, directly or through others.".into()),
                    pos: None,
                });
            }
        }
    }
    for role in &statement.roles {
        for member in &statement.members {
            let membership = NewMembership {
                role: role.as_str(),
                member: member.as_str(),
                admin_option: statement.admin,
                inherit: statement.inherit,
            };
            ctx.rt.store.grant_membership(&membership, &ctx.session.user).await?;
        }
    }
    Ok(Output::Command("GRANT ROLE"))
}

/// The roles and members exist, and the session's role may administer every role.
pub async fn check(ctx: &Ctx<'_>, roles: &[Ident], members: &[Ident]) -> Result<()> {
    for name in roles.iter().chain(members) {
        if ctx.rt.store.role(name.as_str()).await?.is_none() {
            return Err(SluiceError::UndefinedObject { kind: "role", name: name.as_str().to_owned() });
        }
    }
    let rights = ctx.actor().rights(ctx.rt).await?;
    for role in roles {
        if !rights.is_superuser() && !rights.access.admin_of.contains(role.as_str()) {
            return Err(SluiceError::PermissionDenied(format!(
                "permission denied to grant role \"{role}\": only superusers and roles with ADMIN OPTION on it may"
            )));
        }
    }
    Ok(())
}
