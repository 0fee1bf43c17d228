//! Roles: who may log in, and who is a superuser.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, on_unique, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewRole, Role, RoleChanges};
use crate::time::now_micros;

const KIND: &str = "role";
const INSERT: &str = "INSERT INTO roles (name, superuser, can_login, inherit, password_verifier, created_at, updated_at) \
                      VALUES ($1, $2, $3, $6, $4, $5, $5)";
const COLUMNS: &str = "name, superuser, can_login, inherit, password_verifier, created_at, updated_at";

macro_rules! role_from_row {
    ($row:expr) => {{
        let row = $row;
        Role {
            name: row.try_get("name")?,
            superuser: row.try_get("superuser")?,
            can_login: row.try_get("can_login")?,
            inherit: row.try_get("inherit")?,
            password_verifier: row.try_get("password_verifier")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

impl Store {
    /// The role called `name`, if there is one.
    pub async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        let sql = format!("SELECT {COLUMNS} FROM roles WHERE name = $1");
        fetch_one!(self, sql, role_from_row, name)
    }

    /// Every role, by name.
    pub async fn roles(&self) -> StoreResult<Vec<Role>> {
        let sql = format!("SELECT {COLUMNS} FROM roles ORDER BY name");
        fetch_all!(self, sql, role_from_row)
    }

    /// Creates a role; [`StoreError::AlreadyExists`] when the name is taken.
    pub async fn create_role(&self, role: &NewRole, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(INSERT)
                .bind(&role.name)
                .bind(role.superuser)
                .bind(role.can_login)
                .bind(role.password_verifier.as_deref())
                .bind(now)
                .bind(role.inherit)
                .execute(&mut *tx)
                .await
                .map_err(on_unique(KIND, &role.name))?;
            Event { actor, action: "create", object_kind: KIND, object_name: &role.name, detail: None }
                .record(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Creates `role` only if no role exists yet; returns whether it did. Used to create
    /// the first superuser, safely when several gateways start at once.
    pub async fn bootstrap_role(&self, role: &NewRole) -> StoreResult<bool> {
        let now = now_micros();
        let created = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            // The predefined roles come with the catalog; they do not make it initialised.
            let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM roles WHERE name <> $1")
                .bind(crate::privileges::CREATE_TARGET_ROLE)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if existing > 0 {
                false
            } else {
                let sql = format!("{INSERT} ON CONFLICT (name) DO NOTHING");
                let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&role.name)
                    .bind(role.superuser)
                    .bind(role.can_login)
                    .bind(role.password_verifier.as_deref())
                    .bind(now)
                    .bind(role.inherit)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if inserted > 0 {
                    Event {
                        actor: "sluice",
                        action: "bootstrap",
                        object_kind: KIND,
                        object_name: &role.name,
                        detail: None,
                    }
                    .record(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                inserted > 0
            }
        });
        if created {
            self.bump_epoch();
        }
        Ok(created)
    }

    /// Applies `changes` to role `name`; [`StoreError::NotFound`] when there is no such role.
    pub async fn alter_role(&self, name: &str, changes: &RoleChanges, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        let lock = usable_superusers_locked(self.backend());
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let usable: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(lock.clone())).fetch_all(&mut *tx).await?;
            let updated = sqlx::query(
                "UPDATE roles SET \
                   superuser = COALESCE($2, superuser), \
                   can_login = COALESCE($3, can_login), \
                   password_verifier = CASE WHEN $4 THEN $5 ELSE password_verifier END, \
                   updated_at = $6, \
                   inherit = COALESCE($7, inherit) \
                 WHERE name = $1",
            )
            .bind(name)
            .bind(changes.superuser)
            .bind(changes.can_login)
            .bind(changes.password_verifier.is_some())
            .bind(changes.password_verifier.clone().flatten())
            .bind(now)
            .bind(changes.inherit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound { kind: KIND, name: name.to_owned() });
            }
            if usable.iter().any(|u| u == name) {
                let left: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(lock)).fetch_all(&mut *tx).await?;
                if left.is_empty() {
                    return Err(StoreError::LastSuperuser(name.to_owned()));
                }
            }
            Event { actor, action: "alter", object_kind: KIND, object_name: name, detail: None }
                .record(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Renames role `name` to `new_name`.
    pub async fn rename_role(&self, name: &str, new_name: &str, actor: &str) -> StoreResult<()> {
        self.rename_row("roles", KIND, name, new_name, actor).await
    }

    /// Drops role `name`; returns whether it existed.
    pub async fn drop_role(&self, name: &str, actor: &str) -> StoreResult<bool> {
        Ok(self.drop_roles(&[name], actor).await?.first().copied().unwrap_or(false))
    }

    /// Drops every role of `names` in one transaction, refused ([`StoreError::LastSuperuser`],
    /// none dropped) when no superuser that can log in would be left. Returns, per name,
    /// whether it existed.
    pub async fn drop_roles(&self, names: &[&str], actor: &str) -> StoreResult<Vec<bool>> {
        let lock = usable_superusers_locked(self.backend());
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let usable: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(lock.clone())).fetch_all(&mut *tx).await?;
            let mut dropped = Vec::with_capacity(names.len());
            for name in names {
                let deleted = sqlx::query("DELETE FROM roles WHERE name = $1")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted > 0 {
                    Event { actor, action: "drop", object_kind: KIND, object_name: name, detail: None }
                        .record(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM grants WHERE grantee = $1").bind(name).execute(&mut *tx).await?;
                dropped.push(deleted > 0);
            }
            if let Some(last) = usable.iter().find(|u| names.contains(&u.as_str()))
                && usable.iter().all(|u| names.contains(&u.as_str()))
            {
                return Err(StoreError::LastSuperuser(last.clone()));
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

/// The superusers that can log in (with a password), locked for the transaction where the
/// store can lock rows (PostgreSQL; SQLite's write transactions run one at a time): two
/// gateways demoting two superusers at once cannot leave none.
fn usable_superusers_locked(backend: super::Backend) -> String {
    let sql = "SELECT name FROM roles WHERE superuser AND can_login AND password_verifier IS NOT NULL ORDER BY name";
    match backend {
        super::Backend::Postgres => format!("{sql} FOR UPDATE"),
        super::Backend::Sqlite => sql.to_owned(),
    }
}
