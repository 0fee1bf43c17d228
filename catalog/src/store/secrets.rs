//! Secrets: sealed values, and which sources use them.

use sqlx::Row;

use super::BeginWrite;
use super::events::Event;
use super::{Store, fetch_all, fetch_one, on_unique, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{SecretInfo, SecretRecord};
use crate::time::now_micros;

const KIND: &str = "secret";
const COLUMNS: &str = "name, kind, nonce, ciphertext, owner, created_at, updated_at";

macro_rules! secret_from_row {
    ($row:expr) => {{
        let row = $row;
        SecretRecord {
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            nonce: row.try_get("nonce")?,
            ciphertext: row.try_get("ciphertext")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

impl Store {
    /// The secret called `name`.
    pub async fn secret(&self, name: &str) -> StoreResult<Option<SecretRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM secrets WHERE name = $1");
        fetch_one!(self, sql, secret_from_row, name)
    }

    /// Every secret, sealed: what engine errors are masked with.
    pub async fn sealed_secrets(&self) -> StoreResult<Vec<SecretRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM secrets ORDER BY name");
        fetch_all!(self, sql, secret_from_row)
    }

    /// Every secret's name, kind and users (never its value), by name.
    pub async fn secrets(&self) -> StoreResult<Vec<SecretInfo>> {
        with_pool!(self, |p| {
            let rows =
                sqlx::query("SELECT name, kind, created_at FROM secrets ORDER BY name").fetch_all(p).await?;
            let links =
                sqlx::query("SELECT secret, source FROM source_secrets ORDER BY source").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let name: String = row.try_get("name")?;
                let mut used_by = Vec::new();
                for link in &links {
                    if link.try_get::<String, _>("secret")? == name {
                        used_by.push(link.try_get("source")?);
                    }
                }
                out.push(SecretInfo {
                    name,
                    kind: row.try_get("kind")?,
                    created_at: row.try_get("created_at")?,
                    used_by,
                });
            }
            Ok(out)
        })
    }

    /// Stores a new secret, or replaces the value of an existing one when `replace`.
    pub async fn put_secret(&self, secret: &SecretRecord, replace: bool, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let sql = if replace {
                "INSERT INTO secrets (name, kind, nonce, ciphertext, owner, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, nonce = excluded.nonce, \
                 ciphertext = excluded.ciphertext, updated_at = excluded.updated_at"
            } else {
                "INSERT INTO secrets (name, kind, nonce, ciphertext, owner, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)"
            };
            sqlx::query(sql)
                .bind(&secret.name)
                .bind(&secret.kind)
                .bind(&secret.nonce)
                .bind(&secret.ciphertext)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(on_unique(KIND, &secret.name))?;
            Event {
                actor,
                action: if replace { "replace" } else { "create" },
                object_kind: KIND,
                object_name: &secret.name,
                detail: None,
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Replaces the value of an existing secret.
    pub async fn alter_secret(&self, secret: &SecretRecord, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE secrets SET kind = $2, nonce = $3, ciphertext = $4, updated_at = $5 WHERE name = $1",
            )
            .bind(&secret.name)
            .bind(&secret.kind)
            .bind(&secret.nonce)
            .bind(&secret.ciphertext)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound { kind: KIND, name: secret.name.clone() });
            }
            Event { actor, action: "alter", object_kind: KIND, object_name: &secret.name, detail: None }
                .record(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Drops a secret; [`StoreError::InUse`] while a source refers to it. Returns whether
    /// it existed.
    pub async fn drop_secret(&self, name: &str, actor: &str) -> StoreResult<bool> {
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let users: Vec<String> =
                sqlx::query("SELECT source FROM source_secrets WHERE secret = $1 ORDER BY source")
                    .bind(name)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>("source"))
                    .collect::<Result<_, _>>()?;
            if !users.is_empty() {
                return Err(StoreError::InUse { kind: KIND, name: name.to_owned(), users });
            }
            let deleted = sqlx::query("DELETE FROM secrets WHERE name = $1")
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
            tx.commit().await?;
            deleted > 0
        });
        if dropped {
            self.bump_epoch();
        }
        Ok(dropped)
    }
}

impl Store {
    /// The fingerprint of the master key the secrets are sealed with, once recorded.
    pub async fn master_key_fingerprint(&self) -> StoreResult<Option<String>> {
        with_pool!(self, |p| {
            let row =
                sqlx::query("SELECT fingerprint FROM master_key WHERE id = 1").fetch_optional(p).await?;
            Ok(match row {
                Some(row) => Some(row.try_get("fingerprint")?),
                None => None,
            })
        })
    }

    /// Records `fingerprint` as the master key's when none is recorded yet (the first
    /// gateway to start); returns the one recorded, which may be another gateway's.
    pub async fn claim_master_key(&self, fingerprint: &str) -> StoreResult<String> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO master_key (id, fingerprint, set_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(fingerprint)
            .bind(now_micros())
            .execute(p)
            .await?;
        });
        self.master_key_fingerprint().await?.ok_or_else(|| StoreError::Corrupt {
            kind: "master key",
            name: "fingerprint".into(),
            detail: "not recorded".into(),
        })
    }

    /// Replaces every secret's sealed value by `resealed` (name, nonce, ciphertext) and the
    /// master key's fingerprint `old` by `new`, in one transaction: all or nothing. Fails
    /// when the recorded fingerprint is not `old` (another rotation came first) or the
    /// secrets are not exactly those resealed (one was created or dropped meanwhile).
    pub async fn rekey_secrets(
        &self,
        resealed: &[(String, Vec<u8>, Vec<u8>)],
        old: &str,
        new: &str,
        actor: &str,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let recorded: Option<String> = sqlx::query("SELECT fingerprint FROM master_key WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("fingerprint"))
                .transpose()?;
            if recorded.as_deref().is_some_and(|r| r != old) {
                return Err(StoreError::Conflict { kind: "master key", name: old.to_owned() });
            }
            let count: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM secrets").fetch_one(&mut *tx).await?.try_get("n")?;
            if count != resealed.len() as i64 {
                return Err(StoreError::Conflict { kind: "secrets of master key", name: old.to_owned() });
            }
            for (name, nonce, ciphertext) in resealed {
                let updated = sqlx::query("UPDATE secrets SET nonce = $2, ciphertext = $3 WHERE name = $1")
                    .bind(name)
                    .bind(nonce)
                    .bind(ciphertext)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated != 1 {
                    return Err(StoreError::Conflict { kind: KIND, name: name.clone() });
                }
            }
            sqlx::query(
                "INSERT INTO master_key (id, fingerprint, set_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, set_at = excluded.set_at",
            )
            .bind(new)
            .bind(now_micros())
            .execute(&mut *tx)
            .await?;
            let detail = format!("{} secrets re-encrypted", resealed.len());
            Event {
                actor,
                action: "rotate",
                object_kind: "master key",
                object_name: new,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }
}
