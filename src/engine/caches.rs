//! Plan and result caches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::LogicalPlan;

/// A cached logical plan.
#[derive(Debug)]
pub struct CachedPlan {
    pub plan: LogicalPlan,
    /// The plan has been through the optimizer already (all its expressions are immutable).
    pub optimized: bool,
    /// The plan reads no table and calls nothing volatile: its result can be shared.
    pub constant: bool,
    /// The sources whose live tables it reads (checked for SELECT at every run).
    pub sources: Vec<String>,
}

/// Per-connection plans by statement text, valid for one catalog epoch and one set of
/// planning settings (search path, time zone). Bounded: when full it starts over, which
/// keeps the common case (a client repeating a handful of statements) at zero cost.
/// Queries keep [`CachedPlan`]s; PREVIEW keeps its pipeline bound over the live tables.
pub struct PlanCache<T = CachedPlan> {
    epoch: u64,
    entries: HashMap<String, Arc<T>>,
}

impl<T> std::fmt::Debug for PlanCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanCache").field("epoch", &self.epoch).field("entries", &self.entries.len()).finish()
    }
}

impl<T> Default for PlanCache<T> {
    fn default() -> Self {
        PlanCache { epoch: 0, entries: HashMap::new() }
    }
}

impl<T> PlanCache<T> {
    const CAPACITY: usize = 256;

    /// The plan for `text` if it was made in catalog epoch `epoch`.
    pub fn get(&mut self, text: &str, epoch: u64) -> Option<Arc<T>> {
        if self.epoch != epoch {
            self.entries.clear();
            self.epoch = epoch;
            return None;
        }
        self.entries.get(text).cloned()
    }

    pub fn insert(&mut self, text: &str, epoch: u64, plan: Arc<T>) {
        if self.epoch != epoch {
            self.entries.clear();
            self.epoch = epoch;
        }
        if self.entries.len() >= Self::CAPACITY {
            self.entries.clear();
        }
        self.entries.insert(text.to_owned(), plan);
    }

    /// Forgets everything (a planning setting changed).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// The rows of a constant statement.
#[derive(Debug)]
pub struct ConstantResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// Results of constant statements, shared by all connections, by session time zone (a
/// constant such as `'2026-01-01'::timestamptz` folds in the session's zone) and text.
#[derive(Debug, Default)]
pub struct ConstantCache {
    entries: RwLock<HashMap<String, HashMap<String, Arc<ConstantResult>>>>,
}

impl ConstantCache {
    const CAPACITY: usize = 1024;
    /// Time zones kept at once (a session can name any zone; the cache must stay small).
    const ZONES: usize = 16;
    /// Results larger than this many rows are not kept.
    pub const MAX_ROWS: usize = 1000;
    /// Results larger than this many bytes are not kept.
    pub const MAX_BYTES: usize = 64 * 1024;

    pub fn get(&self, time_zone: &str, text: &str) -> Option<Arc<ConstantResult>> {
        self.entries.read().ok()?.get(time_zone)?.get(text).cloned()
    }

    pub fn insert(&self, time_zone: &str, text: &str, result: Arc<ConstantResult>) {
        let rows: usize = result.batches.iter().map(RecordBatch::num_rows).sum();
        let bytes: usize = result.batches.iter().map(RecordBatch::get_array_memory_size).sum();
        if rows > Self::MAX_ROWS || bytes > Self::MAX_BYTES {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if !entries.contains_key(time_zone) && entries.len() >= Self::ZONES {
                entries.clear();
            }
            let zone = entries.entry(time_zone.to_owned()).or_default();
            if zone.len() >= Self::CAPACITY {
                zone.clear();
            }
            zone.insert(text.to_owned(), result);
        }
    }
}
