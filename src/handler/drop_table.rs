//! `DROP TABLE source.table` — forgets a declared table (see [`DropTable`]).

use super::create_table::declared_path;
use super::{Ctx, Notice, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::sql::ast::table::DropTable;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropTable) -> Result<Output> {
    require_superuser(ctx, "drop tables").await?;
    let (source, table) = declared_path(&statement.name)?;
    if ctx.rt.store.drop_declared_table(source, "", table, &ctx.session.user).await? {
        return Ok(Output::Command("DROP TABLE"));
    }
    if statement.if_exists {
        ctx.notices.push(Notice::notice(format!("table \"{}\" does not exist, skipping", statement.name)));
        return Ok(Output::Command("DROP TABLE"));
    }
    Err(SluiceError::UndefinedTable { name: statement.name.to_string(), pos: None })
}
