//! `ALTER SCHEDULE` — see [`AlterSchedule`]. A new cron or zone is checked like at CREATE
//! and moves the next fire time; new options are checked against the schedule's schema.

use chrono::Utc;

use super::schedule_access::load_schedule;
use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Output, require_owner};
use crate::connectors::validate::{reset_with, validate_with};
use crate::deploy::targets;
use crate::error::{Result, SluiceError};
use crate::scheduler::cron::{CronSchedule, micros};
use crate::scheduler::options::{ScheduleSettings, schema};
use crate::sql::ast::schedule::{AlterSchedule, AlterScheduleOperation};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterSchedule) -> Result<Output> {
    let name = statement.name.as_str();
    require_owner(ctx, ObjectKind::Schedule, name).await?;
    let loaded = load_schedule(ctx, name).await?;
    let mut record = loaded.record;
    match &statement.operation {
        AlterScheduleOperation::Set(options) => {
            let options = validate_with(schema(), &loaded.options, options)?;
            let settings = ScheduleSettings::new(&options)?;
            targets::check_exists(&ctx.rt.store, settings.target.as_deref()).await?;
            record.options = options.to_json();
        }
        AlterScheduleOperation::Reset(keys) => {
            let options = reset_with(schema(), &loaded.options, keys)?;
            ScheduleSettings::new(&options)?;
            record.options = options.to_json();
        }
        AlterScheduleOperation::Cron { cron, timezone } => {
            let zone = timezone.clone().unwrap_or_else(|| record.timezone.clone());
            let parsed = CronSchedule::parse(cron, &zone)?;
            record.cron = cron.clone();
            record.timezone = zone;
            record.next_fire_at = parsed.next_after(Utc::now()).as_ref().map(micros);
        }
        AlterScheduleOperation::Timezone(zone) => {
            let parsed = CronSchedule::parse(&record.cron, zone)?;
            record.timezone = zone.clone();
            record.next_fire_at = parsed.next_after(Utc::now()).as_ref().map(micros);
        }
    }
    if !ctx.rt.store.update_schedule(&record, "alter", &ctx.session.user).await? {
        return Err(SluiceError::UndefinedObject { kind: "schedule", name: name.to_owned() });
    }
    ctx.rt.scheduler.wake();
    Ok(Output::Command("ALTER SCHEDULE"))
}
