//! Targets: where pipelines run.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::TargetRecord;
use crate::time::now_micros;

const KIND: &str = "target";
const COLUMNS: &str = "name, type, options, owner, created_at, updated_at";

macro_rules! target_from_row {
    ($row:expr) => {{
        let row = $row;
        TargetRecord {
            name: row.try_get("name")?,
            target_type: row.try_get("type")?,
            options: row.try_get("options")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

impl Store {
    /// The target called `name`.
    pub async fn target(&self, name: &str) -> StoreResult<Option<TargetRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM targets WHERE name = $1");
        fetch_one!(self, sql, target_from_row, name)
    }

    /// Every target, by name.
    pub async fn targets(&self) -> StoreResult<Vec<TargetRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM targets ORDER BY name");
        fetch_all!(self, sql, target_from_row)
    }

    /// Creates target `target`, or (with `replace`) replaces one of that name, keeping its
    /// owner and creation time.
    pub async fn put_target(&self, target: &TargetRecord, replace: bool, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let updated = if replace {
                sqlx::query("UPDATE targets SET type = $2, options = $3, updated_at = $4 WHERE name = $1")
                    .bind(&target.name)
                    .bind(&target.target_type)
                    .bind(&target.options)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            } else {
                0
            };
            if updated == 0 {
                sqlx::query(
                    "INSERT INTO targets (name, type, options, owner, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(&target.name)
                .bind(&target.target_type)
                .bind(&target.options)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(super::on_unique(KIND, &target.name))?;
            }
            Event {
                actor,
                action: if updated > 0 { "replace" } else { "create" },
                object_kind: KIND,
                object_name: &target.name,
                detail: Some(&target.target_type),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Creates the built-in target `name` of type `target_type` unless it exists.
    pub async fn ensure_target(&self, name: &str, target_type: &str, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let created = sqlx::query(
                "INSERT INTO targets (name, type, options, owner, created_at, updated_at) \
                 VALUES ($1, $2, '{}', $3, $4, $4) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(target_type)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if created > 0 {
                // a built-in target is everyone's to use, until a superuser revokes it
                sqlx::query(
                    "INSERT INTO grants (object_kind, object_name, grantee, privilege, grant_option, grantor, granted_at) \
                     VALUES ('target', $1, 'public', 'USAGE', FALSE, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(name)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Drops target `name`, refused ([`StoreError::InUse`]) while one of its deployments is
    /// active. Returns whether it existed.
    pub async fn drop_target(&self, name: &str, actor: &str) -> StoreResult<bool> {
        Ok(self.drop_targets(&[name], actor).await?.first().copied().unwrap_or(false))
    }

    /// Drops every target of `names` in one transaction: [`StoreError::InUse`] (and none
    /// dropped) while a deployment on any of them is active. Returns, per name, whether it
    /// existed.
    pub async fn drop_targets(&self, names: &[&str], actor: &str) -> StoreResult<Vec<bool>> {
        let active = format!(
            "SELECT pipeline FROM deployments WHERE target = $1 AND state IN ({}) ORDER BY pipeline",
            super::deployments::state_list(crate::DeploymentState::ACTIVE)
        );
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let mut dropped = Vec::with_capacity(names.len());
            for name in names {
                let rows =
                    sqlx::query(sqlx::AssertSqlSafe(active.clone())).bind(name).fetch_all(&mut *tx).await?;
                if !rows.is_empty() {
                    let users = rows
                        .iter()
                        .map(|r| r.try_get::<String, _>("pipeline"))
                        .collect::<Result<Vec<_>, _>>()?;
                    return Err(StoreError::InUse { kind: KIND, name: (*name).to_owned(), users });
                }
                let deleted = sqlx::query("DELETE FROM targets WHERE name = $1")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted > 0 {
                    Event { actor, action: "drop", object_kind: KIND, object_name: name, detail: None }
                        .record(&mut *tx)
                        .await?;
                    super::grants::forget_object(&mut *tx, KIND, name).await?;
                }
                dropped.push(deleted > 0);
            }
            tx.commit().await?;
            dropped
        });
        if dropped.iter().any(|d| *d) {
            self.bump_epoch();
        }
        Ok(dropped)
    }
}
