//! Schedules: cron-fired DAGs of batch pipelines.
//!
//! Every gateway runs [`run`]: each tick it fires the schedules that are due and claims
//! runs nobody executes, then executes them ([`executor`]). Several gateways may share
//! one metadata store:
//!
//! - **Firing** is a compare-and-set on the schedule's `next_fire_at`, in the same
//!   transaction as the runs it makes — the gateway whose update matched fires; the
//!   others see the time moved and fire nothing. The unique index on (schedule,
//!   logical_time) of cron runs makes a duplicate impossible even so.
//! - **Executing** a run needs its lease (`runs.lease_owner`, `lease_until`), renewed
//!   every tick. A gateway that dies stops renewing; after the lease expires another
//!   claims the run and carries on from the stored task states (see [`executor`]).
//!
//! Times: the scheduler sleeps until the earliest fire time (at most [`TICK`]), so it is
//! never early and late by a tick at most. After downtime or a pause, missed fire times
//! follow `catchup`.

pub mod cron;
pub mod dag;
pub mod executor;
pub mod options;
pub mod task;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sluice_catalog::time::now_micros;
use sluice_catalog::{NewRun, ScheduleRecord, ScheduleTask};
use tokio::sync::{Notify, watch};

use self::cron::{CronSchedule, instant, micros};
use self::options::ScheduleSettings;
use crate::connectors::ResolvedOptions;
use crate::error::Result;
use crate::runtime::Runtime;

/// The longest the scheduler sleeps between looks at the store.
pub const TICK: Duration = Duration::from_millis(250);
/// Missed fire times made into runs by one tick (catchup); the rest follow next tick.
const CATCHUP_BATCH: usize = 1000;

/// A run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::TimedOut => "timed_out",
            RunState::Cancelled => "cancelled",
        }
    }
}

/// A task's state within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for its upstream, its retry delay, or its run.
    Queued,
    Running,
    Succeeded,
    Failed,
    /// An upstream task failed; it did not run.
    UpstreamFailed,
    /// Not run (an upstream was skipped, the run stopped on a failure, depends_on_past).
    Skipped,
    TimedOut,
    Cancelled,
}

impl TaskState {
    pub const ALL: &'static [TaskState] = &[
        TaskState::Queued,
        TaskState::Running,
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::UpstreamFailed,
        TaskState::Skipped,
        TaskState::TimedOut,
        TaskState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::UpstreamFailed => "upstream_failed",
            TaskState::Skipped => "skipped",
            TaskState::TimedOut => "timed_out",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// The state stored as `text` (an unknown one reads as failed).
    pub fn parse(text: &str) -> TaskState {
        TaskState::ALL.iter().copied().find(|s| s.as_str() == text).unwrap_or(TaskState::Failed)
    }

    /// The task ran and did not succeed.
    pub fn is_failure(self) -> bool {
        matches!(self, TaskState::Failed | TaskState::TimedOut)
    }

    pub fn is_final(self) -> bool {
        !matches!(self, TaskState::Queued | TaskState::Running)
    }
}

/// This gateway's scheduler: its name in leases, and the runs it executes.
pub struct Scheduler {
    pub id: String,
    pub lease: Duration,
    wake: Notify,
    executing: Mutex<HashSet<i64>>,
}

impl Scheduler {
    pub fn new(id: String, lease: Duration) -> Arc<Scheduler> {
        Arc::new(Scheduler { id, lease, wake: Notify::new(), executing: Mutex::new(HashSet::new()) })
    }

    /// Looks at the store now (a schedule or run was just made here).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn take(&self, run: i64) -> bool {
        self.executing.lock().map(|mut s| s.insert(run)).unwrap_or(false)
    }

    fn release(&self, run: i64) {
        if let Ok(mut s) = self.executing.lock() {
            s.remove(&run);
        }
    }
}

/// A stored schedule, read back: its cron, settings and DAG.
pub struct LoadedSchedule {
    pub record: ScheduleRecord,
    pub cron: CronSchedule,
    pub settings: ScheduleSettings,
    pub options: ResolvedOptions,
}

impl LoadedSchedule {
    pub fn new(record: ScheduleRecord) -> Result<LoadedSchedule> {
        let cron = CronSchedule::parse(&record.cron, &record.timezone)?;
        let options = ResolvedOptions::from_stored(&record.options, "schedule", &record.name)?;
        let settings = ScheduleSettings::new(&options)?;
        Ok(LoadedSchedule { record, cron, settings, options })
    }

    /// The run of the interval that ends at `fire`.
    pub fn run_at(&self, fire: DateTime<Utc>, trigger: &str, tasks: &[ScheduleTask]) -> NewRun {
        let (start, end) = self.cron.interval_ending(fire);
        NewRun {
            schedule: self.record.name.clone(),
            trigger: trigger.to_owned(),
            logical_time: micros(&fire),
            interval_start: micros(&start),
            interval_end: micros(&end),
            tasks: tasks.to_vec(),
        }
    }
}

/// Runs the scheduler until `shutdown` turns true.
pub async fn run(rt: Arc<Runtime>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let started = std::time::Instant::now();
        let ticked = tick(&rt).await;
        rt.metrics.scheduler_tick(started.elapsed());
        let next = match ticked {
            Ok(next) => next,
            Err(e) => {
                tracing::debug!(error = %e.message(), "scheduler tick failed");
                None
            }
        };
        let sleep = next
            .map(|at| Duration::from_micros((at - now_micros()).max(0) as u64))
            .map_or(TICK, |d| d.min(TICK));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = rt.scheduler.wake.notified() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// One look at the store: fires what is due, claims runs without a live gateway.
/// Returns the next fire time.
pub async fn tick(rt: &Arc<Runtime>) -> Result<Option<i64>> {
    let now = Utc::now();
    for record in rt.store.due_schedules(micros(&now)).await? {
        let name = record.name.clone();
        if let Err(e) = fire(rt, record, now).await {
            tracing::warn!(schedule = %name, error = %e.message(), "cannot fire schedule");
        }
    }
    claim(rt).await?;
    Ok(rt.store.next_fire_time().await?)
}

/// Fires `record`, due at `now`: one run per missed fire time (catchup) or only the latest.
async fn fire(rt: &Runtime, record: ScheduleRecord, now: DateTime<Utc>) -> Result<()> {
    let Some(due) = record.next_fire_at else { return Ok(()) };
    let schedule = LoadedSchedule::new(record)?;
    let first = instant(due);
    let mut fires = vec![first];
    fires.extend(schedule.cron.fire_times(first, now, CATCHUP_BATCH));
    let next = if schedule.settings.catchup && fires.len() > CATCHUP_BATCH {
        fires.truncate(CATCHUP_BATCH);
        fires.last().copied()
    } else {
        schedule.cron.next_after(now)
    };
    if !schedule.settings.catchup && fires.len() > 1 {
        fires.drain(..fires.len() - 1);
    }
    let tasks = rt.store.schedule_tasks(&schedule.record.name).await?;
    let runs: Vec<NewRun> = fires.iter().map(|f| schedule.run_at(*f, "cron", &tasks)).collect();
    let fired = rt.store.fire_schedule(&schedule.record.name, due, next.as_ref().map(micros), &runs).await?;
    if let Some(ids) = fired {
        let late = (now - first).to_std().unwrap_or_default();
        rt.metrics.fired_late(late);
        tracing::info!(schedule = %schedule.record.name, runs = ?ids, late_ms = late.as_millis() as u64, "fired");
    }
    Ok(())
}

/// Claims runs whose lease is free or expired, and executes them here.
async fn claim(rt: &Arc<Runtime>) -> Result<()> {
    let now = now_micros();
    let until = now + rt.scheduler.lease.as_micros() as i64;
    for run in rt.store.claimable_runs(now, 100).await? {
        if !rt.scheduler.take(run.id) {
            continue;
        }
        if rt.store.claim_run(run.id, &rt.scheduler.id, until, now).await? {
            if run.lease_owner.as_deref().is_some_and(|o| o != rt.scheduler.id) {
                tracing::info!(run = run.id, from = ?run.lease_owner, "took over a run whose gateway stopped");
            }
            tokio::spawn(executor::execute(rt.clone(), run.id));
        } else {
            rt.scheduler.release(run.id);
        }
    }
    Ok(())
}
