//! The local target's copying: a job's INSERTs shared out to workers.
//!
//! Each worker takes the next INSERT from a queue, runs its query in DataFusion in a
//! task of its own that hands Arrow batches over a bounded channel ([`QUEUE`] batches:
//! reading and writing overlap, memory stays bounded whatever the table's size), and
//! writes them through its own connection to the sink source ([`LocalSink`]), opened
//! with its first table there and reused for the next. So a job holds at most `workers`
//! connections per sink server, whatever its table count.
//!
//! INSERTs into the same sink table go to one worker, one after another in one
//! transaction (on overwrite, the table is emptied once, before the first). With
//! [`TransactionScope::Table`] a worker commits each table as soon as it is written. With [`TransactionScope::Job`] its connection's transaction spans every
//! table it wrote; once every worker is done every sink is prepared, and only then are
//! they committed, one after another. A failure (or STOP) stops the other workers at
//! their next batch and rolls back whatever is not committed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::connectors::access::LoadedSource;
use crate::connectors::sink::{self, LocalSink, SinkSpec, TransactionScope, WriteMode};
use crate::error::{Result, SluiceError};
use crate::plan::{TablePath, TableUse};

/// Batches a reader may be ahead of its writer.
const QUEUE: usize = 4;

/// One INSERT of the job: the query it reads and the table it writes.
pub struct Copy {
    pub query: LogicalPlan,
    pub table: TableUse,
    pub columns: Vec<String>,
}

/// How a job copies.
pub struct Settings {
    pub workers: usize,
    pub scope: TransactionScope,
    pub mode: WriteMode,
    pub batch_size: usize,
    /// The sources the job reads, as a read error names them.
    pub read: String,
}

/// One table written.
pub struct Copied {
    pub table: TablePath,
    pub rows: i64,
    pub seconds: f64,
}

/// The INSERTs into one sink table, with their places in the job.
type Group = Vec<(usize, Copy)>;

/// What the workers share.
struct Shared {
    queue: Mutex<VecDeque<Group>>,
    /// The sink sources, credentials resolved.
    sinks: HashMap<String, LoadedSource>,
    planner: SessionContext,
    settings: Settings,
    /// Rows written so far, over all workers.
    rows: Arc<AtomicI64>,
}

/// A worker's connections: one per sink source it has written.
type Sinks = Vec<(String, Box<dyn LocalSink>)>;

/// Copies every INSERT of `copies` (sinks' sources in `sinks`) and returns what each
/// wrote, in the INSERTs' order. `rows` counts the rows written as they are.
pub async fn run(
    copies: Vec<Copy>,
    sinks: HashMap<String, LoadedSource>,
    planner: SessionContext,
    settings: Settings,
    cancel: &CancellationToken,
    rows: Arc<AtomicI64>,
) -> Result<Vec<Copied>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut by_table: HashMap<TablePath, usize> = HashMap::new();
    for (index, copy) in copies.into_iter().enumerate() {
        match by_table.get(&copy.table.path) {
            Some(&g) => groups[g].push((index, copy)),
            None => {
                by_table.insert(copy.table.path.clone(), groups.len());
                groups.push(vec![(index, copy)]);
            }
        }
    }
    let workers = settings.workers.clamp(1, groups.len().max(1));
    let scope = settings.scope;
    let queue = Mutex::new(groups.into_iter().collect());
    let shared = Arc::new(Shared { queue, sinks, planner, settings, rows });
    let stop = cancel.child_token();
    let handles: Vec<_> = (0..workers).map(|_| tokio::spawn(worker(shared.clone(), stop.clone()))).collect();
    let mut open: Vec<Box<dyn LocalSink>> = Vec::new();
    let mut copied = Vec::new();
    let mut failure: Option<SluiceError> = None;
    for handle in handles {
        let (sinks, result) = match handle.await {
            Ok(done) => done,
            Err(e) => (Vec::new(), Err(SluiceError::Internal(format!("a copying worker failed: {e}")))),
        };
        open.extend(sinks.into_iter().map(|(_, s)| s));
        match result {
            Ok(done) => copied.extend(done),
            // the first real failure, not the stops it caused
            Err(e) if failure.is_none() || matches!(failure, Some(SluiceError::Canceled)) => {
                failure = Some(e)
            }
            Err(_) => {}
        }
    }
    if let Some(e) = failure {
        rollback(open).await;
        return Err(if cancel.is_cancelled() { SluiceError::Canceled } else { e });
    }
    if scope == TransactionScope::Job {
        commit_all(open).await?;
    }
    copied.sort_by_key(|(i, _)| *i);
    Ok(copied.into_iter().map(|(_, c)| c).collect())
}

/// Prepares every sink, then commits them one after another: a sink that cannot commit
/// after being prepared (its connection or disk lost) leaves those committed before it.
async fn commit_all(mut open: Vec<Box<dyn LocalSink>>) -> Result<()> {
    for sink in open.iter_mut() {
        if let Err(e) = sink.prepare().await {
            rollback(open).await;
            return Err(e);
        }
    }
    let mut left = open.into_iter();
    while let Some(mut sink) = left.next() {
        if let Err(e) = sink.commit().await {
            rollback(left.collect()).await;
            return Err(e);
        }
    }
    Ok(())
}

async fn rollback(open: Vec<Box<dyn LocalSink>>) {
    for mut sink in open {
        sink.rollback().await;
    }
}

/// Copies INSERTs from the queue until it is empty, one failure stops every worker;
/// returns its connections (for the commit or rollback) with what it copied.
async fn worker(shared: Arc<Shared>, stop: CancellationToken) -> (Sinks, Result<Vec<(usize, Copied)>>) {
    let mut sinks: Sinks = Vec::new();
    let mut done = Vec::new();
    loop {
        let next = shared.queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
        let Some(group) = next else { break };
        match copy_group(&shared, &mut sinks, group, &stop).await {
            Ok(copied) => done.extend(copied),
            Err(e) => {
                stop.cancel();
                return (sinks, Err(e));
            }
        }
    }
    (sinks, Ok(done))
}

/// Copies the INSERTs into one sink table through the worker's connection to its
/// source, and commits them when each table is its own transaction.
async fn copy_group(
    shared: &Shared,
    sinks: &mut Sinks,
    group: Group,
    stop: &CancellationToken,
) -> Result<Vec<(usize, Copied)>> {
    let Some((_, first)) = group.first() else { return Ok(Vec::new()) };
    let source = first.table.path.source.clone();
    let found = sinks.iter().position(|(name, _)| *name == source);
    let at = match found {
        Some(at) => at,
        None => {
            let loaded = shared.sinks.get(&source).ok_or_else(|| {
                SluiceError::Internal(format!("sink source {source} of {} was not loaded", first.table.path))
            })?;
            let opened = sink::open(&first.table, loaded).await?;
            sinks.push((source, opened));
            sinks.len() - 1
        }
    };
    let sink = &mut sinks[at].1;
    let mut done = Vec::with_capacity(group.len());
    for (k, (index, copy)) in group.into_iter().enumerate() {
        if stop.is_cancelled() {
            return Err(SluiceError::Canceled);
        }
        // the table is emptied once, before the first INSERT into it
        let mode = if k == 0 { shared.settings.mode } else { WriteMode::Append };
        done.push((index, copy_one(shared, sink.as_mut(), copy, mode, stop).await?));
    }
    if shared.settings.scope == TransactionScope::Table {
        sink.prepare().await?;
        sink.commit().await?;
    }
    Ok(done)
}

/// Copies one INSERT through `sink`.
async fn copy_one(
    shared: &Shared,
    sink: &mut dyn LocalSink,
    copy: Copy,
    mode: WriteMode,
    stop: &CancellationToken,
) -> Result<Copied> {
    let settings = &shared.settings;
    let spec = SinkSpec { table: &copy.table, columns: &copy.columns, mode, batch_size: settings.batch_size };
    let started = Instant::now();
    sink.begin_table(&spec).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(QUEUE);
    let reader = super::Task::spawn(read(shared.planner.clone(), copy.query, tx));
    let mut rows = 0i64;
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return Err(SluiceError::Canceled),
            next = rx.recv() => next,
        };
        let Some(batch) = next else { break };
        let batch = batch.map_err(|e| super::read_error(e, &settings.read))?;
        sink.write(&batch).await?;
        rows += batch.num_rows() as i64;
        shared.rows.fetch_add(batch.num_rows() as i64, Ordering::Relaxed);
    }
    drop(reader);
    sink.end_table().await?;
    Ok(Copied { table: copy.table.path, rows, seconds: started.elapsed().as_secs_f64() })
}

type Batch =
    std::result::Result<datafusion::arrow::record_batch::RecordBatch, datafusion::error::DataFusionError>;

/// Runs `query` and hands its batches to `tx` until they end, the query fails (the error
/// is handed on) or the writer is gone.
async fn read(planner: SessionContext, query: LogicalPlan, tx: tokio::sync::mpsc::Sender<Batch>) {
    let stream = match planner.execute_logical_plan(query).await {
        Ok(frame) => frame.execute_stream().await,
        Err(e) => Err(e),
    };
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    while let Some(batch) = stream.next().await {
        if tx.send(batch).await.is_err() {
            return;
        }
    }
}
