//! The scan of a store-backed system table: one store query carrying the pushed filters,
//! order and limit, run when the plan executes, its result kept by catalog epoch.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
    SortOrderPushdownResult,
};

use super::pushdown::Condition;
use super::tables::{Col, SystemTableDef};
use crate::store::Store;
use crate::store::rows::StoreValue;

/// Results of system-table queries, valid while the catalog epoch stays the same. Only
/// tables whose rows change with the epoch ([`SystemTableDef::cached`]) are kept.
#[derive(Debug, Default)]
pub struct ResultCache {
    inner: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    epoch: u64,
    entries: HashMap<(String, Vec<StoreValue>), RecordBatch>,
}

impl ResultCache {
    const CAPACITY: usize = 256;
    /// Results larger than this are read again each time.
    const MAX_BYTES: usize = 8 * 1024 * 1024;

    fn get(&self, epoch: u64, sql: &str, params: &[StoreValue]) -> Option<RecordBatch> {
        let state = self.inner.lock().ok()?;
        if state.epoch != epoch {
            return None;
        }
        state.entries.get(&(sql.to_owned(), params.to_vec())).cloned()
    }

    fn insert(&self, epoch: u64, sql: String, params: Vec<StoreValue>, batch: &RecordBatch) {
        if batch.get_array_memory_size() > Self::MAX_BYTES {
            return;
        }
        let Ok(mut state) = self.inner.lock() else { return };
        if state.epoch != epoch {
            if epoch < state.epoch {
                return; // read before a change another reader has already seen
            }
            state.entries.clear();
            state.epoch = epoch;
        }
        if state.entries.len() >= Self::CAPACITY {
            state.entries.clear();
        }
        state.entries.insert((sql, params), batch.clone());
    }
}

/// What a scan of one system table reads.
#[derive(Debug, Clone)]
pub struct StoreScanExec {
    def: &'static SystemTableDef,
    /// All the table's columns (the store query selects them all).
    table_schema: SchemaRef,
    store: Store,
    cache: Arc<ResultCache>,
    condition: Option<Condition>,
    projection: Option<Vec<usize>>,
    /// `(table column, descending)` when a sort was pushed into the store query.
    order: Option<(usize, bool)>,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl StoreScanExec {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        def: &'static SystemTableDef,
        table_schema: SchemaRef,
        store: Store,
        cache: Arc<ResultCache>,
        condition: Option<Condition>,
        projection: Option<Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<StoreScanExec> {
        let projected = match &projection {
            Some(p) => Arc::new(table_schema.project(p)?),
            None => table_schema.clone(),
        };
        Ok(StoreScanExec {
            def,
            table_schema,
            store,
            cache,
            condition,
            projection,
            order: None,
            limit,
            properties: Arc::new(properties(projected, None)),
        })
    }

    /// The table column behind output column `index`.
    fn table_column(&self, index: usize) -> Option<usize> {
        match &self.projection {
            Some(p) => p.get(index).copied(),
            None => Some(index),
        }
    }

    /// The store query and its parameters.
    fn query(&self) -> (String, Vec<StoreValue>) {
        let order = self.order.map(|(column, descending)| {
            let name = self.def.columns[column].0;
            format!("\"{name}\"{}", if descending { " DESC" } else { "" })
        });
        let condition = self.condition.as_ref().map(|c| c.sql.as_str());
        let sql = self.def.query(condition, order.as_deref(), self.limit);
        let params = self.condition.as_ref().map(|c| c.params.clone()).unwrap_or_default();
        (sql, params)
    }
}

fn properties(schema: SchemaRef, ordering: Option<LexOrdering>) -> PlanProperties {
    let equivalences = match ordering {
        Some(ordering) => EquivalenceProperties::new_with_orderings(schema, [ordering]),
        None => EquivalenceProperties::new(schema),
    };
    PlanProperties::new(
        equivalences,
        Partitioning::UnknownPartitioning(1),
        EmissionType::Incremental,
        Boundedness::Bounded,
    )
}

impl DisplayAs for StoreScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let (sql, _) = self.query();
        write!(f, "StoreScanExec: sluice.{} query={sql}", self.def.name)
    }
}

impl ExecutionPlan for StoreScanExec {
    fn name(&self) -> &str {
        "StoreScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, _partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let (sql, params) = self.query();
        let (store, cache, cached) = (self.store.clone(), self.cache.clone(), self.def.cached);
        let (table_schema, projection) = (self.table_schema.clone(), self.projection.clone());
        let load = async move {
            let epoch = store.epoch();
            let batch = match cached.then(|| cache.get(epoch, &sql, &params)).flatten() {
                Some(batch) => batch,
                None => {
                    let batch = store
                        .load_batch_with(&sql, &params, table_schema)
                        .await
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                    if cached {
                        cache.insert(epoch, sql, params, &batch);
                    }
                    batch
                }
            };
            match projection {
                Some(p) => Ok(batch.project(&p)?),
                None => Ok(batch),
            }
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), futures::stream::once(load))))
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }

    fn fetch(&self) -> Option<usize> {
        self.limit
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        let limit = match (self.limit, limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Some(Arc::new(StoreScanExec { limit, ..self.clone() }))
    }

    /// A sort on one non-null integer or timestamp column (`ORDER BY id DESC` on events)
    /// runs in the store, where the key's index answers it; with a limit above it, only
    /// the rows asked for are read.
    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
    ) -> Result<SortOrderPushdownResult<Arc<dyn ExecutionPlan>>> {
        let [sort] = order else { return Ok(SortOrderPushdownResult::Unsupported) };
        let Some(column) = sort.expr.downcast_ref::<Column>() else {
            return Ok(SortOrderPushdownResult::Unsupported);
        };
        let Some(table_column) = self.table_column(column.index()) else {
            return Ok(SortOrderPushdownResult::Unsupported);
        };
        let (name, col, nullable) = self.def.columns[table_column];
        let sortable = matches!(col, Col::Int | Col::Time) && !nullable && self.def.is_stored(name);
        if !sortable || self.limit.is_some() || self.order.is_some() {
            return Ok(SortOrderPushdownResult::Unsupported);
        }
        let ordering = LexOrdering::new([sort.clone()]);
        let inner = StoreScanExec {
            order: Some((table_column, sort.options.descending)),
            properties: Arc::new(properties(self.schema(), ordering)),
            ..self.clone()
        };
        Ok(SortOrderPushdownResult::Exact { inner: Arc::new(inner) })
    }
}
