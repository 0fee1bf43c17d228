//! `ALTER SECRET` — see [`AlterSecret`] for the syntax.

use super::create_secret::seal;
use super::{Ctx, Output, require_superuser};
use crate::error::Result;
use crate::sql::ast::secret::AlterSecret;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterSecret) -> Result<Output> {
    require_superuser(ctx, "alter secrets").await?;
    let record = seal(ctx, statement.name.as_str(), &statement.value);
    ctx.rt.store.alter_secret(&record, &ctx.session.user).await?;
    Ok(Output::Command("ALTER SECRET"))
}
