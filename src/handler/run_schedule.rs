//! `RUN SCHEDULE name [FOR RANGE 'from' TO 'to']` — see [`RunSchedule`]. Runs are queued
//! in the store and picked up by a scheduler (this gateway's, woken at once, or another's).

use chrono::Utc;

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::schedule_access::load_schedule;
use super::{Ctx, Notice, Output, require};
use crate::error::{Result, SluiceError};
use crate::sql::ast::schedule::RunSchedule;

/// The most runs one backfill makes.
const MAX_BACKFILL: usize = 10_000;

pub async fn run(ctx: &mut Ctx<'_>, statement: &RunSchedule) -> Result<Output> {
    require(ctx, Privilege::Operate, ObjectKind::Schedule, statement.name.as_str()).await?;
    let schedule = load_schedule(ctx, statement.name.as_str()).await?;
    let tasks = ctx.rt.store.schedule_tasks(&schedule.record.name).await?;
    let invalid =
        |message: String| SluiceError::InvalidValue { name: "FOR RANGE".into(), message, hint: None };
    let runs = match &statement.range {
        None => {
            // the latest complete interval
            let now = Utc::now();
            let end = schedule.cron.previous_before(now).unwrap_or(now);
            vec![schedule.run_at(end, "manual", &tasks)]
        }
        Some((from, to)) => {
            let (from, to) = (schedule.cron.parse_local(from)?, schedule.cron.parse_local(to)?);
            if from >= to {
                return Err(invalid("the range's start must be before its end".into()));
            }
            let fires = schedule.cron.fire_times(from, to, MAX_BACKFILL + 1);
            if fires.len() > MAX_BACKFILL {
                return Err(invalid(format!(
                    "the range holds more than {MAX_BACKFILL} intervals; backfill it in parts"
                )));
            }
            let runs: Vec<_> = fires
                .into_iter()
                .filter(|f| schedule.cron.previous_before(*f).is_some_and(|p| p >= from))
                .map(|f| schedule.run_at(f, "backfill", &tasks))
                .collect();
            if runs.is_empty() {
                return Err(invalid(format!(
                    "no interval of schedule \"{}\" (cron '{}') lies within the range",
                    schedule.record.name, schedule.record.cron
                )));
            }
            runs
        }
    };
    let ids = ctx.rt.store.add_runs(&runs).await?;
    let zone = schedule.cron.zone();
    for (id, run) in ids.iter().zip(&runs) {
        let local = |m: i64| crate::scheduler::cron::instant(m).with_timezone(&zone).naive_local();
        ctx.notices.push(Notice::notice(format!(
            "run {id} of schedule \"{}\" queued for [{}, {})",
            schedule.record.name,
            local(run.interval_start),
            local(run.interval_end)
        )));
    }
    ctx.rt.scheduler.wake();
    Ok(Output::Command("RUN SCHEDULE"))
}
