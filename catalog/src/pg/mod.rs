//! `pg_catalog` as PostgreSQL types it, over datafusion-pg-catalog.
//!
//! datafusion-pg-catalog supplies the tables (a static snapshot of PostgreSQL's own
//! catalog rows, and dynamic `pg_class`/`pg_attribute`/`pg_namespace`/… over DataFusion's
//! catalogs). [`PgCatalog`] wraps its schema provider and gives the columns that the crate
//! keeps as text PostgreSQL's types ([`columns::COLUMNS`]); every other table is the
//! crate's, unchanged.

pub mod columns;
pub mod retype;

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

use retype::{ProcOids, Step};

/// The `pg_catalog` schema: datafusion-pg-catalog's, with PostgreSQL's column types.
#[derive(Debug)]
pub struct PgCatalog {
    inner: Arc<dyn SchemaProvider>,
    procs: OnceCell<Arc<ProcOids>>,
    /// Converted static tables (the crate's snapshot never changes).
    converted: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl PgCatalog {
    pub fn new(inner: Arc<dyn SchemaProvider>) -> PgCatalog {
        PgCatalog { inner, procs: OnceCell::new(), converted: Mutex::new(HashMap::new()) }
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
        if let Some(table) = self.cached(&name) {
            return Ok(Some(table));
        }
        let Some(inner) = self.inner.table(&name).await? else { return Ok(None) };
        let Some((schema, steps)) = retype::plan(&name, &inner.schema()) else { return Ok(Some(inner)) };
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
                cache.insert(name, table.clone());
            }
            return Ok(Some(table));
        }
        Ok(Some(Arc::new(Retyped { inner, schema, steps, procs })))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
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
        let plan = self.inner.scan(state, None, &[], None).await?;
        let batches = collect(plan, state.task_ctx()).await?;
        let converted = batches
            .iter()
            .map(|b| retype::convert(b, &self.schema, &self.steps, &self.procs))
            .collect::<Result<Vec<RecordBatch>>>()?;
        MemorySourceConfig::try_new_exec(&[converted], self.schema.clone(), projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}
