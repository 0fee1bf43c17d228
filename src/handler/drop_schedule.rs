//! `DROP SCHEDULE [IF EXISTS] name [, …]` — see [`DropSchedule`]. Every name is checked
//! before any is dropped. Queued runs are cancelled; running ones finish; history stays.

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_owner};
use crate::error::{Result, SluiceError};
use crate::sql::ast::schedule::DropSchedule;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &DropSchedule) -> Result<Output> {
    for name in &statement.names {
        require_owner(ctx, ObjectKind::Schedule, name.as_str()).await?;
    }
    let mut existing = Vec::new();
    for name in &statement.names {
        if ctx.rt.store.schedule(name.as_str()).await?.is_none() {
            if statement.if_exists {
                ctx.notices.push(Notice::notice(format!("schedule \"{name}\" does not exist, skipping")));
                continue;
            }
            return Err(SluiceError::UndefinedObject { kind: "schedule", name: name.as_str().to_owned() });
        }
        existing.push(name.as_str());
    }
    for name in existing {
        ctx.rt.store.drop_schedule(name, &ctx.session.user).await?;
    }
    Ok(Output::Command("DROP SCHEDULE"))
}
