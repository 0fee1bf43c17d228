//! `DROP SECRET` — see [`DropSecret`] for the syntax.

use sluice_catalog::StoreError;

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::error::{Result, SluiceError};
use crate::sql::ast::secret::DropSecret;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropSecret) -> Result<Output> {
    require_owner(ctx, ObjectKind::Secret, statement.name.as_str()).await?;
    let name = statement.name.as_str();
    match ctx.rt.store.drop_secret(name, &ctx.session.user).await {
        Ok(true) => Ok(Output::Command("DROP SECRET")),
        Ok(false) if statement.if_exists => {
            ctx.notices.push(Notice::notice(format!("secret \"{name}\" does not exist, skipping")));
            Ok(Output::Command("DROP SECRET"))
        }
        Ok(false) => Err(SluiceError::UndefinedObject { kind: "secret", name: name.to_owned() }),
        Err(StoreError::InUse { users, .. }) => Err(SluiceError::DependentObjects {
            what: format!("drop secret \"{name}\""),
            detail: format!("used by source{} {}", if users.len() > 1 { "s" } else { "" }, users.join(", ")),
            hint: Some("Drop those sources, or ALTER SOURCE … SET the option to another secret, first."),
        }),
        Err(e) => Err(e.into()),
    }
}
