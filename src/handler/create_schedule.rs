//! `CREATE SCHEDULE` — see [`CreateSchedule`] for the syntax. Everything is checked before
//! anything is stored: the cron expression and zone (22023), the options, the DAG (no
//! cycle: 42P17 printing it), and every task's pipeline — it exists (42704) and is a
//! batch pipeline (0A000: a streaming job never ends, so nothing could run after it).

use chrono::Utc;
use sluice_catalog::{ScheduleRecord, StoreError};

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Notice, Output, require_create};
use crate::connectors::ResolvedOptions;
use crate::connectors::validate::validate_with;
use crate::deploy::targets;
use crate::error::{Result, SluiceError};
use crate::scheduler::cron::{CronSchedule, DEFAULT_ZONE, micros};
use crate::scheduler::dag;
use crate::scheduler::options::{ScheduleSettings, schema};
use crate::sql::ast::schedule::{CreateSchedule, Task, tasks_sql};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateSchedule) -> Result<Output> {
    let name = statement.name.as_str();
    let rights =
        require_create(ctx, "schedules", statement.or_replace.then_some((ObjectKind::Schedule, name)))
            .await?;
    if statement.if_not_exists && ctx.rt.store.schedule(name).await?.is_some() {
        ctx.notices.push(Notice::notice(format!("schedule \"{name}\" already exists, skipping")));
        return Ok(Output::Command("CREATE SCHEDULE"));
    }
    let zone = statement.timezone.as_deref().unwrap_or(DEFAULT_ZONE);
    let cron = CronSchedule::parse(&statement.cron, zone)?;
    let options = validate_with(schema(), &ResolvedOptions::default(), &statement.options)?;
    let settings = ScheduleSettings::new(&options)?;
    targets::check_exists(&ctx.rt.store, settings.target.as_deref()).await?;
    let tasks = dag::check(name, &statement.tasks)?;
    check_pipelines(ctx, name, &statement.tasks).await?;
    for task in &statement.tasks {
        rights.require(Privilege::Operate, ObjectKind::Pipeline, task.pipeline.as_str()).await?;
    }

    let next = cron.next_after(Utc::now());
    let record = ScheduleRecord {
        name: name.to_owned(),
        cron: statement.cron.clone(),
        timezone: zone.to_owned(),
        options: options.to_json(),
        body: tasks_sql(&statement.tasks),
        state: "active".into(),
        next_fire_at: next.as_ref().map(micros),
        owner: ctx.session.user.clone(),
        created_at: 0,
        updated_at: 0,
    };
    ctx.rt.store.put_schedule(&record, &tasks, statement.or_replace, &ctx.session.user).await.map_err(
        |e| match e {
            StoreError::AlreadyExists { .. } => {
                SluiceError::DuplicateObject { kind: "schedule", name: name.to_owned() }
            }
            other => other.into(),
        },
    )?;
    if let Some(next) = next {
        let local = next.with_timezone(&cron.zone());
        ctx.notices.push(Notice::notice(format!("schedule \"{name}\" fires next at {local}")));
    }
    ctx.rt.scheduler.wake();
    Ok(Output::Command("CREATE SCHEDULE"))
}

/// Every task's pipeline exists and is a batch pipeline.
pub async fn check_pipelines(ctx: &Ctx<'_>, schedule: &str, tasks: &[Task]) -> Result<()> {
    for task in tasks {
        let pipeline = task.pipeline.as_str();
        let Some(record) = ctx.rt.store.pipeline(pipeline).await? else {
            return Err(SluiceError::UndefinedObject { kind: "pipeline", name: pipeline.to_owned() });
        };
        if record.mode == sluice_catalog::PipelineMode::Streaming {
            return Err(SluiceError::not_supported(
                format!(
                    "pipeline \"{pipeline}\" is a streaming pipeline; schedule \"{schedule}\" can only run batch pipelines"
                ),
                Some(
                    "A streaming job never ends, so nothing could run after it: START it instead, or ALTER PIPELINE … SET (mode = 'batch').",
                ),
            ));
        }
    }
    Ok(())
}
