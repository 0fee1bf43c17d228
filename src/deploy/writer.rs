//! Writing Arrow batches into sinks for the `local` target: PostgreSQL through `COPY …
//! FROM STDIN`, MySQL through multi-row `INSERT`s, each inside one transaction that
//! commits only when every sink of the pipeline is written; files as CSV, JSON lines or
//! Parquet.

use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Field, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Schema, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::parquet::arrow::ArrowWriter;
use sqlx::{Connection, MySqlConnection, PgConnection};
use tokio::io::AsyncWriteExt;

use crate::connectors::access::LoadedSource;
use crate::connectors::live::db_error;
use crate::connectors::render::file_path;
use crate::error::{Result, SluiceError};
use crate::plan::resolve::TableUse;
use crate::sql::ast::quote_ident;

/// How a sink's existing rows are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Append,
    /// Existing rows are removed in the same transaction (files are replaced).
    Overwrite,
}

/// An open sink.
pub enum SinkWriter {
    Postgres {
        conn: PgConnection,
        copy: String,
    },
    MySql {
        conn: MySqlConnection,
        insert: String,
        columns: usize,
        per_statement: usize,
    },
    File {
        file: tokio::fs::File,
        path: String,
        format: FileFormat,
        header: Vec<String>,
        first: bool,
    },
    /// A Parquet file, opened with the first batch (whose types make its schema).
    Parquet {
        writer: Option<Box<ArrowWriter<std::fs::File>>>,
        path: String,
        header: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Json,
}

const TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.f";
const TIMESTAMP_TZ: &str = "%Y-%m-%d %H:%M:%S%.f%:z";

fn options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_timestamp_format(Some(TIMESTAMP))
        .with_timestamp_tz_format(Some(TIMESTAMP_TZ))
}

fn sink_error(table: &TableUse, message: impl std::fmt::Display) -> SluiceError {
    SluiceError::SourceUnavailable {
        name: table.path.source.clone(),
        message: format!("writing {}: {message}", table.path),
    }
}

impl SinkWriter {
    /// Opens the sink `table` (written columns `columns`), creating the table first when
    /// the pipeline creates it, and starts its transaction.
    pub async fn open(
        table: &TableUse,
        source: &LoadedSource,
        columns: &[String],
        mode: WriteMode,
        batch_size: usize,
    ) -> Result<SinkWriter> {
        let endpoint = source.endpoint();
        let err = |e: sqlx::Error| db_error(&table.path, e);
        match table.source_type.name {
            "postgres" => {
                let mut conn = crate::connectors::postgres::live::connect(&endpoint)
                    .await
                    .map_err(|m| sink_error(table, m))?;
                let name =
                    format!("{}.{}", quote_ident(&table.path.database), quote_ident(&table.path.table));
                sqlx::raw_sql("BEGIN").execute(&mut conn).await.map_err(err)?;
                if let Some(ddl) = create_statement(table, columns).filter(|_| table.create) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await.map_err(err)?;
                }
                if mode == WriteMode::Overwrite {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("TRUNCATE {name}")))
                        .execute(&mut conn)
                        .await
                        .map_err(err)?;
                }
                let list = columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
                Ok(SinkWriter::Postgres { conn, copy: format!("COPY {name} ({list}) FROM STDIN") })
            }
            "mysql" => {
                let mut conn = crate::connectors::mysql::live::connect(&endpoint)
                    .await
                    .map_err(|m| sink_error(table, m))?;
                let name = format!("{}.{}", my_ident(&table.path.database), my_ident(&table.path.table));
                if let Some(ddl) = create_statement(table, columns).filter(|_| table.create) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await.map_err(err)?;
                }
                sqlx::raw_sql("START TRANSACTION").execute(&mut conn).await.map_err(err)?;
                if mode == WriteMode::Overwrite {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {name}")))
                        .execute(&mut conn)
                        .await
                        .map_err(err)?;
                }
                let list = columns.iter().map(|c| my_ident(c)).collect::<Vec<_>>().join(", ");
                let per_statement = batch_size.clamp(1, 60_000 / columns.len().max(1));
                Ok(SinkWriter::MySql {
                    conn,
                    insert: format!("INSERT INTO {name} ({list}) VALUES "),
                    columns: columns.len(),
                    per_statement,
                })
            }
            "filesystem" => {
                let format =
                    crate::connectors::render::Options::new(table).get("format", &mut Default::default());
                let ext = match format.as_deref() {
                    Some(known @ ("csv" | "json" | "parquet")) => known,
                    None => "csv",
                    Some(other) => {
                        return Err(SluiceError::not_supported(
                            format!(
                                "the local target writes csv, json and parquet files, not {other} ({})",
                                table.path
                            ),
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
                if mode == WriteMode::Overwrite {
                    let _ = tokio::fs::remove_dir_all(&dir).await;
                }
                tokio::fs::create_dir_all(&dir).await.map_err(|e| sink_error(table, e))?;
                let path = format!("{dir}/part-{}.{ext}", uuid_like());
                let header = columns.to_vec();
                let format = match ext {
                    "parquet" => return Ok(SinkWriter::Parquet { writer: None, path, header }),
                    "json" => FileFormat::Json,
                    _ => FileFormat::Csv,
                };
                let file = tokio::fs::File::create(&path).await.map_err(|e| sink_error(table, e))?;
                Ok(SinkWriter::File { file, path, format, header, first: true })
            }
            other => Err(SluiceError::not_supported(
                format!("the local target cannot write to sources of type {other} ({})", table.path),
                Some(
                    "The local target writes postgres, mysql and filesystem tables; run the pipeline on a flink target.",
                ),
            )),
        }
    }

    /// Writes one batch (columns in the order given to [`SinkWriter::open`]).
    pub async fn write(&mut self, batch: &RecordBatch, path: &impl std::fmt::Display) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        match self {
            SinkWriter::Postgres { conn, copy } => {
                let text = copy_text(batch)?;
                let mut copy_in = conn.copy_in_raw(copy.as_str()).await.map_err(|e| db_error(path, e))?;
                copy_in.send(text.into_bytes()).await.map_err(|e| db_error(path, e))?;
                copy_in.finish().await.map_err(|e| db_error(path, e))?;
                Ok(())
            }
            SinkWriter::MySql { conn, insert, columns, per_statement } => {
                let mut start = 0;
                while start < batch.num_rows() {
                    let len = (*per_statement).min(batch.num_rows() - start);
                    let slice = batch.slice(start, len);
                    let row = format!("({})", vec!["?"; *columns].join(", "));
                    let sql = format!("{insert}{}", vec![row.as_str(); len].join(", "));
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    let formatted = format_columns(&slice)?;
                    for r in 0..len {
                        for (c, column) in slice.columns().iter().enumerate() {
                            query = bind_mysql(query, column, r, &formatted[c]);
                        }
                    }
                    query.execute(&mut *conn).await.map_err(|e| db_error(path, e))?;
                    start += len;
                }
                Ok(())
            }
            SinkWriter::Parquet { writer, path: file_path, header } => {
                let fields: Vec<Field> = batch
                    .schema()
                    .fields()
                    .iter()
                    .zip(header.iter())
                    .map(|(f, name)| Field::new(name, f.data_type().clone(), true))
                    .collect();
                let named = RecordBatch::try_new(Arc::new(Schema::new(fields)), batch.columns().to_vec())
                    .map_err(|e| SluiceError::Internal(format!("writing {path}: {e}")))?;
                let parquet = |e: datafusion::parquet::errors::ParquetError| {
                    SluiceError::Internal(format!("writing {path}: {e}"))
                };
                if writer.is_none() {
                    let file = std::fs::File::create(&*file_path)
                        .map_err(|e| SluiceError::Internal(format!("writing {path}: {e}")))?;
                    *writer =
                        Some(Box::new(ArrowWriter::try_new(file, named.schema(), None).map_err(parquet)?));
                }
                match writer {
                    Some(w) => w.write(&named).map_err(parquet),
                    None => Ok(()),
                }
            }
            SinkWriter::File { file, format, header, first, .. } => {
                let mut text = String::new();
                if *first && *format == FileFormat::Csv {
                    text.push_str(&header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
                    text.push('\n');
                }
                *first = false;
                let formatted = format_columns(batch)?;
                // rows out of column-major formatted values
                #[allow(clippy::needless_range_loop)]
                for r in 0..batch.num_rows() {
                    match format {
                        FileFormat::Csv => {
                            let fields: Vec<String> = (0..batch.num_columns())
                                .map(|c| formatted[c][r].as_deref().map(csv_field).unwrap_or_default())
                                .collect();
                            text.push_str(&fields.join(","));
                        }
                        FileFormat::Json => {
                            let mut object = serde_json::Map::new();
                            for (c, name) in header.iter().enumerate() {
                                object.insert(
                                    name.clone(),
                                    json_value(batch.column(c), r, formatted[c][r].as_deref()),
                                );
                            }
                            text.push_str(&serde_json::Value::Object(object).to_string());
                        }
                    }
                    text.push('\n');
                }
                file.write_all(text.as_bytes())
                    .await
                    .map_err(|e| SluiceError::Internal(format!("writing {path}: {e}")))
            }
        }
    }

    /// Commits the sink's writes.
    pub async fn commit(self, path: &impl std::fmt::Display) -> Result<()> {
        match self {
            SinkWriter::Postgres { mut conn, .. } => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.map_err(|e| db_error(path, e))?;
                let _ = conn.close().await;
            }
            SinkWriter::MySql { mut conn, .. } => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.map_err(|e| db_error(path, e))?;
                let _ = conn.close().await;
            }
            SinkWriter::File { mut file, .. } => {
                file.flush().await.map_err(|e| SluiceError::Internal(format!("writing {path}: {e}")))?;
            }
            SinkWriter::Parquet { writer, .. } => {
                if let Some(w) = writer {
                    w.close().map_err(|e| SluiceError::Internal(format!("writing {path}: {e}")))?;
                }
            }
        }
        Ok(())
    }

    /// Rolls the sink's writes back (a file written so far is removed).
    pub async fn rollback(self) {
        match self {
            SinkWriter::Postgres { mut conn, .. } => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            }
            SinkWriter::MySql { mut conn, .. } => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            }
            SinkWriter::File { path, .. } | SinkWriter::Parquet { path, .. } => {
                let _ = tokio::fs::remove_file(path).await;
            }
        }
    }
}

/// Every value of every column as text (`None` for NULL).
fn format_columns(batch: &RecordBatch) -> Result<Vec<Vec<Option<String>>>> {
    let options = options();
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

/// A batch in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
fn copy_text(batch: &RecordBatch) -> Result<String> {
    let formatted = format_columns(batch)?;
    let mut out = String::with_capacity(batch.num_rows() * batch.num_columns() * 8);
    // rows out of column-major formatted values
    #[allow(clippy::needless_range_loop)]
    for r in 0..batch.num_rows() {
        for c in 0..batch.num_columns() {
            if c > 0 {
                out.push('\t');
            }
            let column = batch.column(c);
            match &formatted[c][r] {
                None => out.push_str("\\N"),
                Some(_)
                    if matches!(
                        column.data_type(),
                        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
                    ) =>
                {
                    out.push_str("\\\\x");
                    for byte in binary(column, r) {
                        let _ = write!(out, "{byte:02x}");
                    }
                }
                Some(v) => {
                    for ch in v.chars() {
                        match ch {
                            '\\' => out.push_str("\\\\"),
                            '\t' => out.push_str("\\t"),
                            '\n' => out.push_str("\\n"),
                            '\r' => out.push_str("\\r"),
                            other => out.push(other),
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

fn binary(column: &ArrayRef, r: usize) -> Vec<u8> {
    match column.data_type() {
        DataType::Binary => column.as_binary::<i32>().value(r).to_vec(),
        DataType::LargeBinary => column.as_binary::<i64>().value(r).to_vec(),
        DataType::BinaryView => column.as_binary_view().value(r).to_vec(),
        _ => Vec::new(),
    }
}

type MyQuery<'q> = sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments>;

/// Binds value `r` of `column` with its own type where MySQL would not convert text.
fn bind_mysql<'q>(query: MyQuery<'q>, column: &ArrayRef, r: usize, text: &[Option<String>]) -> MyQuery<'q> {
    if column.is_null(r) {
        return query.bind(None::<String>);
    }
    match column.data_type() {
        DataType::Boolean => query.bind(column.as_boolean().value(r)),
        DataType::Int8 => query.bind(column.as_primitive::<Int8Type>().value(r)),
        DataType::Int16 => query.bind(column.as_primitive::<Int16Type>().value(r)),
        DataType::Int32 => query.bind(column.as_primitive::<Int32Type>().value(r)),
        DataType::Int64 => query.bind(column.as_primitive::<Int64Type>().value(r)),
        DataType::UInt8 => query.bind(column.as_primitive::<UInt8Type>().value(r)),
        DataType::UInt16 => query.bind(column.as_primitive::<UInt16Type>().value(r)),
        DataType::UInt32 => query.bind(column.as_primitive::<UInt32Type>().value(r)),
        DataType::UInt64 => query.bind(column.as_primitive::<UInt64Type>().value(r)),
        DataType::Float32 => query.bind(column.as_primitive::<Float32Type>().value(r)),
        DataType::Float64 => query.bind(column.as_primitive::<Float64Type>().value(r)),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => query.bind(binary(column, r)),
        _ => query.bind(text[r].clone()),
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

pub fn my_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The statement that creates sink `table` (written columns `columns`): a sync's own
/// DDL, else one typed from the columns' Flink types for PostgreSQL and MySQL; `None`
/// where Sluice does not create tables.
pub fn create_statement(table: &TableUse, columns: &[String]) -> Option<String> {
    if let Some(ddl) = &table.ddl {
        return Some(ddl.clone());
    }
    let (db, name) = (&table.path.database, &table.path.table);
    match table.source_type.name {
        "postgres" => Some(format!(
            "CREATE TABLE IF NOT EXISTS {}.{} ({})",
            quote_ident(db),
            quote_ident(name),
            create_table(table, columns, quote_ident, postgres_type)
        )),
        "mysql" => Some(format!(
            "CREATE TABLE IF NOT EXISTS {}.{} ({})",
            my_ident(db),
            my_ident(name),
            create_table(table, columns, my_ident, mysql_type)
        )),
        _ => None,
    }
}

/// The column list of a table the pipeline creates: the written columns, typed.
fn create_table(
    table: &TableUse,
    columns: &[String],
    quote: fn(&str) -> String,
    map: fn(&str) -> String,
) -> String {
    columns
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
        .join(", ")
}

/// A Flink SQL type as a PostgreSQL column type.
fn postgres_type(flink: &str) -> String {
    let upper = flink.to_uppercase();
    match upper.split('(').next().unwrap_or("").trim() {
        "STRING" => "TEXT".into(),
        "TINYINT" => "SMALLINT".into(),
        "DOUBLE" => "DOUBLE PRECISION".into(),
        "FLOAT" => "REAL".into(),
        "BYTES" | "BINARY" | "VARBINARY" => "BYTEA".into(),
        "TIMESTAMP_LTZ" => "TIMESTAMPTZ".into(),
        _ if upper.contains("WITH LOCAL TIME ZONE") => "TIMESTAMPTZ".into(),
        _ => upper,
    }
}

/// A Flink SQL type as a MySQL column type.
fn mysql_type(flink: &str) -> String {
    let upper = flink.to_uppercase();
    match upper.split('(').next().unwrap_or("").trim() {
        "STRING" => "LONGTEXT".into(),
        "BYTES" | "VARBINARY" => "LONGBLOB".into(),
        "BOOLEAN" => "BOOLEAN".into(),
        "TIMESTAMP" | "TIMESTAMP_LTZ" => upper
            .replace("TIMESTAMP_LTZ", "TIMESTAMP")
            .replace("TIMESTAMP", "DATETIME")
            .replace(" WITH LOCAL TIME ZONE", ""),
        _ => upper,
    }
}

/// A file-name-safe unique suffix.
fn uuid_like() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
