//! `REVOKE [ GRANT OPTION FOR ] … ON kind name FROM role` — see [`RevokePrivileges`]. The
//! same roles that may grant a privilege may revoke it; revoking what was never granted
//! changes nothing (a WARNING says so, as in PostgreSQL).

use super::grant::{checked, new_grants};
use super::{Ctx, Notice, Output};
use crate::error::Result;
use crate::sql::ast::grant::RevokePrivileges;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &RevokePrivileges) -> Result<Output> {
    let items = checked(ctx, &statement.privileges, &statement.objects, &statement.grantees).await?;
    let rows = new_grants(&items, false);
    let changed =
        ctx.rt.store.revoke_privileges(&rows, statement.grant_option_for, &ctx.session.user).await?;
    if changed == 0 {
        ctx.notices.push(Notice::warning(
            format!("no privileges could be revoked from {}", statement.objects),
            None,
        ));
    }
    Ok(Output::Command("REVOKE"))
}
