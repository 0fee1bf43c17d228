//! The metadata store: one schema, kept in SQLite or PostgreSQL through sqlx.
//!
//! Every query is written once, with `$N` placeholders that both drivers accept, and runs
//! against whichever pool the store was opened with ([`with_pool!`] expands a body once
//! per driver, so rows decode natively on each). Every change runs in one transaction
//! together with its row in `events`, and bumps [`Store::epoch`] so that per-connection
//! plan caches know the catalog moved.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::error::{StoreError, StoreResult};

mod batch;
mod deployments;
mod events;
pub mod grants;
mod lineage;
mod lock;
mod pipelines;
mod roles;
pub mod rows;
mod runs;
mod schedules;
pub use lock::CatalogLock;
mod secrets;
mod sources;
mod syncs;
mod targets;

/// Expands `$body` once per driver with `$p` bound to that driver's pool.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.inner.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Beginning a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that reads before it writes fails at once (SQLITE_BUSY, whatever the busy
/// timeout) when another connection wrote meanwhile; an immediate one waits its turn.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send
    {
        self.begin()
    }
}

/// The one row `$sql` selects (with `$bind`s), read by row macro `$from_row`, or `None`.
macro_rules! fetch_one {
    ($store:expr, $sql:expr, $from_row:ident $(, $bind:expr)*) => {
        with_pool!($store, |p| {
            let row = sqlx::query(sqlx::AssertSqlSafe($sql))$(.bind($bind))*.fetch_optional(p).await?;
            Ok(match row {
                Some(row) => Some($from_row!(row)),
                None => None,
            })
        })
    };
}
pub(crate) use fetch_one;

/// Every row `$sql` selects (with `$bind`s), read by row macro `$from_row`, in order.
macro_rules! fetch_all {
    ($store:expr, $sql:expr, $from_row:ident $(, $bind:expr)*) => {
        with_pool!($store, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe($sql))$(.bind($bind))*.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push($from_row!(row));
            }
            Ok(out)
        })
    };
}
pub(crate) use fetch_all;

/// A text column holding one of a closed set of values ([`crate::settings`]); anything
/// else is a corrupt catalog, named by `kind` and `name`.
pub(crate) fn decode<T: std::str::FromStr<Err = String>>(
    text: String,
    kind: &'static str,
    name: &str,
) -> StoreResult<T> {
    text.parse().map_err(|detail| StoreError::Corrupt { kind, name: name.to_owned(), detail })
}

/// Which database keeps the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

struct Inner {
    pool: Pool,
    epoch: AtomicU64,
    /// Each role's [`Access`] as last read, with the epoch it was read in: a statement
    /// checks privileges without reading the store while the catalog stays as it was.
    access: std::sync::Mutex<(u64, std::collections::HashMap<String, Option<crate::privileges::Access>>)>,
    /// This gateway's side of the catalog lock ([`lock`]).
    ddl: Arc<tokio::sync::Mutex<()>>,
}

/// A handle on the metadata store; cheap to clone and shared by every connection.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend()).finish()
    }
}

impl Store {
    /// Opens the store named by `url` (`sqlite://PATH` or `postgres://…`) and brings its
    /// schema up to date. A SQLite file is created when missing.
    pub async fn open(url: &str) -> StoreResult<Store> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            Pool::Sqlite(SqlitePoolOptions::new().max_connections(4).connect_with(options).await?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?.application_name("sluice");
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let store = Store {
            inner: Arc::new(Inner {
                pool,
                epoch: AtomicU64::new(1),
                access: Default::default(),
                ddl: Default::default(),
            }),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A number that grows whenever this gateway changes the catalog. Caches keyed on
    /// catalog contents compare it to know when to drop their entries.
    pub fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn bump_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Answers when the store can run a query (used by `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrator(self.backend());
        with_pool!(self, |p| migrator.run(p).await?);
        Ok(())
    }
}

impl Store {
    /// Renames row `name` of `table` (keyed by column `name`) to `new_name` and records
    /// the event, in one transaction. [`StoreError::NotFound`] / `AlreadyExists` as apt.
    pub(crate) async fn rename_row(
        &self,
        table: &'static str,
        kind: &'static str,
        name: &str,
        new_name: &str,
        actor: &str,
    ) -> StoreResult<()> {
        let now = crate::time::now_micros();
        let sql = format!("UPDATE {table} SET name = $2, updated_at = $3 WHERE name = $1");
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .bind(new_name)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(on_unique(kind, new_name))?
                .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound { kind, name: name.to_owned() });
            }
            for follow in grants::rename_statements(kind) {
                let query = sqlx::query(sqlx::AssertSqlSafe(follow)).bind(name).bind(new_name);
                let query = if kind == "role" { query } else { query.bind(kind) };
                query.execute(&mut *tx).await?;
            }
            let detail = format!("renamed from {name}");
            events::Event {
                actor,
                action: "rename",
                object_kind: kind,
                object_name: new_name,
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

/// The schema migrations for one dialect, embedded in the binary.
fn migrator(backend: Backend) -> Migrator {
    let files: &[(i64, &str, &'static str)] = match backend {
        Backend::Sqlite => &[
            (1, "catalog", include_str!("../../../migrations/sqlite/0001_catalog.sql")),
            (2, "deployments", include_str!("../../../migrations/sqlite/0002_deployments.sql")),
            (3, "sync tables", include_str!("../../../migrations/sqlite/0003_sync_tables.sql")),
            (4, "schedules", include_str!("../../../migrations/sqlite/0004_schedules.sql")),
            (5, "master key", include_str!("../../../migrations/sqlite/0005_master_key.sql")),
            (6, "privileges", include_str!("../../../migrations/sqlite/0006_privileges.sql")),
            (7, "predefined roles", include_str!("../../../migrations/sqlite/0007_predefined_roles.sql")),
            (
                8,
                "pipeline references",
                include_str!("../../../migrations/sqlite/0008_pipeline_references.sql"),
            ),
            (
                9,
                "sync database pattern",
                include_str!("../../../migrations/sqlite/0009_sync_database_pattern.sql"),
            ),
            (10, "lineage", include_str!("../../../migrations/sqlite/0010_lineage.sql")),
        ],
        Backend::Postgres => &[
            (1, "catalog", include_str!("../../../migrations/postgres/0001_catalog.sql")),
            (2, "deployments", include_str!("../../../migrations/postgres/0002_deployments.sql")),
            (3, "sync tables", include_str!("../../../migrations/postgres/0003_sync_tables.sql")),
            (4, "schedules", include_str!("../../../migrations/postgres/0004_schedules.sql")),
            (5, "master key", include_str!("../../../migrations/postgres/0005_master_key.sql")),
            (6, "privileges", include_str!("../../../migrations/postgres/0006_privileges.sql")),
            (7, "predefined roles", include_str!("../../../migrations/postgres/0007_predefined_roles.sql")),
            (
                8,
                "pipeline references",
                include_str!("../../../migrations/postgres/0008_pipeline_references.sql"),
            ),
            (
                9,
                "sync database pattern",
                include_str!("../../../migrations/postgres/0009_sync_database_pattern.sql"),
            ),
            (10, "lineage", include_str!("../../../migrations/postgres/0010_lineage.sql")),
        ],
    };
    let migrations = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// `url` with any password replaced by `***` (in the user info or as a `password=`
/// query parameter), for messages and logs.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

/// Maps a unique-key violation to [`StoreError::AlreadyExists`].
pub(crate) fn on_unique(kind: &'static str, name: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let name = name.to_owned();
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists { kind, name },
        _ => StoreError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(redact_url("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=s3cret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
    }
}
