//! Writing Arrow batches into tables of a source, for the `local` target. Each source
//! type the local target writes opens its own [`LocalSink`] (`Connector::open_sink`, in
//! its folder): a connection to one sink server (or a file system) that writes table
//! after table — PostgreSQL through binary `COPY … FROM STDIN`, MySQL through multi-row
//! `INSERT`s, files as CSV, JSON lines or Parquet. What the writers share — values as
//! text, the column list of a created table — is here.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::connectors::access::LoadedSource;
use crate::error::{Result, SluiceError};
use crate::plan::resolve::TableUse;

sluice_catalog::text_enum! {
    /// How a sink's existing rows are treated (the pipeline option `write_mode`).
    WriteMode {
        Append => "append",
        /// Existing rows are removed in the same transaction (files are replaced).
        Overwrite => "overwrite",
    }
}

sluice_catalog::text_enum! {
    /// What one transaction of the local target covers (the pipeline option
    /// `transaction`).
    TransactionScope {
        /// Every table of the job: nothing is committed until every table is written.
        Job => "job",
        /// Each table: committed as soon as it is written (a sync's tables).
        Table => "table",
    }
}

/// What writing one table needs: the table, the columns the INSERT writes in order, the
/// write mode and rows per round trip.
pub struct SinkSpec<'a> {
    pub table: &'a TableUse,
    pub columns: &'a [String],
    pub mode: WriteMode,
    pub batch_size: usize,
}

/// A connection of the local target to one sink — a database server or the file
/// system — that writes one table at a time, inside a transaction that spans the tables
/// written since the last commit. A worker of a job keeps one per sink source, so a job
/// holds at most as many connections to a server as it has workers, whatever its table
/// count.
#[async_trait::async_trait]
pub trait LocalSink: Send {
    /// Starts writing `spec.table`: the transaction begun if none is open, the table
    /// created when the pipeline creates it, its rows removed on overwrite.
    async fn begin_table(&mut self, spec: &SinkSpec<'_>) -> Result<()>;
    /// Writes one batch into the table begun last (columns in the order of
    /// [`SinkSpec::columns`]).
    async fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// The table begun last is complete: what is buffered for it is sent.
    async fn end_table(&mut self) -> Result<()>;
    /// Does what could still refuse the transaction's writes — deferred constraint
    /// checks, flushing files to disk — without making them visible.
    async fn prepare(&mut self) -> Result<()>;
    /// Makes the prepared writes visible; the sink may begin tables again.
    async fn commit(&mut self) -> Result<()>;
    /// Undoes the writes since the last commit (files written are removed).
    async fn rollback(&mut self);
}

/// Opens a connection to the sink source of `table` through its type's connector; a
/// type the local target cannot write is 0A000 naming the table and the types it can.
pub async fn open(table: &TableUse, source: &LoadedSource) -> Result<Box<dyn LocalSink>> {
    let source_type = table.source_type;
    match source_type.connector.open_sink(table, source).await {
        Some(sink) => sink,
        None => {
            let writable: Vec<&str> = crate::connectors::SOURCE_TYPES
                .iter()
                .filter(|t| t.can_write && t.engines.contains(&crate::connectors::Engine::Local))
                .map(|t| t.name)
                .collect();
            Err(SluiceError::not_supported(
                format!(
                    "the local target cannot write to sources of type {} ({})",
                    source_type.name, table.path
                ),
                Some(&format!(
                    "The local target writes {} tables; run the pipeline on a flink target.",
                    writable.join(", ")
                )),
            ))
        }
    }
}

/// The statement that creates sink `table` (written columns `columns`): a sync's own
/// DDL, else the type's, typed from the columns' Flink types; `None` where Sluice does
/// not create tables of the type.
pub fn create_statement(table: &TableUse, columns: &[String]) -> Option<String> {
    match &table.ddl {
        Some(ddl) => Some(ddl.clone()),
        None => table.source_type.connector.create_table(table, columns),
    }
}

/// The `CREATE TABLE IF NOT EXISTS` of a table the pipeline creates: the written columns,
/// names quoted with `quote`, each typed by `map` from its Flink SQL type (`STRING` when
/// unknown).
pub fn create_table_statement(
    table: &TableUse,
    columns: &[String],
    quote: fn(&str) -> String,
    map: fn(&str) -> String,
) -> String {
    let list = columns
        .iter()
        .map(|name| {
            let ty = table
                .columns
                .iter()
                .find(|c| c.name == *name)
                .map(|c| c.data_type.as_str())
                .unwrap_or("STRING");
            format!("{} {}", quote(name), map(ty))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (database, name) = (quote(&table.path.database), quote(&table.path.table));
    format!("CREATE TABLE IF NOT EXISTS {database}.{name} ({list})")
}

/// A sink that cannot be opened or written: the source is unavailable (08006).
pub fn sink_error(table: &TableUse, message: impl std::fmt::Display) -> SluiceError {
    SluiceError::SourceUnavailable {
        name: table.path.source.clone(),
        message: format!("writing {}: {message}", table.path),
    }
}

/// A local write that failed for a reason of the gateway (a file, an encoder).
pub fn write_error(path: &impl std::fmt::Display, message: impl std::fmt::Display) -> SluiceError {
    SluiceError::Internal(format!("writing {path}: {message}"))
}

pub(crate) const TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.f";
pub(crate) const TIMESTAMP_TZ: &str = "%Y-%m-%d %H:%M:%S%.f%:z";

/// Every value of every column as text (`None` for NULL), timestamps as the databases
/// read them.
pub fn format_columns(batch: &RecordBatch) -> Result<Vec<Vec<Option<String>>>> {
    let options = FormatOptions::default()
        .with_timestamp_format(Some(TIMESTAMP))
        .with_timestamp_tz_format(Some(TIMESTAMP_TZ));
    batch
        .columns()
        .iter()
        .map(|column| {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)
                .map_err(|e| SluiceError::Internal(format!("cannot format {}: {e}", column.data_type())))?;
            Ok((0..column.len())
                .map(|r| if column.is_null(r) { None } else { Some(formatter.value(r).to_string()) })
                .collect())
        })
        .collect()
}

/// Whether `column` holds bytes.
pub fn is_binary(column: &ArrayRef) -> bool {
    matches!(column.data_type(), DataType::Binary | DataType::LargeBinary | DataType::BinaryView)
}

/// Value `r` of a binary column (empty for other columns).
pub fn binary(column: &ArrayRef, r: usize) -> Vec<u8> {
    match column.data_type() {
        DataType::Binary => column.as_binary::<i32>().value(r).to_vec(),
        DataType::LargeBinary => column.as_binary::<i64>().value(r).to_vec(),
        DataType::BinaryView => column.as_binary_view().value(r).to_vec(),
        _ => Vec::new(),
    }
}
