//! `SHOW SCHEDULES`, `DESCRIBE SCHEDULE name` (its DAG and next fire times),
//! `DESCRIBE SCHEDULE OPTIONS` and `SHOW RUNS [FOR SCHEDULE s | FOR PIPELINE p]`.

use std::collections::HashMap;

use chrono::Utc;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::schedule_access::load_schedule;
use super::{Ctx, Output, opt_text, rows, text, text_array, text_list, timestamp, timestamptz};
use crate::error::{Result, SluiceError};
use crate::scheduler::cron::micros;
use crate::sql::ast::Ident;
use crate::sql::ast::schedule::RunsFilter;

/// Fire times DESCRIBE SCHEDULE shows.
const NEXT_FIRES: usize = 5;
/// Rows SHOW RUNS shows (the newest runs' tasks).
const RUN_ROWS: i64 = 1000;

fn time(micros: Option<i64>) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(micros, Some("UTC".into()))
}

/// name, cron, timezone, state, next_fire_at, tasks, options, owner, created_at.
pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let mut out = Vec::new();
    for s in ctx.rt.store.schedules().await? {
        let tasks = ctx.rt.store.schedule_tasks(&s.name).await?.len();
        out.push(vec![
            text(s.name),
            text(s.cron),
            text(s.timezone),
            text(s.state),
            time(s.next_fire_at),
            ScalarValue::Int64(Some(tasks as i64)),
            text(s.options),
            text(s.owner),
            timestamp(s.created_at),
        ]);
    }
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("cron", DataType::Utf8),
            ("timezone", DataType::Utf8),
            ("state", DataType::Utf8),
            ("next_fire_at", timestamptz()),
            ("tasks", DataType::Int64),
            ("options", DataType::Utf8),
            ("owner", DataType::Utf8),
            ("created_at", timestamptz()),
        ],
        out,
    )
}

/// A row per task — kind `task`, the pipeline, what it runs after, its level in the DAG
/// (0: starts first) — then a row per next fire time (kind `fire`, with the interval that
/// run covers).
pub async fn describe(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let schedule = load_schedule(ctx, name.as_str()).await?;
    let tasks = ctx.rt.store.schedule_tasks(name.as_str()).await?;
    let mut level: HashMap<&str, i64> = HashMap::new();
    // tasks are stored in an order where every AFTER may come later; settle levels by passes
    for _ in 0..tasks.len() {
        for t in &tasks {
            let l = t.upstream.iter().map(|u| level.get(u.as_str()).map_or(0, |l| l + 1)).max().unwrap_or(0);
            level.insert(t.pipeline.as_str(), l);
        }
    }
    let mut out: Vec<Vec<ScalarValue>> = tasks
        .iter()
        .map(|t| {
            vec![
                text("task"),
                text(t.pipeline.clone()),
                text_list(&t.upstream),
                ScalarValue::Int64(level.get(t.pipeline.as_str()).copied()),
                time(None),
                time(None),
            ]
        })
        .collect();
    if schedule.record.state == "active" {
        let mut at = Utc::now();
        for _ in 0..NEXT_FIRES {
            let Some(fire) = schedule.cron.next_after(at) else { break };
            let (start, end) = schedule.cron.interval_ending(fire);
            out.push(vec![
                text("fire"),
                ScalarValue::Utf8(None),
                ScalarValue::try_from(&text_array())?,
                ScalarValue::Int64(None),
                time(Some(micros(&start))),
                time(Some(micros(&end))),
            ]);
            at = fire;
        }
    }
    rows(
        "DESCRIBE",
        &[
            ("kind", DataType::Utf8),
            ("pipeline", DataType::Utf8),
            ("runs_after", text_array()),
            ("level", DataType::Int64),
            ("interval_start", timestamptz()),
            ("fire_at", timestamptz()),
        ],
        out,
    )
}

pub fn options() -> Result<Output> {
    super::describe_pipeline::option_rows(crate::scheduler::options::OPTIONS, &[])
}

/// A row per task of each run, newest run first: run, schedule, trigger, interval_start,
/// interval_end, run_state, pipeline, state, attempt, deployment, started_at,
/// finished_at, error.
pub async fn runs(ctx: &mut Ctx<'_>, filter: &RunsFilter) -> Result<Output> {
    let store = &ctx.rt.store;
    let (schedule, pipeline) = match filter {
        RunsFilter::All => (None, None),
        RunsFilter::Schedule(s) => {
            if store.schedule(s.as_str()).await?.is_none()
                && store.run_listing(Some(s.as_str()), None, 1).await?.is_empty()
            {
                return Err(SluiceError::UndefinedObject { kind: "schedule", name: s.as_str().to_owned() });
            }
            (Some(s.as_str()), None)
        }
        RunsFilter::Pipeline(p) => {
            if store.pipeline(p.as_str()).await?.is_none()
                && store.run_listing(None, Some(p.as_str()), 1).await?.is_empty()
            {
                return Err(SluiceError::UndefinedObject { kind: "pipeline", name: p.as_str().to_owned() });
            }
            (None, Some(p.as_str()))
        }
    };
    let out = store
        .run_listing(schedule, pipeline, RUN_ROWS)
        .await?
        .into_iter()
        .map(|(run, task)| {
            vec![
                ScalarValue::Int64(Some(run.id)),
                opt_text(run.schedule),
                text(run.trigger),
                time(run.interval_start),
                time(run.interval_end),
                text(run.state),
                text(task.pipeline),
                text(task.state),
                ScalarValue::Int64(Some(task.attempt)),
                ScalarValue::Int64(task.deployment),
                time(task.started_at),
                time(task.finished_at),
                opt_text(task.error),
            ]
        })
        .collect();
    rows(
        "SHOW",
        &[
            ("run", DataType::Int64),
            ("schedule", DataType::Utf8),
            ("trigger", DataType::Utf8),
            ("interval_start", timestamptz()),
            ("interval_end", timestamptz()),
            ("run_state", DataType::Utf8),
            ("pipeline", DataType::Utf8),
            ("state", DataType::Utf8),
            ("attempt", DataType::Int64),
            ("deployment", DataType::Int64),
            ("started_at", timestamptz()),
            ("finished_at", timestamptz()),
            ("error", DataType::Utf8),
        ],
        out,
    )
}
