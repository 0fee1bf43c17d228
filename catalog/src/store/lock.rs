//! The catalog lock: statements that change the catalog take it for their whole run, so
//! one that checks what exists (the role it grants to, the source its table names) and
//! then writes cannot interleave with one that drops or renames those objects — the
//! store's foreign keys cannot cover every reference (owners, grants on any kind of
//! object). Within a gateway it is a mutex; on a PostgreSQL store it is also a session
//! advisory lock, which serialises the gateways sharing the catalog and is released by
//! PostgreSQL itself if the gateway dies holding it.

use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Executor, Postgres};
use tokio::sync::OwnedMutexGuard;

use super::{Pool, Store};
use crate::error::StoreResult;

/// The advisory lock's key (an arbitrary constant: "sluice" in ASCII).
const KEY: i64 = 0x73_6c_75_69_63_65;

/// Held while a statement changes the catalog; [`CatalogLock::release`] it when done.
pub struct CatalogLock {
    _local: OwnedMutexGuard<()>,
    shared: Option<PoolConnection<Postgres>>,
}

impl Store {
    /// Waits for the catalog lock (behind other statements changing the catalog, on this
    /// gateway and, with a PostgreSQL store, on every gateway sharing it).
    pub async fn catalog_lock(&self) -> StoreResult<CatalogLock> {
        let local = Arc::clone(&self.inner.ddl).lock_owned().await;
        let shared = match &self.inner.pool {
            Pool::Sqlite(_) => None,
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                conn.execute(sqlx::query("SELECT pg_advisory_lock($1)").bind(KEY)).await?;
                Some(conn)
            }
        };
        Ok(CatalogLock { _local: local, shared })
    }
}

impl CatalogLock {
    /// Releases the lock (and, with a PostgreSQL store, its connection to the pool).
    pub async fn release(mut self) {
        if let Some(mut conn) = self.shared.take() {
            let unlocked = conn.execute(sqlx::query("SELECT pg_advisory_unlock($1)").bind(KEY)).await;
            if unlocked.is_err() {
                // the session is in doubt: end it, which releases the lock for certain
                drop(conn.detach());
            }
        }
    }
}

impl Drop for CatalogLock {
    /// A statement cancelled while it held the lock: its connection is closed rather
    /// than returned, so PostgreSQL ends the session and the advisory lock with it.
    fn drop(&mut self) {
        if let Some(conn) = self.shared.take() {
            drop(conn.detach());
        }
    }
}
