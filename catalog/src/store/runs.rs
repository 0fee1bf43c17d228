//! Runs of schedules and their tasks. A run is executed by the gateway holding its lease
//! (`lease_owner` until `lease_until`); every write of a run's progress is fenced on that
//! lease, so a gateway that lost it (paused, partitioned, taken over) changes nothing.

use sqlx::Row;

use super::BeginWrite;
use super::schedules::insert_run;
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewRun, RunRecord, RunTaskRecord, TaskChange};
use crate::time::now_micros;

const RUN_COLUMNS: &str = "id, schedule, trigger, logical_time, interval_start, interval_end, state, started_at, \
                           finished_at, error, lease_owner, lease_until, created_at";
const TASK_COLUMNS: &str =
    "run, pipeline, upstream, state, attempt, not_before, deployment, started_at, finished_at, error";

/// The JSON array a list of names is kept as.
pub(crate) fn names_json(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".into())
}

/// Names back from [`names_json`].
pub(crate) fn names(json: String) -> Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

macro_rules! run_from_row {
    ($row:expr) => {{
        let row = $row;
        RunRecord {
            id: row.try_get("id")?,
            schedule: row.try_get("schedule")?,
            trigger: row.try_get("trigger")?,
            logical_time: row.try_get("logical_time")?,
            interval_start: row.try_get("interval_start")?,
            interval_end: row.try_get("interval_end")?,
            state: row.try_get("state")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            error: row.try_get("error")?,
            lease_owner: row.try_get("lease_owner")?,
            lease_until: row.try_get("lease_until")?,
            created_at: row.try_get("created_at")?,
        }
    }};
}

macro_rules! task_from_row {
    ($row:expr) => {{
        let row = $row;
        RunTaskRecord {
            run: row.try_get("run")?,
            pipeline: row.try_get("pipeline")?,
            upstream: names(row.try_get("upstream")?)?,
            state: row.try_get("state")?,
            attempt: row.try_get("attempt")?,
            not_before: row.try_get("not_before")?,
            deployment: row.try_get("deployment")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            error: row.try_get("error")?,
        }
    }};
}

impl Store {
    /// Creates runs (manual, backfill) in one transaction; their ids in order.
    pub async fn add_runs(&self, runs: &[NewRun]) -> StoreResult<Vec<i64>> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let mut ids = Vec::with_capacity(runs.len());
            for run in runs {
                if let Some(id) = insert_run!(tx, run, now) {
                    ids.push(id);
                }
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    /// Run `id`.
    pub async fn run(&self, id: i64) -> StoreResult<Option<RunRecord>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
        fetch_one!(self, sql, run_from_row, id)
    }

    /// Unfinished runs whose lease is free or expired at `now`, oldest first.
    pub async fn claimable_runs(&self, now: i64, limit: i64) -> StoreResult<Vec<RunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE state IN ('queued', 'running') \
             AND (lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT $2"
        );
        fetch_all!(self, sql, run_from_row, now, limit)
    }

    /// Takes run `id`'s lease for `owner` until `until` if it is free or expired at `now`.
    pub async fn claim_run(&self, id: i64, owner: &str, until: i64, now: i64) -> StoreResult<bool> {
        with_pool!(self, |p| {
            let claimed = sqlx::query(
                "UPDATE runs SET lease_owner = $2, lease_until = $3 WHERE id = $1 \
                 AND state IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(id)
            .bind(owner)
            .bind(until)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected();
            Ok(claimed > 0)
        })
    }

    /// Extends the lease of `owner` on run `id` to `until`; `false` when it holds it no more.
    pub async fn renew_run(&self, id: i64, owner: &str, until: i64) -> StoreResult<bool> {
        with_pool!(self, |p| {
            let renewed = sqlx::query(
                "UPDATE runs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 \
                 AND state IN ('queued', 'running')",
            )
            .bind(id)
            .bind(owner)
            .bind(until)
            .execute(p)
            .await?
            .rows_affected();
            Ok(renewed > 0)
        })
    }

    /// Sets run `id`'s state (and times, error) if `owner` holds its lease; a final state
    /// releases the lease.
    pub async fn set_run_state(
        &self,
        id: i64,
        owner: &str,
        state: &str,
        at: i64,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let done = !matches!(state, "queued" | "running");
        with_pool!(self, |p| {
            let changed = sqlx::query(
                "UPDATE runs SET state = $3, \
                   started_at = CASE WHEN $3 = 'running' THEN COALESCE(started_at, $4) ELSE started_at END, \
                   finished_at = CASE WHEN $5 THEN $4 ELSE finished_at END, \
                   error = COALESCE($6, error), \
                   lease_until = CASE WHEN $5 THEN NULL ELSE lease_until END \
                 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(state)
            .bind(at)
            .bind(done)
            .bind(error)
            .execute(p)
            .await?
            .rows_affected();
            Ok(changed > 0)
        })
    }

    /// The tasks of run `id`, in the order of its DAG.
    pub async fn run_tasks(&self, id: i64) -> StoreResult<Vec<RunTaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM run_tasks WHERE run = $1 ORDER BY ordinal");
        fetch_all!(self, sql, task_from_row, id)
    }

    /// Applies `change` to task `pipeline` of run `run` if `owner` holds the run's lease.
    pub async fn set_task(
        &self,
        run: i64,
        pipeline: &str,
        owner: &str,
        change: &TaskChange,
    ) -> StoreResult<bool> {
        with_pool!(self, |p| {
            let changed = sqlx::query(
                "UPDATE run_tasks SET \
                   state = COALESCE($4, state), \
                   attempt = COALESCE($5, attempt), \
                   not_before = CASE WHEN $6 THEN $7 ELSE not_before END, \
                   deployment = CASE WHEN $8 THEN $9 ELSE deployment END, \
                   started_at = CASE WHEN $10 THEN $11 ELSE started_at END, \
                   finished_at = CASE WHEN $12 THEN $13 ELSE finished_at END, \
                   error = CASE WHEN $14 THEN $15 ELSE error END \
                 WHERE run = $1 AND pipeline = $2 \
                   AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND lease_owner = $3)",
            )
            .bind(run)
            .bind(pipeline)
            .bind(owner)
            .bind(change.state.as_deref())
            .bind(change.attempt)
            .bind(change.not_before.is_some())
            .bind(change.not_before.flatten())
            .bind(change.deployment.is_some())
            .bind(change.deployment.flatten())
            .bind(change.started_at.is_some())
            .bind(change.started_at.flatten())
            .bind(change.finished_at.is_some())
            .bind(change.finished_at.flatten())
            .bind(change.error.is_some())
            .bind(change.error.clone().flatten())
            .execute(p)
            .await?
            .rows_affected();
            Ok(changed > 0)
        })
    }

    /// How many runs of `schedule` are running.
    pub async fn running_runs(&self, schedule: &str) -> StoreResult<i64> {
        with_pool!(self, |p| {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM runs WHERE schedule = $1 AND state = 'running'")
                .bind(schedule)
                .fetch_one(p)
                .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Whether a run of `schedule` earlier (by logical time) than `logical_time` is in
    /// one of `states`.
    pub async fn earlier_run_in(
        &self,
        schedule: &str,
        logical_time: i64,
        states: &[&str],
    ) -> StoreResult<bool> {
        let list = super::deployments::sql_list(states);
        let sql = format!(
            "SELECT 1 AS one FROM runs WHERE schedule = $1 AND logical_time < $2 AND state IN ({list}) LIMIT 1"
        );
        with_pool!(self, |p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(schedule)
                .bind(logical_time)
                .fetch_optional(p)
                .await?;
            Ok(row.is_some())
        })
    }

    /// The state of task `pipeline` in the latest run of `schedule` before `logical_time`.
    pub async fn previous_task_state(
        &self,
        schedule: &str,
        logical_time: i64,
        pipeline: &str,
    ) -> StoreResult<Option<String>> {
        with_pool!(self, |p| {
            let row = sqlx::query(
                "SELECT t.state FROM run_tasks t JOIN runs r ON r.id = t.run \
                 WHERE r.schedule = $1 AND r.logical_time < $2 AND t.pipeline = $3 \
                 ORDER BY r.logical_time DESC, r.id DESC LIMIT 1",
            )
            .bind(schedule)
            .bind(logical_time)
            .bind(pipeline)
            .fetch_optional(p)
            .await?;
            Ok(row.map(|r| r.try_get("state")).transpose()?)
        })
    }

    /// Runs with their tasks for SHOW RUNS, newest run first: all, those of one schedule,
    /// or those with a task of one pipeline (only that task then).
    pub async fn run_listing(
        &self,
        schedule: Option<&str>,
        pipeline: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(RunRecord, RunTaskRecord)>> {
        let run_cols: Vec<String> = RUN_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let task_cols: Vec<String> = TASK_COLUMNS
            .split(", ")
            .filter(|c| !matches!(*c, "state" | "started_at" | "finished_at" | "error"))
            .map(|c| format!("t.{c}"))
            .collect();
        let sql = format!(
            "SELECT {}, {}, t.state AS task_state, t.started_at AS task_started_at, \
             t.finished_at AS task_finished_at, t.error AS task_error \
             FROM runs r JOIN run_tasks t ON t.run = r.id \
             WHERE ($1 IS NULL OR r.schedule = $1) AND ($2 IS NULL OR t.pipeline = $2) \
             ORDER BY r.id DESC, t.ordinal LIMIT $3",
            run_cols.join(", "),
            task_cols.join(", ")
        );
        with_pool!(self, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(schedule)
                .bind(pipeline)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let run = run_from_row!(&row);
                let task = RunTaskRecord {
                    run: row.try_get("run")?,
                    pipeline: row.try_get("pipeline")?,
                    upstream: names(row.try_get("upstream")?)?,
                    state: row.try_get("task_state")?,
                    attempt: row.try_get("attempt")?,
                    not_before: row.try_get("not_before")?,
                    deployment: row.try_get("deployment")?,
                    started_at: row.try_get("task_started_at")?,
                    finished_at: row.try_get("task_finished_at")?,
                    error: row.try_get("task_error")?,
                };
                out.push((run, task));
            }
            Ok::<_, StoreError>(out)
        })
    }
}
