//! `ALTER SECRET` — see [`AlterSecret`] for the syntax.

use super::create_secret::seal;
use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Output, require_owner};
use crate::error::Result;
use crate::sql::ast::secret::AlterSecret;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterSecret) -> Result<Output> {
    require_owner(ctx, ObjectKind::Secret, statement.name.as_str()).await?;
    let record = seal(ctx, statement.name.as_str(), &statement.value);
    ctx.rt.store.alter_secret(&record, &ctx.session.user).await?;
    Ok(Output::Command("ALTER SECRET"))
}
