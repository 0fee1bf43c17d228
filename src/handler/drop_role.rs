//! `DROP ROLE` — see [`DropRole`] for the syntax.

use super::{Ctx, Notice, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::sql::ast::DropRole;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropRole) -> Result<Output> {
    require_superuser(ctx, "drop roles").await?;
    // Check every name first so that a failing statement drops nothing.
    let mut to_drop = Vec::new();
    for name in &statement.names {
        let name = name.as_str();
        super::create_role::refuse_predefined(name, "drop")?;
        if name == ctx.session.user {
            return Err(SluiceError::ObjectInUse("current user cannot be dropped".into()));
        }
        if ctx.rt.store.role(name).await?.is_none() {
            if statement.if_exists {
                ctx.notices.push(Notice::notice(format!("role \"{name}\" does not exist, skipping")));
                continue;
            }
            return Err(SluiceError::UndefinedObject { kind: "role", name: name.to_owned() });
        }
        let owned = ctx.rt.store.owned_by(name).await?;
        if !owned.is_empty() {
            let objects: Vec<String> =
                owned.iter().map(|(kind, object)| format!("{} {object}", kind.as_str())).collect();
            return Err(SluiceError::DependentObjects {
                what: format!("drop role \"{name}\""),
                detail: format!("owner of {}", objects.join(", ")),
                hint: Some("Hand them over first: ALTER … OWNER TO another role (or drop them)."),
            });
        }
        to_drop.push(name);
    }
    // one transaction, which refuses to leave no superuser that can log in
    ctx.rt.store.drop_roles(&to_drop, &ctx.session.user).await?;
    Ok(Output::Command("DROP ROLE"))
}
