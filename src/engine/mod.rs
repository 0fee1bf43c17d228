//! DataFusion for the gateway: the shared base session, per-connection contexts, and the
//! caches that keep the hot path (what clients send constantly) from re-planning.
//!
//! * The base [`SessionState`] is built once at start (catalog `sluice` with schema
//!   `sluice`, `pg_catalog`, `information_schema`, functions). Each connection clones it
//!   and adds its own settings and session functions.
//! * [`PlanCache`] (per connection) keeps logical plans by statement text. Plans whose
//!   expressions are all immutable are kept *optimized*; others (now(), random(),
//!   current_setting()) are re-optimized on every run so their values stay correct.
//! * [`ConstantCache`] (shared) keeps the result of statements that read no table and
//!   call no volatile or stable function — `SELECT 1`, `SELECT 'x' AS y` — so they are
//!   answered without DataFusion at all.

mod array_subquery;
mod caches;
mod compat;
pub mod databases;
pub mod federation;
mod information_schema;
mod keyed_lookup;
mod literals;
pub mod output_names;
mod planning;
pub mod portable;
mod reg_output;
mod rewrite;
mod select_exists;
mod set_functions;
mod sort_subqueries;
pub mod sources;
mod sql_functions;
mod subplans;
mod types;
mod untyped;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{CatalogProviderList, MemoryCatalogProviderList};
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::context::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_pg_catalog::pg_catalog::PgCatalogStaticTables;
use datafusion_pg_catalog::setup_pg_catalog;
use sluice_catalog::Store;
use sluice_catalog::pg::PgCatalog;
use sluice_catalog::pg::described::SluiceTables;
use sluice_catalog::pg_context::StoreRoles;
use sluice_catalog::system::SluiceSchema;
use sluice_functions::session as session_fns;

pub use caches::{CachedPlan, ConstantCache, ConstantResult, PlanCache};
pub use planning::{is_constant, is_immutable, plan_statement};
pub use subplans::physical_plan;

use crate::error::{Result, SluiceError};

/// The database (DataFusion catalog) clients connect to.
pub const DATABASE: &str = "sluice";

/// What a connection's DataFusion context depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSettings {
    pub user: String,
    /// Schemas of `search_path` (resolved), in order.
    pub search_path: Vec<String>,
    /// `TimeZone`.
    pub time_zone: String,
    /// The source connected to as a database; `None` for the gateway's own.
    pub database: Option<Connected>,
}

/// A session's source database, with its schemas as they were when it connected.
#[derive(Debug, Clone)]
pub struct Connected {
    pub database: Arc<databases::SourceDatabase>,
    pub schemas: Vec<String>,
}

impl PartialEq for Connected {
    fn eq(&self, other: &Connected) -> bool {
        Arc::ptr_eq(&self.database, &other.database) && self.schemas == other.schemas
    }
}

impl Eq for Connected {}

/// Shared DataFusion setup.
pub struct Engine {
    base: SessionState,
    catalogs: Arc<sources::GatewayCatalogs>,
    schemas: Vec<String>,
    compat: compat::Compat,
    /// For the functions that answer from the catalog per session (has_*_privilege).
    store: Store,
    /// datafusion-pg-catalog's snapshot of PostgreSQL's own catalog rows, shared by every
    /// database's `pg_catalog`.
    static_tables: Arc<PgCatalogStaticTables>,
    /// The server's parameters, as every database's `pg_settings` lists them.
    settings: Vec<sluice_catalog::pg::Setting>,
    /// Sources connected to as databases, by name (built on the first connection).
    databases: tokio::sync::Mutex<HashMap<String, Arc<databases::SourceDatabase>>>,
}

impl Engine {
    /// Builds the base session over `store`; `source_types` fills `sluice.source_types`.
    /// `listen` is the address clients connect to (`inet_server_addr()`).
    pub async fn new(
        store: Store,
        source_types: RecordBatch,
        listen: std::net::SocketAddr,
    ) -> Result<Engine> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(DATABASE, "public")
            .with_create_default_catalog_and_schema(true)
            // Sluice's own (see information_schema.rs)
            .with_information_schema(false);
        {
            let sql = &mut config.options_mut().sql_parser;
            sql.collect_spans = true;
            sql.map_string_types_to_utf8view = false;
            sql.enable_ident_normalization = true;
        }
        let catalogs = Arc::new(sources::GatewayCatalogs::new(Arc::new(MemoryCatalogProviderList::new())));
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_catalog_list(catalogs.clone())
            .build();
        let ctx = SessionContext::new_with_state(state);
        let catalog =
            ctx.catalog(DATABASE).ok_or_else(|| SluiceError::Internal("default catalog missing".into()))?;
        catalog.register_schema(
            sluice_catalog::system::SCHEMA_NAME,
            Arc::new(SluiceSchema::try_new(store.clone(), source_types)?),
        )?;
        setup_pg_catalog(&ctx, DATABASE, StoreRoles(store.clone())).map_err(|e| SluiceError::from(*e))?;
        let crate_pg_catalog = catalog
            .schema("pg_catalog")
            .ok_or_else(|| SluiceError::Internal("pg_catalog schema missing".into()))?;
        let settings: Vec<sluice_catalog::pg::Setting> = crate::parameters::PARAMS
            .iter()
            .map(|p| sluice_catalog::pg::Setting {
                name: p.name.to_owned(),
                value: match p.name {
                    "server_version" => crate::version::server_version(),
                    _ => p.default.to_owned(),
                },
                description: p.description.to_owned(),
                settable: !p.read_only,
            })
            .collect();
        let pg_catalog = Arc::new(
            PgCatalog::new(crate_pg_catalog, Arc::new(SluiceTables::default()))
                .with_settings(settings.clone())
                .with_roles(store.clone(), crate::bootstrap::SUPERUSER)
                .with_databases(databases_listed(&store, &catalogs)),
        );
        catalog.register_schema("pg_catalog", pg_catalog.clone())?;
        {
            let state = ctx.state_ref();
            let existing = state.read().clone();
            let mut analyzer: Vec<Arc<dyn datafusion::optimizer::AnalyzerRule + Send + Sync>> =
                vec![Arc::new(untyped::UntypedLiterals), Arc::new(sort_subqueries::SortSubqueries)];
            analyzer.extend(existing.analyzer().rules.iter().cloned());
            let optimizer = federation::optimizer_rules(existing.optimizers());
            *state.write() = SessionStateBuilder::new_from_existing(existing)
                .with_type_planner(Arc::new(types::PgTypes))
                .with_analyzer_rules(analyzer)
                .with_optimizer_rules(optimizer)
                .with_query_planner(federation::query_planner())
                .build();
        }
        if let Some(crate_format_type) = ctx.state().scalar_functions().get("format_type").cloned() {
            ctx.register_udf(sluice_functions::pg_compat::format_type(crate_format_type.as_ref().clone()));
        }
        for udf in sluice_functions::pg_info::fixed_answers() {
            ctx.register_udf(udf);
        }
        for udf in pg_catalog.functions() {
            ctx.register_udf(udf);
        }
        ctx.register_udf(sluice_functions::pg_info::regexp_split_to_array());
        ctx.register_udf(sluice_functions::pg_info::pg_expandarray());
        let (addr, port) = match listen.ip() {
            ip if ip.is_unspecified() => (None, None),
            ip => (Some(ip.to_string()), Some(i32::from(listen.port()))),
        };
        ctx.register_udf(session_fns::constant("inet_server_addr", ScalarValue::Utf8(addr)));
        ctx.register_udf(session_fns::constant("inet_server_port", ScalarValue::Int32(port)));
        ctx.register_udf(session_fns::version(&crate::version::server_version()));
        ctx.register_udf(session_fns::object_owner(crate::bootstrap::SUPERUSER));
        ctx.register_udf(sluice_functions::like::like_escape());
        ctx.register_udf(sluice_functions::format::format());
        ctx.register_udf(sluice_functions::format::quote_literal_function());
        ctx.register_udf(sluice_functions::pg_compat::pg_get_serial_sequence());
        ctx.register_udf(sluice_functions::pg_compat::pg_collation_is_visible());
        ctx.register_udf(sluice_functions::pg_compat::json_build_object());
        ctx.register_udf(sluice_functions::pg_compat::to_regtype());
        // Stable, not the crate's immutable constant: each database answers its own name
        ctx.register_udf(session_fns::constant("current_database", ScalarValue::Utf8(Some(DATABASE.into()))));
        let mut engine = Engine {
            base: ctx.state(),
            catalogs: catalogs.clone(),
            schemas: Vec::new(),
            compat: compat::Compat::new(),
            store,
            static_tables: Arc::new(PgCatalogStaticTables::try_new()?),
            settings,
            databases: Default::default(),
        };
        let views = information_schema::views(&engine, &engine.base, catalogs).await?;
        catalog.register_schema(information_schema::SCHEMA, views)?;
        let mut schemas = catalog.schema_names();
        schemas.sort();
        engine.schemas = schemas;
        Ok(engine)
    }

    /// A fresh context for one connection.
    pub fn context(&self, settings: &ContextSettings, setting: session_fns::SettingLookup) -> SessionContext {
        let (mut state, default_schema) = match &settings.database {
            None => {
                let default_schema = settings
                    .search_path
                    .iter()
                    .find(|s| self.schemas.iter().any(|known| known == *s))
                    .cloned()
                    .unwrap_or_else(|| "public".to_owned());
                (self.base.clone(), default_schema)
            }
            Some(connected) => (
                self.database_state(&connected.database),
                databases::SourceDatabase::default_schema(&connected.schemas, &settings.search_path),
            ),
        };
        {
            let options = state.config_mut().options_mut();
            options.catalog.default_schema = default_schema.clone();
            options.execution.time_zone = Some(settings.time_zone.clone());
        }
        let ctx = SessionContext::new_with_state(state);
        if let Some(connected) = &settings.database {
            for udf in connected.database.functions() {
                ctx.register_udf(udf);
            }
        }
        let user = ScalarValue::Utf8(Some(settings.user.clone()));
        ctx.register_udf(session_fns::constant("session_user", user.clone()));
        ctx.register_udf(session_fns::constant("current_user", user));
        ctx.register_udf(session_fns::constant("current_schema", ScalarValue::Utf8(Some(default_schema))));
        ctx.register_udf(session_fns::current_schemas(settings.search_path.clone()));
        ctx.register_udf(session_fns::current_setting(setting));
        let database = settings.database.as_ref().map(|c| c.database.name.as_str());
        for udf in sluice_catalog::pg::privilege_fns::all(self.store.clone(), &settings.user, database) {
            ctx.register_udf(udf);
        }
        ctx
    }

    /// The base session with source database `database` as its default catalog, and
    /// `current_database()` its name.
    fn database_state(&self, database: &Arc<databases::SourceDatabase>) -> SessionState {
        let list = databases::SessionCatalogs { gateway: self.catalogs.clone(), database: database.clone() };
        let mut state = SessionStateBuilder::new_from_existing(self.base.clone())
            .with_catalog_list(Arc::new(list))
            .build();
        state.config_mut().options_mut().catalog.default_catalog = database.name.clone();
        let name = ScalarValue::Utf8(Some(database.name.clone()));
        let _ = state.register_udf(Arc::new(session_fns::constant("current_database", name)));
        state
    }

    /// Source `name` as a database: its `pg_catalog` and `information_schema`, built on
    /// the first call and shared afterwards. The caller checked that the source exists
    /// and is read live.
    pub async fn source_database(&self, name: &str) -> Result<Arc<databases::SourceDatabase>> {
        let mut built = self.databases.lock().await;
        if let Some(database) = built.get(name) {
            return Ok(database.clone());
        }
        let gateway = self
            .catalogs
            .catalog(DATABASE)
            .ok_or_else(|| SluiceError::Internal("default catalog missing".into()))?;
        let metadata = databases::SourceMetadata::new(name, self.store.clone());
        let info = databases::SourceInfo::new(metadata.clone(), gateway);
        let crate_pg_catalog = datafusion_pg_catalog::pg_catalog::PgCatalogSchemaProvider::try_new(
            info,
            self.static_tables.clone(),
            StoreRoles(self.store.clone()),
        )?;
        let keys = databases::SourceKeys::new(metadata.clone()).await?;
        let pg_catalog = PgCatalog::new(Arc::new(crate_pg_catalog), Arc::new(keys))
            .with_settings(self.settings.clone())
            .with_roles(self.store.clone(), crate::bootstrap::SUPERUSER)
            .with_databases(databases_listed(&self.store, &self.catalogs));
        let database = Arc::new(databases::SourceDatabase::new(name, metadata, Arc::new(pg_catalog)));
        let state = self.database_state(&database);
        let views = information_schema::views(self, &state, self.catalogs.clone()).await?;
        database.set_information_schema(views);
        built.insert(name.to_owned(), database.clone());
        Ok(database)
    }

    /// Sources as catalogs of every session.
    pub fn catalogs(&self) -> &sources::GatewayCatalogs {
        &self.catalogs
    }

    /// The PostgreSQL compatibility rewriter (datafusion-pg-catalog).
    pub fn compat(&self) -> &compat::Compat {
        &self.compat
    }
}

/// What `pg_database` lists: the gateway's database and every source read live.
fn databases_listed(
    store: &Store,
    catalogs: &Arc<sources::GatewayCatalogs>,
) -> sluice_catalog::pg::databases::Databases {
    let catalogs = catalogs.clone();
    sluice_catalog::pg::databases::Databases {
        store: store.clone(),
        own: DATABASE.to_owned(),
        owner: crate::bootstrap::SUPERUSER.to_owned(),
        is_database: Arc::new(move |name: &str| catalogs.has_source(name)),
    }
}
