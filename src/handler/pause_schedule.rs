//! `PAUSE SCHEDULE name` and `RESUME SCHEDULE name` — see [`SetScheduleState`]. The next
//! fire time is kept while paused, so that on RESUME the fire times missed meanwhile
//! follow `catchup`.

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::schedule_access::load_schedule;
use super::{Ctx, Output, require};
use crate::error::Result;
use crate::sql::ast::schedule::SetScheduleState;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &SetScheduleState) -> Result<Output> {
    require(ctx, Privilege::Operate, ObjectKind::Schedule, statement.name.as_str()).await?;
    let mut record = load_schedule(ctx, statement.name.as_str()).await?.record;
    record.state = if statement.pause { "paused" } else { "active" }.into();
    ctx.rt
        .store
        .update_schedule(&record, if statement.pause { "pause" } else { "resume" }, &ctx.session.user)
        .await?;
    ctx.rt.scheduler.wake();
    Ok(Output::Command(if statement.pause { "PAUSE SCHEDULE" } else { "RESUME SCHEDULE" }))
}
