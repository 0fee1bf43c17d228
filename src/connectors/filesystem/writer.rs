//! The local target's file sink: one new file per job in the table's directory, as CSV
//! (with a header), JSON lines or Parquet (its schema from the first batch). Local paths
//! only; object stores are written by the engines.
//!
//! Nothing a reader sees changes before the job commits. Appending, the file is written
//! hidden (`.part-….csv.inprogress`, as Flink's file sink hides its in-progress files) and
//! renamed at commit. Overwriting, the new file goes into a hidden staging directory next
//! to the table's (`.<dir>.staging-…`); at commit the old directory is moved aside, the
//! staging directory renamed into its place and the old one removed — a failure, STOP or
//! cancel before then leaves the old files as they were.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use tokio::io::AsyncWriteExt;

use crate::connectors::access::LoadedSource;
use crate::connectors::render::{Options, file_path};
use crate::connectors::sink::{LocalSink, SinkSpec, WriteMode, format_columns, sink_error, write_error};
use crate::error::{Result, SluiceError};
use crate::plan::TablePath;
use crate::plan::TableUse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextFormat {
    Csv,
    Json,
}

/// Where a job's file is written and how it becomes visible.
struct Placement {
    /// The file as written.
    written: PathBuf,
    /// Its name once committed (appending: the visible name in the table's directory).
    visible: PathBuf,
    /// Overwriting: the staging directory that replaces `dir` at commit.
    staging: Option<PathBuf>,
    /// The table's directory.
    dir: PathBuf,
}

impl Placement {
    /// Where a new file of extension `ext` goes in `dir`; its directory is created.
    async fn new(dir: &str, ext: &str, mode: WriteMode) -> std::io::Result<Placement> {
        let dir = PathBuf::from(dir);
        let name = format!("part-{}.{ext}", unique_suffix());
        if mode == WriteMode::Overwrite {
            let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let staging = sibling(&dir, &format!(".{base}.staging-{}", unique_suffix()));
            tokio::fs::create_dir_all(&staging).await?;
            let written = staging.join(&name);
            Ok(Placement { visible: written.clone(), written, staging: Some(staging), dir })
        } else {
            tokio::fs::create_dir_all(&dir).await?;
            let written = dir.join(format!(".{name}.inprogress"));
            Ok(Placement { written, visible: dir.join(name), staging: None, dir })
        }
    }

    /// Makes the file visible: the staging directory replaces the table's, or the hidden
    /// file is renamed.
    async fn publish(&self, has_file: bool) -> std::io::Result<()> {
        match &self.staging {
            Some(staging) => {
                let base = self.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let old = sibling(&self.dir, &format!(".{base}.old-{}", unique_suffix()));
                let moved = match tokio::fs::rename(&self.dir, &old).await {
                    Ok(()) => true,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                    Err(e) => return Err(e),
                };
                if let Err(e) = tokio::fs::rename(staging, &self.dir).await {
                    if moved {
                        let _ = tokio::fs::rename(&old, &self.dir).await;
                    }
                    return Err(e);
                }
                if moved {
                    let _ = tokio::fs::remove_dir_all(&old).await;
                }
                Ok(())
            }
            None if has_file => tokio::fs::rename(&self.written, &self.visible).await,
            None => Ok(()),
        }
    }

    /// Removes what the job wrote.
    async fn discard(&self) {
        match &self.staging {
            Some(staging) => {
                let _ = tokio::fs::remove_dir_all(staging).await;
            }
            None => {
                let _ = tokio::fs::remove_file(&self.written).await;
            }
        }
    }
}

/// `name` next to `dir` (in its parent directory).
fn sibling(dir: &Path, name: &str) -> PathBuf {
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(name),
        _ => PathBuf::from(name),
    }
}

/// A CSV or JSON-lines file.
pub struct TextSink {
    file: tokio::fs::File,
    placement: Placement,
    format: TextFormat,
    header: Vec<String>,
    first: bool,
    path: TablePath,
}

/// A Parquet file, opened with the first batch (whose types make its schema).
pub struct ParquetSink {
    writer: Option<Box<ArrowWriter<std::fs::File>>>,
    /// Whether a file was written (and closed by `prepare`).
    written: bool,
    placement: Placement,
    header: Vec<String>,
    path: TablePath,
}

/// The file system as a sink: a new file per table written, each hidden until committed.
#[derive(Default)]
pub struct FileSink {
    /// The files written since the last commit, the last one being written.
    files: Vec<Box<dyn FileTable>>,
}

/// One table's new file.
#[async_trait::async_trait]
trait FileTable: Send {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Flushes the file to disk.
    async fn prepare(&mut self) -> Result<()>;
    /// Makes the file visible.
    async fn commit(self: Box<Self>) -> Result<()>;
    /// Removes the file.
    async fn rollback(self: Box<Self>);
}

/// Files need no connection.
pub async fn open(_table: &TableUse, _source: &LoadedSource) -> Result<Box<dyn LocalSink>> {
    Ok(Box::<FileSink>::default())
}

#[async_trait::async_trait]
impl LocalSink for FileSink {
    async fn begin_table(&mut self, spec: &SinkSpec<'_>) -> Result<()> {
        self.files.push(open_file(spec).await?);
        Ok(())
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match self.files.last_mut() {
            Some(file) => file.write(batch).await,
            None => Err(SluiceError::Internal("a batch for a file sink with no table begun".into())),
        }
    }

    async fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    async fn prepare(&mut self) -> Result<()> {
        for file in &mut self.files {
            file.prepare().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        let mut files = std::mem::take(&mut self.files).into_iter();
        while let Some(file) = files.next() {
            if let Err(e) = file.commit().await {
                self.files = files.collect();
                return Err(e);
            }
        }
        Ok(())
    }

    async fn rollback(&mut self) {
        for file in std::mem::take(&mut self.files) {
            file.rollback().await;
        }
    }
}

/// Checks the format and the path, and creates the file (Parquet: with the first batch)
/// where it stays hidden until the job commits.
async fn open_file(spec: &SinkSpec<'_>) -> Result<Box<dyn FileTable>> {
    let table = spec.table;
    let format = Options::new(table).get("format", &mut Default::default());
    let ext = match format.as_deref() {
        Some(known @ ("csv" | "json" | "parquet")) => known,
        None => "csv",
        Some(other) => {
            return Err(SluiceError::not_supported(
                format!("the local target writes csv, json and parquet files, not {other} ({})", table.path),
                Some("Run the pipeline on a flink target."),
            ));
        }
    };
    let dir = file_path(table);
    let dir = dir.strip_prefix("file://").unwrap_or(&dir).to_owned();
    if dir.contains("://") {
        return Err(SluiceError::not_supported(
            format!("the local target writes local files, not {dir}"),
            Some("Run the pipeline on a flink target."),
        ));
    }
    let placement = Placement::new(&dir, ext, spec.mode).await.map_err(|e| sink_error(table, e))?;
    let header = spec.columns.to_vec();
    let path = table.path.clone();
    let format = match ext {
        "parquet" => {
            return Ok(Box::new(ParquetSink { writer: None, written: false, placement, header, path }));
        }
        "json" => TextFormat::Json,
        _ => TextFormat::Csv,
    };
    let file = match tokio::fs::File::create(&placement.written).await {
        Ok(file) => file,
        Err(e) => {
            placement.discard().await;
            return Err(sink_error(table, e));
        }
    };
    Ok(Box::new(TextSink { file, placement, format, header, first: true, path }))
}

#[async_trait::async_trait]
impl FileTable for TextSink {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let mut text = String::new();
        if self.first && self.format == TextFormat::Csv {
            text.push_str(&self.header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
            text.push('\n');
        }
        self.first = false;
        let formatted = format_columns(batch)?;
        // rows out of column-major formatted values
        #[allow(clippy::needless_range_loop)]
        for r in 0..batch.num_rows() {
            match self.format {
                TextFormat::Csv => {
                    let fields: Vec<String> = (0..batch.num_columns())
                        .map(|c| formatted[c][r].as_deref().map(csv_field).unwrap_or_default())
                        .collect();
                    text.push_str(&fields.join(","));
                }
                TextFormat::Json => {
                    let mut object = serde_json::Map::new();
                    for (c, name) in self.header.iter().enumerate() {
                        object
                            .insert(name.clone(), json_value(batch.column(c), r, formatted[c][r].as_deref()));
                    }
                    text.push_str(&serde_json::Value::Object(object).to_string());
                }
            }
            text.push('\n');
        }
        self.file.write_all(text.as_bytes()).await.map_err(|e| write_error(&self.path, e))
    }

    async fn prepare(&mut self) -> Result<()> {
        self.file.flush().await.map_err(|e| write_error(&self.path, e))?;
        self.file.sync_all().await.map_err(|e| write_error(&self.path, e))
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.placement.publish(true).await.map_err(|e| write_error(&self.path, e))
    }

    async fn rollback(self: Box<Self>) {
        self.placement.discard().await;
    }
}

#[async_trait::async_trait]
impl FileTable for ParquetSink {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let path = &self.path;
        let fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .zip(self.header.iter())
            .map(|(f, name)| Field::new(name, f.data_type().clone(), true))
            .collect();
        let named = RecordBatch::try_new(Arc::new(Schema::new(fields)), batch.columns().to_vec())
            .map_err(|e| write_error(path, e))?;
        if self.writer.is_none() {
            let file = std::fs::File::create(&self.placement.written).map_err(|e| write_error(path, e))?;
            let writer =
                ArrowWriter::try_new(file, named.schema(), None).map_err(|e| write_error(path, e))?;
            self.writer = Some(Box::new(writer));
        }
        match &mut self.writer {
            Some(w) => w.write(&named).map_err(|e| write_error(path, e)),
            None => Ok(()),
        }
    }

    async fn prepare(&mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            let file = writer.into_inner().map_err(|e| write_error(&self.path, e))?;
            file.sync_all().map_err(|e| write_error(&self.path, e))?;
            self.written = true;
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.placement.publish(self.written).await.map_err(|e| write_error(&self.path, e))
    }

    async fn rollback(self: Box<Self>) {
        self.placement.discard().await;
    }
}

fn json_value(column: &ArrayRef, r: usize, text: Option<&str>) -> serde_json::Value {
    let Some(text) = text else { return serde_json::Value::Null };
    match column.data_type() {
        DataType::Boolean => serde_json::Value::Bool(column.as_boolean().value(r)),
        t if t.is_integer() || t.is_floating() => {
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
        }
        _ => serde_json::Value::String(text.to_owned()),
    }
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A file-name-safe unique suffix.
fn unique_suffix() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
