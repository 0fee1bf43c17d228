//! Deployments: runs of pipelines on targets, and their state.
//!
//! A pipeline has at most one *active* deployment (submitting, running, stopping,
//! suspending) — a partial unique index, so that gateways sharing one catalog cannot both
//! start it. State changes are compare-and-set on the state read, so a watcher and a
//! statement racing on one deployment cannot undo each other.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{DeploymentChange, DeploymentRecord, NewDeployment};
use crate::settings::DeploymentState;
use crate::time::now_micros;

const KIND: &str = "deployment";
const COLUMNS: &str = "id, pipeline, pipeline_version, target, engine, engine_job_id, state, since, \
                       last_error, savepoint, started_from, rows_in, rows_out, created_at, updated_at";

/// `states` as the inside of a SQL `IN (…)` list of string literals.
pub(crate) fn sql_list(states: &[&str]) -> String {
    states.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// Deployment `states` as the inside of a SQL `IN (…)` list.
pub(crate) fn state_list(states: &[DeploymentState]) -> String {
    sql_list(&states.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

macro_rules! deployment_from_row {
    ($row:expr) => {{
        let row = $row;
        let id: i64 = row.try_get("id")?;
        DeploymentRecord {
            id,
            pipeline: row.try_get("pipeline")?,
            pipeline_version: row.try_get("pipeline_version")?,
            target: row.try_get("target")?,
            engine: super::decode(row.try_get("engine")?, KIND, &id.to_string())?,
            engine_job_id: row.try_get("engine_job_id")?,
            state: super::decode(row.try_get("state")?, KIND, &id.to_string())?,
            since: row.try_get("since")?,
            last_error: row.try_get("last_error")?,
            savepoint: row.try_get("savepoint")?,
            started_from: row.try_get("started_from")?,
            rows_in: row.try_get("rows_in")?,
            rows_out: row.try_get("rows_out")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

impl Store {
    /// Deployments, newest first; only pipeline `pipeline`'s when given.
    pub async fn deployments(&self, pipeline: Option<&str>) -> StoreResult<Vec<DeploymentRecord>> {
        let sql = match pipeline {
            Some(_) => format!("SELECT {COLUMNS} FROM deployments WHERE pipeline = $1 ORDER BY id DESC"),
            None => format!("SELECT {COLUMNS} FROM deployments ORDER BY id DESC"),
        };
        with_pool!(self, |p| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Some(pipeline) = pipeline {
                query = query.bind(pipeline);
            }
            let rows = query.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(deployment_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Records what an engine reported about `pipeline`'s job (a Kubernetes operator's
    /// event, say) in the audit trail, as action `engine event`.
    pub async fn record_engine_event(&self, pipeline: &str, actor: &str, detail: &str) -> StoreResult<()> {
        let event = Event {
            actor,
            action: "engine event",
            object_kind: "pipeline",
            object_name: pipeline,
            detail: Some(detail),
        };
        with_pool!(self, |p| event.record(p).await)?;
        Ok(())
    }

    /// [`Store::record_engine_event`], unless the same event is already recorded for
    /// `pipeline` at or after `since` (micros): what a watch finds again when it lists
    /// (re)starting is recorded once. True when it was recorded now.
    pub async fn record_engine_event_once(
        &self,
        pipeline: &str,
        actor: &str,
        detail: &str,
        since: i64,
    ) -> StoreResult<bool> {
        const SQL: &str = "INSERT INTO events (at, actor, action, object_kind, object_name, detail) \
             SELECT $1, $2, 'engine event', 'pipeline', $3, $4 WHERE NOT EXISTS (SELECT 1 FROM events \
             WHERE action = 'engine event' AND object_kind = 'pipeline' AND object_name = $3 \
             AND detail = $4 AND at >= $5)";
        let done = with_pool!(self, |p| sqlx::query(SQL)
            .bind(now_micros())
            .bind(actor)
            .bind(pipeline)
            .bind(detail)
            .bind(since)
            .execute(p)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Deployment `id`.
    pub async fn deployment(&self, id: i64) -> StoreResult<Option<DeploymentRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM deployments WHERE id = $1");
        fetch_one!(self, sql, deployment_from_row, id)
    }

    /// Every deployment in one of `states`, oldest first.
    pub async fn deployments_in(&self, states: &[DeploymentState]) -> StoreResult<Vec<DeploymentRecord>> {
        let list = state_list(states);
        let sql = format!("SELECT {COLUMNS} FROM deployments WHERE state IN ({list}) ORDER BY id");
        fetch_all!(self, sql, deployment_from_row)
    }

    /// Records a new deployment; [`StoreError::InUse`] when the pipeline already has an
    /// active one (checked by the store's unique index, so across gateways too).
    pub async fn create_deployment(&self, new: &NewDeployment, actor: &str) -> StoreResult<i64> {
        let now = now_micros();
        let id = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO deployments (pipeline, pipeline_version, target, engine, state, since, \
                 started_from, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6) RETURNING id",
            )
            .bind(&new.pipeline)
            .bind(new.pipeline_version)
            .bind(&new.target)
            .bind(new.engine.as_str())
            .bind(new.state.as_str())
            .bind(now)
            .bind(new.started_from.as_deref())
            .fetch_one(&mut *tx)
            .await;
            let id: i64 = match inserted {
                Ok(row) => row.try_get("id")?,
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    return Err(StoreError::InUse {
                        kind: "pipeline",
                        name: new.pipeline.clone(),
                        users: vec![KIND.to_owned()],
                    });
                }
                Err(e) => return Err(e.into()),
            };
            let detail = format!("deployment {id} on target {}", new.target);
            Event {
                actor,
                action: "start",
                object_kind: "pipeline",
                object_name: &new.pipeline,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Marks deployment `id` as still worked on by the gateway that runs it (its
    /// `updated_at`), while it is active: the heartbeat of a local job, which other
    /// gateways' watchers read as its lease. No event: it changes nothing a reader sees.
    pub async fn touch_deployment(&self, id: i64) -> StoreResult<()> {
        let sql = format!(
            "UPDATE deployments SET updated_at = $2 WHERE id = $1 AND state IN ({})",
            state_list(DeploymentState::ACTIVE)
        );
        with_pool!(self, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(now_micros()).execute(p).await?;
        });
        Ok(())
    }

    /// Moves deployment `id` from one of `from` to state `to`, applying `change`. Returns
    /// `false` (changing nothing) when its state is no longer one of `from`. `to` equal to
    /// the current state only updates the fields (progress, job id).
    pub async fn transition(
        &self,
        id: i64,
        from: &[DeploymentState],
        to: DeploymentState,
        change: &DeploymentChange,
        actor: &str,
    ) -> StoreResult<bool> {
        let now = now_micros();
        let list = state_list(from);
        let sql = format!(
            "UPDATE deployments SET \
               since = CASE WHEN state = $2 THEN since ELSE $3 END, \
               state = $2, \
               engine_job_id = COALESCE($4, engine_job_id), \
               last_error = CASE WHEN $5 THEN $6 ELSE last_error END, \
               savepoint = COALESCE($7, savepoint), \
               started_from = CASE WHEN $8 THEN $9 ELSE started_from END, \
               rows_in = COALESCE($10, rows_in), \
               rows_out = COALESCE($11, rows_out), \
               updated_at = $3 \
             WHERE id = $1 AND state IN ({list}) RETURNING pipeline"
        );
        let changed = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let previous: Option<String> = sqlx::query("SELECT state FROM deployments WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("state"))
                .transpose()?;
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(to.as_str())
                .bind(now)
                .bind(change.engine_job_id.as_deref())
                .bind(change.last_error.is_some())
                .bind(change.last_error.clone().flatten())
                .bind(change.savepoint.as_deref())
                .bind(change.started_from.is_some())
                .bind(change.started_from.clone().flatten())
                .bind(change.rows_in)
                .bind(change.rows_out)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_unique_violation() => {
                        StoreError::Conflict { kind: KIND, name: id.to_string() }
                    }
                    _ => StoreError::from(e),
                })?;
            let Some(row) = row else {
                return Ok(false);
            };
            let pipeline: String = row.try_get("pipeline")?;
            if previous.as_deref() != Some(to.as_str()) {
                let detail = format!("deployment {id}: {} -> {to}", previous.unwrap_or_default());
                Event {
                    actor,
                    action: "state",
                    object_kind: "pipeline",
                    object_name: &pipeline,
                    detail: Some(&detail),
                }
                .record(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            true
        });
        Ok(changed)
    }
}
