//! `pg_catalog` as PostgreSQL types it, over datafusion-pg-catalog.
//!
//! datafusion-pg-catalog supplies the tables (a static snapshot of PostgreSQL's own
//! catalog rows, and dynamic `pg_class`/`pg_attribute`/`pg_namespace`/… over DataFusion's
//! catalogs). [`PgCatalog`] wraps its schema provider and gives the columns that the crate
//! keeps as text PostgreSQL's types ([`columns::COLUMNS`]); every other table is the
//! crate's, unchanged.

pub mod columns;
pub mod databases;
pub mod described;
pub mod functions;
pub mod objects;
pub mod privilege_fns;
pub mod retype;
pub mod roles;
mod rows;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use tokio::sync::OnceCell;

use objects::{Listing, Objects};
use retype::{ProcOids, Step};

/// The `pg_catalog` schema: datafusion-pg-catalog's, with PostgreSQL's column types.
#[derive(Debug)]
pub struct PgCatalog {
    inner: Arc<dyn SchemaProvider>,
    procs: OnceCell<Arc<ProcOids>>,
    /// Converted static tables (the crate's snapshot never changes).
    converted: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
    /// The database's described tables as PostgreSQL objects, shared with [`functions`].
    objects: Arc<Objects>,
    /// What `pg_database` lists (every database but the crate's own).
    databases: Option<databases::Databases>,
    /// The server's parameters, which `pg_settings` lists.
    settings: Vec<Setting>,
    /// The store `pg_roles` and `pg_auth_members` list, and the role owning the catalog.
    roles: Option<(crate::store::Store, String)>,
}

/// A server parameter as `pg_settings` lists it: its default value (a session's SET is
/// seen by `SHOW` and `current_setting`, not here).
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub description: String,
    /// Whether a session may SET it (`context` user, else internal).
    pub settable: bool,
}

impl PgCatalog {
    /// datafusion-pg-catalog's `inner` schema, with the keys and comments of the tables
    /// `describe` describes.
    pub fn new(inner: Arc<dyn SchemaProvider>, describe: Arc<dyn described::Describe>) -> PgCatalog {
        PgCatalog {
            inner,
            procs: OnceCell::new(),
            converted: Mutex::new(HashMap::new()),
            objects: Arc::new(Objects::new(describe)),
            databases: None,
            settings: Vec::new(),
            roles: None,
        }
    }

    /// Lists the roles and memberships of `store` in `pg_roles` and `pg_auth_members`;
    /// `owner` owns the catalog (oid 10).
    pub fn with_roles(mut self, store: crate::store::Store, owner: &str) -> PgCatalog {
        self.roles = Some((store, owner.to_owned()));
        self
    }

    /// Lists the databases `databases` names in `pg_database`, besides the crate's.
    pub fn with_databases(mut self, databases: databases::Databases) -> PgCatalog {
        self.databases = Some(databases);
        self
    }

    /// The parameters `pg_settings` lists.
    pub fn with_settings(mut self, settings: Vec<Setting>) -> PgCatalog {
        self.settings = settings;
        self
    }

    fn settings_table(&self, schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
        use datafusion::common::ScalarValue;
        let text = |v: &str| ScalarValue::Utf8(Some(v.to_owned()));
        let rows: Vec<objects::Row> = self
            .settings
            .iter()
            .map(|s| {
                vec![
                    ("name", text(&s.name)),
                    ("setting", text(&s.value)),
                    ("category", text("Sluice")),
                    ("short_desc", text(&s.description)),
                    ("context", text(if s.settable { "user" } else { "internal" })),
                    ("vartype", text("string")),
                    ("source", text("default")),
                    ("boot_val", text(&s.value)),
                    ("reset_val", text(&s.value)),
                    ("pending_restart", ScalarValue::Boolean(Some(false))),
                ]
            })
            .collect();
        let batch = objects::rows_batch(&schema, &rows)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }

    /// The functions that describe Sluice's objects (`pg_get_indexdef`, `obj_description`
    /// …), answering from what this catalog lists.
    pub fn functions(&self) -> Vec<datafusion::logical_expr::ScalarUDF> {
        functions::all(self.objects.clone())
    }

    /// `table` as the crate and the conversions make it, before Sluice's objects are added.
    async fn converted_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.cached(name) {
            return Ok(Some(table));
        }
        let Some(inner) = self.inner.table(name).await? else { return Ok(None) };
        let Some((schema, mut steps)) = retype::plan(name, &inner.schema()) else { return Ok(Some(inner)) };
        if let (Ok(i), Some((_, owner))) = (schema.index_of("relacl"), &self.roles) {
            steps[i] = retype::Step::Fill(readable_by_everyone(owner));
        }
        let procs = self.procs().await?;
        if let Some(memory) = inner.downcast_ref::<MemTable>() {
            // A static table: converted once.
            let mut batches = Vec::new();
            for partition in &memory.batches {
                for batch in partition.read().await.iter() {
                    batches.push(retype::convert(batch, &schema, &steps, &procs)?);
                }
            }
            let table: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(schema, vec![batches])?);
            if let Ok(mut cache) = self.converted.lock() {
                cache.insert(name.to_owned(), table.clone());
            }
            return Ok(Some(table));
        }
        Ok(Some(Arc::new(Retyped { inner, schema, steps, procs })))
    }

    /// Function oids by name, read once from the crate's `pg_proc`.
    async fn procs(&self) -> Result<Arc<ProcOids>> {
        self.procs
            .get_or_try_init(|| async {
                let Some(table) = self.inner.table("pg_proc").await? else {
                    return Ok(Arc::new(ProcOids::new()));
                };
                let batches = SessionContext::new().read_table(table)?.collect().await?;
                Ok(Arc::new(retype::proc_oids(&batches)?))
            })
            .await
            .cloned()
    }

    fn cached(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.converted.lock().ok().and_then(|c| c.get(name).cloned())
    }
}

#[async_trait]
impl SchemaProvider for PgCatalog {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        let Some(table) = self.converted_table(&name).await? else { return Ok(None) };
        if name == "pg_settings" && !self.settings.is_empty() {
            return self.settings_table(table.schema()).map(Some);
        }
        if let (Some(databases), "pg_database") = (&self.databases, name.as_str()) {
            return Ok(Some(Arc::new(databases::DatabaseTable::new(table, databases.clone()))));
        }
        if let Some((store, owner)) = &self.roles {
            let listing = match name.as_str() {
                "pg_roles" => Some(roles::Listing::Roles),
                "pg_auth_members" => Some(roles::Listing::AuthMembers),
                _ => None,
            };
            if let Some(listing) = listing {
                return Ok(Some(Arc::new(roles::RoleTable {
                    listing,
                    schema: table.schema(),
                    store: store.clone(),
                    owner: owner.clone(),
                })));
            }
        }
        Ok(Some(match Listing::of(&name) {
            Some(Listing::Attribute) if !self.objects.types_columns() => table,
            Some(listing) => Arc::new(WithObjects {
                inner: table,
                listing,
                crate_schema: self.inner.clone(),
                objects: self.objects.clone(),
            }),
            None => table,
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

/// `relacl` of the gateway's relations, as PostgreSQL writes it for its own catalogs:
/// `{owner=r/owner,=r/owner}` — the owner and PUBLIC may read them (and nobody writes them),
/// as `has_table_privilege` answers.
fn readable_by_everyone(owner: &str) -> datafusion::common::ScalarValue {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::common::ScalarValue;
    let items = [format!("{owner}=r/{owner}"), format!("=r/{owner}")].map(|i| ScalarValue::Utf8(Some(i)));
    ScalarValue::List(ScalarValue::new_list_nullable(&items, &DataType::Utf8))
}

/// Every row of `table`, unfiltered: the crate's tables are computed whole anyway.
async fn read_all(table: &dyn TableProvider, state: &dyn Session) -> Result<Vec<RecordBatch>> {
    let plan = table.scan(state, None, &[], None).await?;
    collect(plan, state.task_ctx()).await
}

/// A dynamic table of the crate, converted as it is read.
#[derive(Debug)]
struct Retyped {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    steps: Vec<Step>,
    procs: Arc<ProcOids>,
}

#[async_trait]
impl TableProvider for Retyped {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = read_all(self.inner.as_ref(), state).await?;
        let converted = batches
            .iter()
            .map(|b| retype::convert(b, &self.schema, &self.steps, &self.procs))
            .collect::<Result<Vec<RecordBatch>>>()?;
        MemorySourceConfig::try_new_exec(&[converted], self.schema.clone(), projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}

/// A `pg_catalog` table that also lists Sluice's own objects ([`objects`]).
#[derive(Debug)]
struct WithObjects {
    inner: Arc<dyn TableProvider>,
    listing: Listing,
    crate_schema: Arc<dyn SchemaProvider>,
    objects: Arc<Objects>,
}

#[async_trait]
impl TableProvider for WithObjects {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = read_all(self.inner.as_ref(), state).await?;
        let schema = self.schema();
        let batches = objects::with_objects(
            self.listing,
            batches,
            &schema,
            self.crate_schema.as_ref(),
            state,
            &self.objects,
        )
        .await?;
        MemorySourceConfig::try_new_exec(&[batches], schema, projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}
