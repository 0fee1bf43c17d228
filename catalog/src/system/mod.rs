//! Schema `sluice`: the catalog as DataFusion tables.
//!
//! Store-backed tables read the store when a plan executes, so a change is visible to
//! the very next query while plans cached by statement text stay valid. Filters the store
//! evaluates exactly (see [`pushdown`]), a sort on a key and a limit become part of the
//! store query, so `WHERE name = $1` is an indexed lookup and `ORDER BY id DESC LIMIT 10`
//! on events reads ten rows. Tables changed by DDL only keep their results until the
//! catalog epoch moves. `source_types` is static: the connectors registry hands it over
//! as one batch when the gateway starts.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::store::Store;

pub mod describe;
pub mod pushdown;
mod scan;
pub mod tables;

use scan::{ResultCache, StoreScanExec};
pub use tables::{SYSTEM_TABLES, SystemTableDef};

/// The name of the schema holding the system tables.
pub const SCHEMA_NAME: &str = "sluice";

/// Columns of `sluice.source_types`.
pub fn source_types_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("type", DataType::Utf8, false),
        Field::new("can_read", DataType::Boolean, false),
        Field::new("can_write", DataType::Boolean, false),
        Field::new("engines", DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))), false),
        Field::new("description", DataType::Utf8, false),
        Field::new("json_schema", DataType::Utf8, false),
    ]))
}

/// The `sluice` schema provider.
#[derive(Debug)]
pub struct SluiceSchema {
    tables: HashMap<&'static str, Arc<dyn TableProvider>>,
}

impl SluiceSchema {
    /// Builds the schema over `store`; `source_types` must have [`source_types_schema`].
    pub fn try_new(store: Store, source_types: RecordBatch) -> Result<SluiceSchema> {
        let mut tables: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();
        let cache = Arc::new(ResultCache::default());
        for def in SYSTEM_TABLES {
            let schema = Arc::new(def.schema());
            let table = StoreTable { def, schema, store: store.clone(), cache: cache.clone() };
            tables.insert(def.name, Arc::new(table));
        }
        let source_types = MemTable::try_new(source_types.schema(), vec![vec![source_types]])?;
        tables.insert("source_types", Arc::new(source_types));
        Ok(SluiceSchema { tables })
    }
}

#[async_trait]
impl SchemaProvider for SluiceSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().map(|s| s.to_string()).collect();
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self.tables.get(name).cloned())
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}

/// Whether `table` is a system table that reads the store (its filters are pushed there
/// once they hold values, not placeholders).
pub fn reads_store(table: &dyn TableProvider) -> bool {
    table.downcast_ref::<StoreTable>().is_some()
}

/// A system table whose rows come from the store when the plan executes.
#[derive(Debug)]
struct StoreTable {
    def: &'static SystemTableDef,
    schema: SchemaRef,
    store: Store,
    cache: Arc<ResultCache>,
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    // Reported as tables (not views) so that `\dt sluice.*` and BI tools' table lists
    // show them; they are read-only either way.
    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if pushdown::pushable(self.def, f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let condition = pushdown::condition(self.def, filters).map_err(DataFusionError::Internal)?;
        let (schema, store, cache) = (self.schema.clone(), self.store.clone(), self.cache.clone());
        let scan = StoreScanExec::new(self.def, schema, store, cache, condition, projection.cloned(), limit)?;
        Ok(Arc::new(scan))
    }
}
