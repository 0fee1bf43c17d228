//! Schema `sluice`: the catalog as DataFusion tables.
//!
//! Store-backed tables read the store when a query is planned for execution (in
//! `TableProvider::scan`), so a change is visible to the very next query while plans
//! cached by statement text stay valid. `source_types` is static: the connectors
//! registry hands it over as one batch when the gateway starts.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use crate::store::Store;

pub mod describe;
pub mod tables;

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
        for def in SYSTEM_TABLES {
            tables.insert(
                def.name,
                Arc::new(StoreTable { def, schema: Arc::new(def.schema()), store: store.clone() }),
            );
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

/// A system table whose rows come from the store at scan time.
#[derive(Debug)]
struct StoreTable {
    def: &'static SystemTableDef,
    schema: SchemaRef,
    store: Store,
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

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let sql = match limit {
            Some(n) if filters.is_empty() && self.def.limit_pushdown => {
                format!("{} LIMIT {n}", self.def.sql)
            }
            _ => self.def.sql.to_owned(),
        };
        let batch = self
            .store
            .load_batch(&sql, self.schema.clone())
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let exec =
            MemorySourceConfig::try_new_exec(&[vec![batch]], self.schema.clone(), projection.cloned())?;
        Ok(exec)
    }
}
