//! `DROP TABLE source.[database.]table` — forgets a declared table (see [`DropTable`]).
//! A table of an introspected source is read from the source again when next used.

use super::create_table::{declared_path, source_part};
use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Notice, Output, require};
use crate::error::{Result, SluiceError};
use crate::sql::ast::table::DropTable;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropTable) -> Result<Output> {
    let source = source_part(&statement.name)?;
    require(ctx, Privilege::Usage, ObjectKind::Source, source).await?;
    let Some(record) = ctx.rt.store.source(source).await? else {
        if statement.if_exists {
            ctx.notices.push(Notice::notice(format!("source \"{source}\" does not exist, skipping")));
            return Ok(Output::Command("DROP TABLE"));
        }
        return Err(SluiceError::UndefinedObject { kind: "source", name: source.to_owned() });
    };
    let source_type = crate::connectors::lookup_type(&record.source_type)?;
    let (database, table) = declared_path(&statement.name, source_type)?;
    if ctx.rt.store.drop_declared_table(source, database, table, &ctx.session.user).await? {
        return Ok(Output::Command("DROP TABLE"));
    }
    if statement.if_exists {
        ctx.notices.push(Notice::notice(format!("table \"{}\" does not exist, skipping", statement.name)));
        return Ok(Output::Command("DROP TABLE"));
    }
    Err(SluiceError::UndefinedTable { name: statement.name.to_string(), pos: None })
}
