//! Schedules and their DAGs. Firing is a compare-and-set on `next_fire_at` in the same
//! transaction as the runs it makes, so of several gateways sharing the store exactly one
//! fires each (schedule, fire time); the unique index `runs_fired_once` backs it up.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewRun, ScheduleRecord, ScheduleTask};
use crate::time::now_micros;

const KIND: &str = "schedule";
const COLUMNS: &str =
    "name, cron, timezone, options, body, state, next_fire_at, owner, created_at, updated_at";

macro_rules! schedule_from_row {
    ($row:expr) => {{
        let row = $row;
        ScheduleRecord {
            name: row.try_get("name")?,
            cron: row.try_get("cron")?,
            timezone: row.try_get("timezone")?,
            options: row.try_get("options")?,
            body: row.try_get("body")?,
            state: row.try_get("state")?,
            next_fire_at: row.try_get("next_fire_at")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

macro_rules! task_from_row {
    ($row:expr) => {{
        let row = $row;
        ScheduleTask {
            pipeline: row.try_get("pipeline")?,
            upstream: super::runs::names(row.try_get("upstream")?)?,
        }
    }};
}

/// Inserts `$run` and its tasks through transaction `$tx`; evaluates to its id, or
/// `None` when the run's cron fire time exists already.
macro_rules! insert_run {
    ($tx:expr, $run:expr, $now:expr) => {{
        let run = $run;
        let row = sqlx::query(
            "INSERT INTO runs (schedule, trigger, logical_time, interval_start, interval_end, state, attempt, \
             created_at) VALUES ($1, $2, $3, $4, $5, 'queued', 1, $6) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&run.schedule)
        .bind(&run.trigger)
        .bind(run.logical_time)
        .bind(run.interval_start)
        .bind(run.interval_end)
        .bind($now)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                for (ordinal, task) in run.tasks.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO run_tasks (run, pipeline, upstream, ordinal, state, attempt) \
                         VALUES ($1, $2, $3, $4, 'queued', 0)",
                    )
                    .bind(id)
                    .bind(&task.pipeline)
                    .bind(super::runs::names_json(&task.upstream))
                    .bind(ordinal as i64)
                    .execute(&mut *$tx)
                    .await?;
                }
                Some(id)
            }
            None => None,
        }
    }};
}
pub(crate) use insert_run;

impl Store {
    /// The schedule called `name`.
    pub async fn schedule(&self, name: &str) -> StoreResult<Option<ScheduleRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM schedules WHERE name = $1");
        fetch_one!(self, sql, schedule_from_row, name)
    }

    /// Every schedule, by name.
    pub async fn schedules(&self) -> StoreResult<Vec<ScheduleRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM schedules ORDER BY name");
        fetch_all!(self, sql, schedule_from_row)
    }

    /// The tasks of schedule `name`, in the order written.
    pub async fn schedule_tasks(&self, name: &str) -> StoreResult<Vec<ScheduleTask>> {
        let sql = "SELECT pipeline, upstream FROM schedule_tasks WHERE schedule = $1 ORDER BY ordinal";
        fetch_all!(self, sql, task_from_row, name)
    }

    /// The schedules whose DAG runs pipeline `pipeline`.
    pub async fn schedules_running(&self, pipeline: &str) -> StoreResult<Vec<String>> {
        with_pool!(self, |p| {
            let rows =
                sqlx::query("SELECT schedule FROM schedule_tasks WHERE pipeline = $1 ORDER BY schedule")
                    .bind(pipeline)
                    .fetch_all(p)
                    .await?;
            rows.iter().map(|r| r.try_get("schedule").map_err(StoreError::from)).collect()
        })
    }

    /// Active schedules due at `now` (their next fire time has come).
    pub async fn due_schedules(&self, now: i64) -> StoreResult<Vec<ScheduleRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM schedules WHERE state = 'active' AND next_fire_at <= $1 ORDER BY next_fire_at"
        );
        fetch_all!(self, sql, schedule_from_row, now)
    }

    /// The earliest next fire time of any active schedule.
    pub async fn next_fire_time(&self) -> StoreResult<Option<i64>> {
        with_pool!(self, |p| {
            let row = sqlx::query("SELECT MIN(next_fire_at) AS next FROM schedules WHERE state = 'active'")
                .fetch_one(p)
                .await?;
            Ok(row.try_get("next")?)
        })
    }

    /// Creates schedule `record` with `tasks`, or with `replace` replaces one of that name
    /// (its runs stay). One transaction.
    pub async fn put_schedule(
        &self,
        record: &ScheduleRecord,
        tasks: &[ScheduleTask],
        replace: bool,
        actor: &str,
    ) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let exists = sqlx::query("SELECT 1 AS one FROM schedules WHERE name = $1")
                .bind(&record.name)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if exists && !replace {
                return Err(StoreError::AlreadyExists { kind: KIND, name: record.name.clone() });
            }
            if exists {
                sqlx::query("DELETE FROM schedules WHERE name = $1")
                    .bind(&record.name)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM schedule_tasks WHERE schedule = $1")
                    .bind(&record.name)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO schedules (name, cron, timezone, options, body, state, next_fire_at, owner, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(&record.name)
            .bind(&record.cron)
            .bind(&record.timezone)
            .bind(&record.options)
            .bind(&record.body)
            .bind(&record.state)
            .bind(record.next_fire_at)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(super::on_unique(KIND, &record.name))?;
            for (ordinal, task) in tasks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO schedule_tasks (schedule, pipeline, upstream, ordinal) VALUES ($1, $2, $3, $4)",
                )
                .bind(&record.name)
                .bind(&task.pipeline)
                .bind(super::runs::names_json(&task.upstream))
                .bind(ordinal as i64)
                .execute(&mut *tx)
                .await?;
            }
            let detail = format!("{} tasks, cron '{}'", tasks.len(), record.cron);
            Event {
                actor,
                action: if exists { "replace" } else { "create" },
                object_kind: KIND,
                object_name: &record.name,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Changes schedule `record.name`'s cron, zone, options, state and next fire time
    /// (ALTER, PAUSE, RESUME). Returns whether it exists.
    pub async fn update_schedule(
        &self,
        record: &ScheduleRecord,
        action: &str,
        actor: &str,
    ) -> StoreResult<bool> {
        let now = now_micros();
        let changed = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let changed = sqlx::query(
                "UPDATE schedules SET cron = $2, timezone = $3, options = $4, state = $5, next_fire_at = $6, \
                 updated_at = $7 WHERE name = $1",
            )
            .bind(&record.name)
            .bind(&record.cron)
            .bind(&record.timezone)
            .bind(&record.options)
            .bind(&record.state)
            .bind(record.next_fire_at)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0;
            if changed {
                Event { actor, action, object_kind: KIND, object_name: &record.name, detail: None }
                    .record(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            changed
        });
        if changed {
            self.bump_epoch();
        }
        Ok(changed)
    }

    /// Drops schedule `name` and its DAG; its queued runs are cancelled (running ones
    /// finish; history stays). Returns whether it existed.
    pub async fn drop_schedule(&self, name: &str, actor: &str) -> StoreResult<bool> {
        let now = now_micros();
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM schedule_tasks WHERE schedule = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            let deleted = sqlx::query("DELETE FROM schedules WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                sqlx::query(
                    "UPDATE run_tasks SET state = 'cancelled', finished_at = $2 WHERE state = 'queued' AND run IN \
                     (SELECT id FROM runs WHERE schedule = $1 AND state = 'queued')",
                )
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE runs SET state = 'cancelled', finished_at = $2, error = 'the schedule was dropped' \
                     WHERE schedule = $1 AND state = 'queued'",
                )
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Event { actor, action: "drop", object_kind: KIND, object_name: name, detail: None }
                    .record(&mut *tx)
                    .await?;
                super::grants::forget_object(&mut *tx, KIND, name).await?;
            }
            tx.commit().await?;
            deleted > 0
        });
        if dropped {
            self.bump_epoch();
        }
        Ok(dropped)
    }

    /// Fires schedule `name`: if its next fire time is still `expected` (no other gateway
    /// fired it meanwhile), moves it to `next` and creates `runs`, all in one transaction.
    /// Returns the new runs' ids, or `None` when another gateway fired it first.
    pub async fn fire_schedule(
        &self,
        name: &str,
        expected: i64,
        next: Option<i64>,
        runs: &[NewRun],
    ) -> StoreResult<Option<Vec<i64>>> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let moved = sqlx::query(
                "UPDATE schedules SET next_fire_at = $3 WHERE name = $1 AND next_fire_at = $2 AND state = 'active'",
            )
            .bind(name)
            .bind(expected)
            .bind(next)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok(None);
            }
            let mut ids = Vec::with_capacity(runs.len());
            for run in runs {
                if let Some(id) = insert_run!(tx, run, now) {
                    ids.push(id);
                }
            }
            tx.commit().await?;
            Ok(Some(ids))
        })
    }
}
