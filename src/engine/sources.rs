//! Sources as DataFusion catalogs: `SELECT … FROM source.database.table` reads the live
//! table through datafusion-table-providers (MySQL/MariaDB and PostgreSQL), with
//! projection, filters and LIMIT pushed down to the source.
//!
//! Source catalogs resolve by name but are not listed (`catalog_names` is the gateway's
//! own catalog only): listing would make every `pg_catalog` query connect to every
//! source. BI tools browse sources through `sluice.tables` and `sluice.columns`.
//! Connection pools open on first use, not when a source is created.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider, TableProvider};
use datafusion::common::TableReference;
use datafusion::error::{DataFusionError, Result};
use datafusion_table_providers::UnsupportedTypeAction;
use datafusion_table_providers::mysql::MySQLTableFactory;
use datafusion_table_providers::postgres::PostgresTableFactory;
use datafusion_table_providers::sql::db_connection_pool::mysqlpool::MySQLConnectionPool;
use datafusion_table_providers::sql::db_connection_pool::postgrespool::PostgresConnectionPool;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::portable::{self, Dialect};
use crate::error::SluiceError;

/// A live parameter saying TLS is required although the pool's mode (`preferred`, which
/// encrypts without verifying) would fall back to plain: MySQL's `ssl_mode = required`.
pub const TLS_REQUIRED: &str = "sluice_tls_required";

/// The catalog list of every session: the gateway's own catalogs, plus one per source.
#[derive(Debug)]
pub struct GatewayCatalogs {
    own: Arc<dyn CatalogProviderList>,
    sources: RwLock<HashMap<String, Arc<SourceCatalog>>>,
}

impl GatewayCatalogs {
    pub fn new(own: Arc<dyn CatalogProviderList>) -> GatewayCatalogs {
        GatewayCatalogs { own, sources: RwLock::new(HashMap::new()) }
    }

    /// The names of the sources queryable live.
    pub fn source_names(&self) -> Vec<String> {
        self.sources.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    /// Makes `source` queryable (replacing an earlier definition of the same name).
    pub fn set_source(&self, source: Arc<SourceCatalog>) {
        let mut sources = self.sources.write().unwrap_or_else(|p| p.into_inner());
        sources.insert(source.name.clone(), source);
    }

    /// Whether source `name` is queryable here.
    pub fn has_source(&self, name: &str) -> bool {
        self.sources.read().unwrap_or_else(|p| p.into_inner()).contains_key(name)
    }

    /// Forgets source `name`.
    pub fn remove_source(&self, name: &str) {
        self.sources.write().unwrap_or_else(|p| p.into_inner()).remove(name);
    }
}

impl CatalogProviderList for GatewayCatalogs {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        self.own.register_catalog(name, catalog)
    }

    fn catalog_names(&self) -> Vec<String> {
        self.own.catalog_names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        self.own.catalog(name).or_else(|| {
            let sources = self.sources.read().unwrap_or_else(|p| p.into_inner());
            sources.get(name).map(|s| s.clone() as Arc<dyn CatalogProvider>)
        })
    }
}

/// Which live table provider a source uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    MySql,
    Postgres,
}

#[derive(Clone)]
enum Pool {
    MySql(Arc<MySQLConnectionPool>),
    Postgres(Arc<PostgresConnectionPool>),
}

/// One source's tables, read live.
#[derive(Debug)]
pub struct SourceCatalog {
    name: String,
    live: Arc<LiveTables>,
}

/// The connection settings and (once opened) pool of a source.
struct LiveTables {
    source: String,
    kind: LiveKind,
    /// datafusion-table-providers' connection parameters (host, user, pass …).
    params: HashMap<String, SecretString>,
    pool: Mutex<Option<Pool>>,
    /// Live tables by `(database, table)`, with when they were made.
    providers: std::sync::Mutex<HashMap<(String, String), Made>>,
}

/// A live table and when it was made.
type Made = (Instant, Arc<dyn TableProvider>);

/// How long a live table (and the columns it read from the source) is reused before the
/// source is asked again. `REFRESH SOURCE` and `ALTER SOURCE` start afresh at once.
const PROVIDER_TTL: Duration = Duration::from_secs(60);

/// How many live tables a source keeps.
const PROVIDERS_KEPT: usize = 1024;

impl std::fmt::Debug for LiveTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveTables").field("source", &self.source).field("kind", &self.kind).finish()
    }
}

impl SourceCatalog {
    /// A source reached with `params` (secret values included; they stay in memory).
    pub fn new(name: String, kind: LiveKind, params: HashMap<String, SecretString>) -> SourceCatalog {
        let live = Arc::new(LiveTables {
            source: name.clone(),
            kind,
            params,
            pool: Mutex::new(None),
            providers: Default::default(),
        });
        SourceCatalog { name, live }
    }
}

impl LiveTables {
    fn unavailable(&self, message: impl Into<String>) -> DataFusionError {
        DataFusionError::External(Box::new(SluiceError::SourceUnavailable {
            name: self.source.clone(),
            message: message.into(),
        }))
    }

    /// The connection pool, opened on first use (a failure is not remembered).
    async fn pool(&self) -> Result<Pool> {
        let mut pool = self.pool.lock().await;
        if let Some(p) = pool.as_ref() {
            return Ok(p.clone());
        }
        let opened = match self.kind {
            LiveKind::MySql => {
                // only ssl_mode = preferred falls back to plain: required maps to the
                // pool's unverified "preferred" too, marked by TLS_REQUIRED
                let mut params = self.params.clone();
                let required = params.remove(TLS_REQUIRED).is_some();
                let preferred =
                    !required && params.get("sslmode").is_some_and(|m| m.expose_secret() == "preferred");
                let pool = match MySQLConnectionPool::new(params.clone()).await {
                    // mysql_async has no "preferred": with TLS options set it demands TLS.
                    // Without TLS on the server, fall back to a plain connection as
                    // ssl_mode = preferred means.
                    Err(e) if preferred && e.to_string().contains("SSL") => {
                        let mut plain = params;
                        plain.insert("sslmode".into(), SecretString::from("disabled"));
                        MySQLConnectionPool::new(plain).await
                    }
                    other => other,
                };
                pool.map(|p| Pool::MySql(Arc::new(p))).map_err(|e| self.unavailable(e.to_string()))?
            }
            LiveKind::Postgres => PostgresConnectionPool::new(self.params.clone())
                .await
                .map(|p| {
                    Pool::Postgres(Arc::new(p.with_unsupported_type_action(UnsupportedTypeAction::String)))
                })
                .map_err(|e| self.unavailable(e.to_string()))?,
        };
        *pool = Some(opened.clone());
        Ok(opened)
    }

    /// The live table `database.table`: the one made within [`PROVIDER_TTL`], or a new
    /// one (which asks the source for the table's columns).
    async fn table(&self, database: &str, table: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(p) = self.remembered(database, table) {
            return Ok(Some(p));
        }
        let reference = TableReference::partial(database, table);
        let provider = match self.pool().await? {
            Pool::MySql(pool) => MySQLTableFactory::new(pool).table_provider(reference).await,
            Pool::Postgres(pool) => PostgresTableFactory::new(pool).table_provider(reference).await,
        };
        match provider {
            // the providers are datafusion-federation adaptors, and stay adaptors so that
            // the federation rule finds them (see engine/federation.rs)
            Ok(p) => {
                let dialect = match self.kind {
                    LiveKind::MySql => Dialect::MySql,
                    LiveKind::Postgres => Dialect::Postgres,
                };
                let p = portable::guard_filters(p, dialect);
                self.remember(database, table, &p);
                Ok(Some(p))
            }
            Err(e) if is_missing_table(&e.to_string()) => Ok(None),
            Err(e) => Err(self.unavailable(e.to_string())),
        }
    }
}

impl LiveTables {
    fn remembered(&self, database: &str, table: &str) -> Option<Arc<dyn TableProvider>> {
        let providers = self.providers.lock().unwrap_or_else(|p| p.into_inner());
        let (made, provider) = providers.get(&(database.to_owned(), table.to_owned()))?;
        (made.elapsed() < PROVIDER_TTL).then(|| provider.clone())
    }

    fn remember(&self, database: &str, table: &str, provider: &Arc<dyn TableProvider>) {
        let mut providers = self.providers.lock().unwrap_or_else(|p| p.into_inner());
        if providers.len() >= PROVIDERS_KEPT {
            providers.retain(|_, (made, _)| made.elapsed() < PROVIDER_TTL);
            if providers.len() >= PROVIDERS_KEPT {
                providers.clear();
            }
        }
        providers.insert((database.to_owned(), table.to_owned()), (Instant::now(), provider.clone()));
    }
}

/// Whether a provider error says the table does not exist (MySQL 1146, PostgreSQL 42P01).
fn is_missing_table(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("doesn't exist")
        || m.contains("does not exist")
        || m.contains("1146")
        || (m.contains("table '") && m.contains("not found"))
}

impl CatalogProvider for SourceCatalog {
    fn schema_names(&self) -> Vec<String> {
        Vec::new()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        Some(Arc::new(SourceSchema { database: name.to_owned(), live: self.live.clone() }))
    }
}

/// A database (PostgreSQL: schema) of a source.
#[derive(Debug)]
struct SourceSchema {
    database: String,
    live: Arc<LiveTables>,
}

#[async_trait]
impl SchemaProvider for SourceSchema {
    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.live.table(&self.database, name).await
    }

    /// Not known without asking the source; planning asks (`table`) and gets `None`.
    fn table_exist(&self, _name: &str) -> bool {
        true
    }
}
