//! Pipelines, their version history, and the sources they use.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewPipeline, PipelineRecord, PipelineVersion};
use crate::time::now_micros;

const KIND: &str = "pipeline";
const COLUMNS: &str = "name, version, engine, mode, target, options, body, owner, created_at, updated_at";

macro_rules! pipeline_from_row {
    ($row:expr) => {{
        let row = $row;
        let name: String = row.try_get("name")?;
        PipelineRecord {
            engine: super::decode(row.try_get("engine")?, KIND, &name)?,
            mode: super::decode(row.try_get("mode")?, KIND, &name)?,
            name,
            version: row.try_get("version")?,
            target: row.try_get("target")?,
            options: row.try_get("options")?,
            body: row.try_get("body")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

/// Points `pipeline_sources` of `$name` at `$sources` (inside the caller's transaction),
/// checking each source still exists.
macro_rules! link_sources {
    ($tx:expr, $name:expr, $sources:expr) => {{
        sqlx::query("DELETE FROM pipeline_sources WHERE pipeline = $1")
            .bind($name)
            .execute(&mut *$tx)
            .await?;
        for source in $sources {
            let exists = sqlx::query("SELECT 1 AS one FROM sources WHERE name = $1")
                .bind(source)
                .fetch_optional(&mut *$tx)
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound { kind: "source", name: source.clone() });
            }
            sqlx::query("INSERT INTO pipeline_sources (pipeline, source) VALUES ($1, $2)")
                .bind($name)
                .bind(source)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Stores `$pipeline` inside the caller's transaction `$tx`: version 1, or (with
/// `$replace`) the next version of an existing one; a `pipeline_versions` row and an
/// event either way. Evaluates to the version stored.
macro_rules! store_pipeline {
    ($tx:expr, $pipeline:expr, $replace:expr, $actor:expr, $now:expr) => {{
        let tx = &mut $tx;
        let pipeline: &NewPipeline = $pipeline;
        let (replace, actor, now) = ($replace, $actor, $now);
        let current: Option<i64> = sqlx::query("SELECT version FROM pipelines WHERE name = $1")
            .bind(&pipeline.name)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("version"))
            .transpose()?;
        let version = match current {
            Some(_) if !replace => {
                return Err(StoreError::AlreadyExists { kind: "pipeline", name: pipeline.name.clone() });
            }
            Some(v) => {
                sqlx::query(
                    "UPDATE pipelines SET version = $2, engine = $3, mode = $4, target = $5, options = $6, \
                     body = $7, updated_at = $8 WHERE name = $1",
                )
                .bind(&pipeline.name)
                .bind(v + 1)
                .bind(pipeline.engine.as_str())
                .bind(pipeline.mode.as_str())
                .bind(pipeline.target.as_deref())
                .bind(&pipeline.options)
                .bind(&pipeline.body)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                v + 1
            }
            None => {
                sqlx::query(
                    "INSERT INTO pipelines (name, version, engine, mode, target, options, body, owner, \
                     created_at, updated_at) VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(&pipeline.name)
                .bind(pipeline.engine.as_str())
                .bind(pipeline.mode.as_str())
                .bind(pipeline.target.as_deref())
                .bind(&pipeline.options)
                .bind(&pipeline.body)
                .bind(actor)
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err($crate::store::on_unique("pipeline", &pipeline.name))?;
                1
            }
        };
        sqlx::query(
            "INSERT INTO pipeline_versions (pipeline, version, options, body, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&pipeline.name)
        .bind(version)
        .bind(&pipeline.options)
        .bind(&pipeline.body)
        .bind(actor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        link_sources!(*tx, &pipeline.name, &pipeline.sources);
        super::lineage::link_lineage!(*tx, &pipeline.name, &pipeline.lineage);
        let detail = format!("version {version}");
        Event {
            actor,
            action: if current.is_some() { "replace" } else { "create" },
            object_kind: "pipeline",
            object_name: &pipeline.name,
            detail: Some(&detail),
        }
        .record(&mut **tx)
        .await?;
        version
    }};
}
pub(super) use {link_sources, store_pipeline};

impl Store {
    /// The pipeline called `name`.
    pub async fn pipeline(&self, name: &str) -> StoreResult<Option<PipelineRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM pipelines WHERE name = $1");
        fetch_one!(self, sql, pipeline_from_row, name)
    }

    /// Every pipeline, by name.
    pub async fn pipelines(&self) -> StoreResult<Vec<PipelineRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM pipelines ORDER BY name");
        fetch_all!(self, sql, pipeline_from_row)
    }

    /// Version `version` of pipeline `name`, as it was stored.
    pub async fn pipeline_version(&self, name: &str, version: i64) -> StoreResult<Option<PipelineVersion>> {
        with_pool!(self, |p| {
            let row = sqlx::query(
                "SELECT pipeline, version, options, body, created_by, created_at FROM pipeline_versions \
                 WHERE pipeline = $1 AND version = $2",
            )
            .bind(name)
            .bind(version)
            .fetch_optional(p)
            .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(PipelineVersion {
                pipeline: row.try_get("pipeline")?,
                version: row.try_get("version")?,
                options: row.try_get("options")?,
                body: row.try_get("body")?,
                created_by: row.try_get("created_by")?,
                created_at: row.try_get("created_at")?,
            }))
        })
    }

    /// The pipelines whose bodies use source `source`, by name.
    pub async fn pipelines_using(&self, source: &str) -> StoreResult<Vec<String>> {
        with_pool!(self, |p| {
            let rows =
                sqlx::query("SELECT pipeline FROM pipeline_sources WHERE source = $1 ORDER BY pipeline")
                    .bind(source)
                    .fetch_all(p)
                    .await?;
            rows.iter().map(|r| r.try_get::<String, _>("pipeline").map_err(StoreError::from)).collect()
        })
    }

    /// Creates a pipeline at version 1, or (with `replace`) stores a new version of an
    /// existing one, keeping its owner and creation time. Either way a row is added to
    /// `pipeline_versions`. Returns the version stored.
    pub async fn put_pipeline(&self, pipeline: &NewPipeline, replace: bool, actor: &str) -> StoreResult<i64> {
        let now = now_micros();
        let version = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let version = store_pipeline!(tx, pipeline, replace, actor, now);
            tx.commit().await?;
            version
        });
        self.bump_epoch();
        Ok(version)
    }

    /// Stores a new version of pipeline `pipeline.name` that only changes options, if the
    /// pipeline is still at `expected_version` (else [`StoreError::Conflict`]: someone
    /// changed it meanwhile). Returns the version stored.
    pub async fn alter_pipeline(
        &self,
        pipeline: &NewPipeline,
        expected_version: i64,
        actor: &str,
    ) -> StoreResult<i64> {
        let now = now_micros();
        let version = expected_version + 1;
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE pipelines SET version = $2, engine = $3, mode = $4, target = $5, options = $6, \
                 updated_at = $7 WHERE name = $1 AND version = $8",
            )
            .bind(&pipeline.name)
            .bind(version)
            .bind(pipeline.engine.as_str())
            .bind(pipeline.mode.as_str())
            .bind(pipeline.target.as_deref())
            .bind(&pipeline.options)
            .bind(now)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::Conflict { kind: KIND, name: pipeline.name.clone() });
            }
            sqlx::query(
                "INSERT INTO pipeline_versions (pipeline, version, options, body, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&pipeline.name)
            .bind(version)
            .bind(&pipeline.options)
            .bind(&pipeline.body)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let detail = format!("version {version}");
            Event {
                actor,
                action: "alter",
                object_kind: KIND,
                object_name: &pipeline.name,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(version)
    }

    /// Drops pipeline `name` and its history. Returns whether it existed.
    pub async fn drop_pipeline(&self, name: &str, actor: &str) -> StoreResult<bool> {
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            // a START that came in since the caller looked keeps its pipeline
            let active = format!(
                "SELECT id FROM deployments WHERE pipeline = $1 AND state IN ({})",
                super::deployments::state_list(crate::DeploymentState::ACTIVE)
            );
            let active: Vec<i64> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(active)).bind(name).fetch_all(&mut *tx).await?;
            if !active.is_empty() {
                return Err(StoreError::InUse {
                    kind: KIND,
                    name: name.to_owned(),
                    users: active.iter().map(|id| format!("deployment {id}")).collect(),
                });
            }
            let deleted = sqlx::query("DELETE FROM pipelines WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM pipeline_versions WHERE pipeline = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            if deleted > 0 {
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
}
