//! `REVOKE [ ADMIN OPTION FOR ] role FROM member` — see [`RevokeRole`] for the syntax.

use super::grant_role::check;
use super::{Ctx, Notice, Output};
use crate::error::Result;
use crate::sql::ast::grant::RevokeRole;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &RevokeRole) -> Result<Output> {
    check(ctx, &statement.roles, &statement.members).await?;
    for role in &statement.roles {
        for member in &statement.members {
            let store = &ctx.rt.store;
            if !store
                .revoke_membership(
                    role.as_str(),
                    member.as_str(),
                    statement.admin_option_for,
                    &ctx.session.user,
                )
                .await?
            {
                ctx.notices.push(Notice::warning(
                    format!("role \"{member}\" has not been granted membership in role \"{role}\""),
                    None,
                ));
            }
        }
    }
    Ok(Output::Command("REVOKE ROLE"))
}
