//! Executing one run in the gateway that holds its lease: start it when the schedule
//! allows (max_active_runs, depends_on_past), start each task once its upstream tasks
//! have succeeded, retry failed ones, time out, and record every step in the store —
//! fenced on the lease, so a gateway that lost the run changes nothing.
//!
//! A run taken over from a gateway that died finds its tasks where they were: a task
//! whose deployment still runs on an engine is waited for, never submitted again; one
//! that ran inside the dead gateway (local) was rolled back with it and runs again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sluice_catalog::time::now_micros;
use sluice_catalog::{DeploymentChange, RunRecord, RunTaskRecord, ScheduleRecord, TaskChange};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::cron::{CronSchedule, instant};
use super::options::ScheduleSettings;
use super::task::{Attempt, Outcome};
use super::{RunState, TaskState};
use crate::connectors::ResolvedOptions;
use crate::deploy::State;
use crate::error::Result;
use crate::runtime::Runtime;
use crate::sql::placeholders::Interval;

const TICK: Duration = Duration::from_millis(200);

/// Executes run `id` until it ends or this gateway loses its lease.
pub async fn execute(rt: Arc<Runtime>, id: i64) {
    let mut run = Executor::new(rt.clone(), id);
    if let Err(e) = run.go().await {
        tracing::warn!(run = id, error = %e.message(), "schedule run stopped in this gateway");
    }
    run.cancel.cancel();
    rt.scheduler.release(id);
}

/// An attempt's outcome, by pipeline.
type Reported = (String, Outcome);

struct Executor {
    rt: Arc<Runtime>,
    id: i64,
    me: String,
    cancel: CancellationToken,
    /// Attempts running in this gateway, by pipeline.
    attempts: HashMap<String, CancellationToken>,
    /// Attempts report their outcome (pipeline, outcome) here.
    outcomes: (mpsc::UnboundedSender<Reported>, mpsc::UnboundedReceiver<Reported>),
}

/// What the run's schedule says (defaults when it was dropped meanwhile).
struct Rules {
    settings: ScheduleSettings,
    owner: String,
    interval: Interval,
}

impl Executor {
    fn new(rt: Arc<Runtime>, id: i64) -> Executor {
        let me = rt.scheduler.id.clone();
        Executor {
            rt,
            id,
            me,
            cancel: CancellationToken::new(),
            attempts: HashMap::new(),
            outcomes: mpsc::unbounded_channel(),
        }
    }

    async fn rules(&self, run: &RunRecord) -> Result<Rules> {
        let schedule: Option<ScheduleRecord> = match &run.schedule {
            Some(name) => self.rt.store.schedule(name).await?,
            None => None,
        };
        let (settings, owner, cron) = match &schedule {
            Some(s) => {
                let options = ResolvedOptions::from_stored(&s.options, "schedule", &s.name)?;
                (
                    ScheduleSettings::new(&options)?,
                    s.owner.clone(),
                    CronSchedule::parse(&s.cron, &s.timezone).ok(),
                )
            }
            None => (
                ScheduleSettings::new(&ResolvedOptions::default())?,
                crate::bootstrap::SUPERUSER.to_owned(),
                None,
            ),
        };
        let (start, end) = (instant(run.interval_start.unwrap_or(0)), instant(run.interval_end.unwrap_or(0)));
        let interval = match &cron {
            Some(c) => c.wall_clock(start, end),
            None => Interval { start: start.naive_utc(), end: end.naive_utc() },
        };
        Ok(Rules { settings, owner, interval })
    }

    async fn go(&mut self) -> Result<()> {
        let store = self.rt.store.clone();
        let Some(first) = store.run(self.id).await? else { return Ok(()) };
        let rules = self.rules(&first).await?;
        let lease = self.rt.scheduler.lease;
        loop {
            let until = now_micros() + lease.as_micros() as i64;
            if !store.renew_run(self.id, &self.me, until).await? {
                // Another gateway has the run (or it ended): stop what runs here.
                self.cancel.cancel();
                return Ok(());
            }
            let Some(run) = store.run(self.id).await? else { return Ok(()) };
            if run.state == RunState::Queued.as_str() && !self.start(&run, &rules).await? {
                self.pause(&rules).await;
                continue;
            }
            let tasks = store.run_tasks(self.id).await?;
            if let Some(limit) = rules.settings.timeout
                && let Some(started) = run.started_at
                && now_micros() - started > limit.as_micros() as i64
            {
                return self.time_out(&tasks, limit).await;
            }
            let started = std::time::Instant::now();
            let ended = self.step(&run, &rules, &tasks).await?;
            self.rt.metrics.run_step(started.elapsed());
            if ended {
                return Ok(());
            }
            self.pause(&rules).await;
        }
    }

    /// Waits a tick, or until an attempt reports; applies what attempts reported.
    async fn pause(&mut self, rules: &Rules) {
        let received = tokio::select! {
            r = self.outcomes.1.recv() => r,
            _ = tokio::time::sleep(TICK) => None,
        };
        let mut reports: Vec<(String, Outcome)> = received.into_iter().collect();
        while let Ok(r) = self.outcomes.1.try_recv() {
            reports.push(r);
        }
        for (pipeline, outcome) in reports {
            self.attempts.remove(&pipeline);
            if let Err(e) = self.record(rules, &pipeline, outcome).await {
                tracing::warn!(run = self.id, pipeline, error = %e.message(), "cannot record a task's end");
            }
        }
    }

    /// Queued → running when the schedule allows; whether it does.
    async fn start(&self, run: &RunRecord, rules: &Rules) -> Result<bool> {
        let store = &self.rt.store;
        if let (Some(schedule), Some(at)) = (&run.schedule, run.logical_time) {
            // runs start in order of their intervals
            if store.earlier_run_in(schedule, at, &["queued"]).await? {
                return Ok(false);
            }
            if rules.settings.depends_on_past && store.earlier_run_in(schedule, at, &["running"]).await? {
                return Ok(false);
            }
            if store.running_runs(schedule).await? >= rules.settings.max_active_runs {
                return Ok(false);
            }
        }
        store.set_run_state(self.id, &self.me, RunState::Running.as_str(), now_micros(), None).await?;
        Ok(true)
    }

    /// One pass over the tasks; whether the run has ended.
    async fn step(&mut self, run: &RunRecord, rules: &Rules, tasks: &[RunTaskRecord]) -> Result<bool> {
        let state_of: HashMap<&str, TaskState> =
            tasks.iter().map(|t| (t.pipeline.as_str(), TaskState::parse(&t.state))).collect();
        let failed = tasks.iter().find(|t| TaskState::parse(&t.state).is_failure());
        let now = now_micros();
        for task in tasks {
            let state = TaskState::parse(&task.state);
            match state {
                TaskState::Queued => {
                    let upstream: Vec<(&str, TaskState)> = task
                        .upstream
                        .iter()
                        .map(|u| {
                            (u.as_str(), state_of.get(u.as_str()).copied().unwrap_or(TaskState::Succeeded))
                        })
                        .collect();
                    if let Some((u, _)) =
                        upstream.iter().find(|(_, s)| s.is_failure() || *s == TaskState::UpstreamFailed)
                    {
                        self.end_task(
                            task,
                            TaskState::UpstreamFailed,
                            Some(format!("upstream task \"{u}\" did not succeed")),
                        )
                        .await?;
                    } else if let Some((u, _)) =
                        upstream.iter().find(|(_, s)| matches!(s, TaskState::Skipped | TaskState::Cancelled))
                    {
                        self.end_task(
                            task,
                            TaskState::Skipped,
                            Some(format!("upstream task \"{u}\" was skipped")),
                        )
                        .await?;
                    } else if let Some(f) = failed.filter(|_| !rules.settings.continue_on_failure) {
                        let why = format!(
                            "the run stopped after task \"{}\" failed (on_failure = 'stop')",
                            f.pipeline
                        );
                        self.end_task(task, TaskState::Skipped, Some(why)).await?;
                    } else if upstream.iter().all(|(_, s)| *s == TaskState::Succeeded)
                        && task.not_before.is_none_or(|t| t <= now)
                        && self.attempts.len() < rules.settings.max_active_tasks
                    {
                        self.begin(run, rules, task, None).await?;
                    }
                }
                TaskState::Running if !self.attempts.contains_key(&task.pipeline) => {
                    self.adopt(run, rules, task).await?;
                }
                _ => {}
            }
        }
        let tasks = self.rt.store.run_tasks(self.id).await?;
        if !self.attempts.is_empty() || tasks.iter().any(|t| !TaskState::parse(&t.state).is_final()) {
            return Ok(false);
        }
        let bad = tasks.iter().find(|t| {
            TaskState::parse(&t.state) != TaskState::Succeeded
                && TaskState::parse(&t.state) != TaskState::Skipped
        });
        let (state, error) = match bad {
            None => (RunState::Succeeded, None),
            Some(t) => (RunState::Failed, Some(format!("task \"{}\" {}", t.pipeline, t.state))),
        };
        self.rt
            .store
            .set_run_state(self.id, &self.me, state.as_str(), now_micros(), error.as_deref())
            .await?;
        Ok(true)
    }

    /// Starts an attempt of `task` (or, with `adopt`, waits for that deployment).
    async fn begin(
        &mut self,
        run: &RunRecord,
        rules: &Rules,
        task: &RunTaskRecord,
        adopt: Option<i64>,
    ) -> Result<()> {
        if adopt.is_none() {
            if rules.settings.depends_on_past
                && let (Some(schedule), Some(at)) = (&run.schedule, run.logical_time)
                && let Some(previous) =
                    self.rt.store.previous_task_state(schedule, at, &task.pipeline).await?
                && previous != TaskState::Succeeded.as_str()
            {
                let why = format!("its previous run ended {previous} (depends_on_past)");
                return self.end_task(task, TaskState::Skipped, Some(why)).await;
            }
            let change = TaskChange {
                state: Some(TaskState::Running.as_str().into()),
                attempt: Some(task.attempt + 1),
                not_before: Some(None),
                deployment: Some(None),
                started_at: Some(Some(now_micros())),
                finished_at: Some(None),
                error: Some(None),
            };
            if !self.rt.store.set_task(self.id, &task.pipeline, &self.me, &change).await? {
                return Ok(());
            }
        }
        let token = self.cancel.child_token();
        self.attempts.insert(task.pipeline.clone(), token.clone());
        let attempt = Attempt {
            rt: self.rt.clone(),
            owner: rules.owner.clone(),
            pipeline: task.pipeline.clone(),
            interval: rules.interval,
            target: rules.settings.target.clone(),
            timeout: rules.settings.task_timeout,
            cancel: token,
            adopt,
            run: self.id,
            me: self.me.clone(),
        };
        let report = self.outcomes.0.clone();
        let pipeline = task.pipeline.clone();
        tokio::spawn(async move {
            let outcome = attempt.run().await;
            let _ = report.send((pipeline, outcome));
        });
        Ok(())
    }

    /// A task left running by another gateway (or by this one before a restart).
    async fn adopt(&mut self, run: &RunRecord, rules: &Rules, task: &RunTaskRecord) -> Result<()> {
        let store = &self.rt.store;
        let started = task.started_at.unwrap_or(0);
        let deployment = match task.deployment {
            Some(id) => store.deployment(id).await?,
            None => store
                .deployments(Some(&task.pipeline))
                .await?
                .into_iter()
                .filter(|d| d.created_at >= started)
                .max_by_key(|d| d.id),
        };
        let Some(d) = deployment else {
            // it never reached an engine: run it again as the same attempt
            return self.requeue(task, "its gateway stopped before the pipeline was submitted").await;
        };
        match d.state {
            State::Finished => self.record(rules, &task.pipeline, Outcome::Succeeded).await,
            s if !s.is_active() => {
                let why =
                    d.last_error.clone().unwrap_or_else(|| format!("deployment {} ended {}", d.id, d.state));
                self.record(rules, &task.pipeline, Outcome::Failed(why)).await
            }
            _ if d.engine == sluice_catalog::JobEngine::DataFusion
                && !self.rt.deployments.runs_here(d.id) =>
            {
                // A local job dies with its gateway (its transactions rolled back).
                let change = DeploymentChange {
                    last_error: Some(Some("the gateway running it stopped".into())),
                    ..Default::default()
                };
                self.rt.deployments.move_to(d.id, State::Failed, change, "scheduler").await?;
                self.requeue(task, "its gateway stopped while it ran; nothing it wrote was committed").await
            }
            _ => {
                let change = TaskChange { deployment: Some(Some(d.id)), ..Default::default() };
                store.set_task(self.id, &task.pipeline, &self.me, &change).await?;
                self.begin(run, rules, task, Some(d.id)).await
            }
        }
    }

    async fn requeue(&self, task: &RunTaskRecord, why: &str) -> Result<()> {
        let change = TaskChange {
            state: Some(TaskState::Queued.as_str().into()),
            attempt: Some((task.attempt - 1).max(0)),
            error: Some(Some(format!("attempt {} interrupted: {why}", task.attempt))),
            ..Default::default()
        };
        self.rt.store.set_task(self.id, &task.pipeline, &self.me, &change).await?;
        Ok(())
    }

    async fn end_task(&self, task: &RunTaskRecord, state: TaskState, error: Option<String>) -> Result<()> {
        let change = TaskChange {
            state: Some(state.as_str().into()),
            finished_at: Some(Some(now_micros())),
            error: Some(error),
            ..Default::default()
        };
        self.rt.store.set_task(self.id, &task.pipeline, &self.me, &change).await?;
        Ok(())
    }

    /// Records how an attempt of `pipeline` ended: success, a retry, or the final failure.
    async fn record(&self, rules: &Rules, pipeline: &str, outcome: Outcome) -> Result<()> {
        let store = &self.rt.store;
        let Some(task) = store.run_tasks(self.id).await?.into_iter().find(|t| t.pipeline == pipeline) else {
            return Ok(());
        };
        let (state, error) = match outcome {
            Outcome::Succeeded => (TaskState::Succeeded, None),
            Outcome::Cancelled => (TaskState::Cancelled, Some("cancelled".to_owned())),
            Outcome::Failed(e) | Outcome::TimedOut(e)
                if task.attempt <= i64::from(rules.settings.retries) =>
            {
                let delay = rules.settings.delay_before(u32::try_from(task.attempt).unwrap_or(u32::MAX));
                let change = TaskChange {
                    state: Some(TaskState::Queued.as_str().into()),
                    not_before: Some(Some(now_micros() + delay.as_micros() as i64)),
                    error: Some(Some(format!("attempt {}: {e}", task.attempt))),
                    ..Default::default()
                };
                store.set_task(self.id, pipeline, &self.me, &change).await?;
                return Ok(());
            }
            Outcome::Failed(e) => (TaskState::Failed, Some(e)),
            Outcome::TimedOut(e) => (TaskState::TimedOut, Some(e)),
        };
        self.end_task(&task, state, error).await
    }

    /// The run's timeout passed: cancel what runs, end everything.
    async fn time_out(&mut self, tasks: &[RunTaskRecord], limit: Duration) -> Result<()> {
        self.cancel.cancel();
        // wait for the attempts to stop their deployments
        while !self.attempts.is_empty() {
            match tokio::time::timeout(Duration::from_secs(60), self.outcomes.1.recv()).await {
                Ok(Some((pipeline, _))) => {
                    self.attempts.remove(&pipeline);
                }
                _ => break,
            }
        }
        let why = format!("the run took longer than its timeout {limit:?}");
        for task in tasks {
            match TaskState::parse(&task.state) {
                TaskState::Running => self.end_task(task, TaskState::TimedOut, Some(why.clone())).await?,
                TaskState::Queued => self.end_task(task, TaskState::Cancelled, Some(why.clone())).await?,
                _ => {}
            }
        }
        self.rt
            .store
            .set_run_state(self.id, &self.me, RunState::TimedOut.as_str(), now_micros(), Some(&why))
            .await?;
        Ok(())
    }
}
