//! The local target's PostgreSQL sink: one connection, reused table after table, each
//! table written inside the connection's open transaction (begun with its first table)
//! and created there when the pipeline creates it. Rows go through `COPY … FROM STDIN`,
//! in the binary format when every column has a binary encoding that stores what the
//! text would ([`super::binary_copy`]), else in text; batches are buffered up to
//! [`FLUSH_BYTES`] per COPY. Deferred constraints are checked by `prepare`.

use std::fmt::Write as _;

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use sqlx::PgConnection;

use super::binary_copy::{self, Encoder};
use crate::connectors::access::LoadedSource;
use crate::connectors::live::db_error;
use crate::connectors::sink::{
    LocalSink, SinkSpec, WriteMode, binary, create_statement, create_table_statement, format_columns,
    is_binary, sink_error,
};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::{TablePath, TableUse};
use crate::sql::ast::quote_ident;

/// Bytes of COPY data gathered before they are sent in one COPY.
const FLUSH_BYTES: usize = 4 << 20;

pub struct PostgresSink {
    conn: PgConnection,
    /// The sink source's name, for errors outside a table.
    source: String,
    in_transaction: bool,
    table: Option<Table>,
}

/// The table being written.
struct Table {
    path: TablePath,
    /// `"schema"."table" ("a", "b")`.
    target: String,
    columns: Vec<String>,
    /// The sink columns' type oids, in the order written.
    oids: Vec<u32>,
    /// Decided with the first batch: binary (an encoder) or text (`None`).
    encoding: Option<Option<Encoder>>,
    buffer: Vec<u8>,
}

/// Connects to the sink's server.
pub async fn open(table: &TableUse, source: &LoadedSource) -> Result<Box<dyn LocalSink>> {
    let conn = super::live::connect(&source.endpoint()).await.map_err(|m| sink_error(table, m))?;
    Ok(Box::new(PostgresSink { conn, source: table.path.source.clone(), in_transaction: false, table: None }))
}

impl PostgresSink {
    async fn execute(&mut self, sql: String, path: &impl std::fmt::Display) -> Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await
            .map_err(|e| db_error(path, e))?;
        Ok(())
    }

    /// Sends what is buffered for the current table as one COPY.
    async fn flush(&mut self) -> Result<()> {
        let Some(table) = self.table.as_mut() else { return Ok(()) };
        let Some(encoding) = &table.encoding else { return Ok(()) };
        if table.buffer.is_empty() {
            return Ok(());
        }
        let binary = encoding.is_some();
        let mut data = std::mem::take(&mut table.buffer);
        let statement = if binary {
            data.extend_from_slice(binary_copy::TRAILER);
            format!("COPY {} FROM STDIN (FORMAT binary)", table.target)
        } else {
            format!("COPY {} FROM STDIN", table.target)
        };
        let path = &table.path;
        let mut copy = self.conn.copy_in_raw(&statement).await.map_err(|e| db_error(path, e))?;
        copy.send(data).await.map_err(|e| db_error(path, e))?;
        copy.finish().await.map_err(|e| db_error(path, e))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl LocalSink for PostgresSink {
    async fn begin_table(&mut self, spec: &SinkSpec<'_>) -> Result<()> {
        let table = spec.table;
        let path = &table.path;
        if !self.in_transaction {
            self.execute("BEGIN".into(), path).await?;
            self.in_transaction = true;
        }
        if let Some(ddl) = create_statement(table, spec.columns).filter(|_| table.create) {
            self.execute(ddl, path).await?;
        }
        let name = format!("{}.{}", quote_ident(&path.database), quote_ident(&path.table));
        if spec.mode == WriteMode::Overwrite {
            self.execute(format!("TRUNCATE {name}"), path).await?;
        }
        let oids = column_oids(&mut self.conn, &name, spec.columns).await.map_err(|e| db_error(path, e))?;
        let list = spec.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
        self.table = Some(Table {
            path: path.clone(),
            target: format!("{name} ({list})"),
            columns: spec.columns.to_vec(),
            oids,
            encoding: None,
            buffer: Vec::new(),
        });
        Ok(())
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let Some(table) = self.table.as_mut() else {
            return Err(SluiceError::Internal("a batch for a PostgreSQL sink with no table begun".into()));
        };
        let encoding = table.encoding.get_or_insert_with(|| {
            let types: Vec<DataType> =
                batch.schema().fields().iter().map(|f| f.data_type().clone()).collect();
            Encoder::new(&table.oids, &types)
        });
        match encoding {
            Some(encoder) => {
                if table.buffer.is_empty() {
                    table.buffer.extend_from_slice(binary_copy::HEADER);
                }
                encoder.encode(batch, &table.columns, &mut table.buffer).map_err(|message| {
                    SluiceError::Query {
                        state: SqlState::NumericValueOutOfRange,
                        message: format!("writing {}: {message}", table.path),
                        hint: None,
                        pos: None,
                    }
                })?;
            }
            None => table.buffer.extend_from_slice(copy_text(batch)?.as_bytes()),
        }
        if table.buffer.len() >= FLUSH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn end_table(&mut self) -> Result<()> {
        self.flush().await?;
        self.table = None;
        Ok(())
    }

    /// Checks the deferred constraints now (`SET CONSTRAINTS ALL IMMEDIATE`), so that the
    /// COMMIT after it has nothing left to refuse.
    async fn prepare(&mut self) -> Result<()> {
        let source = format!("source {}", self.source);
        self.execute("SET CONSTRAINTS ALL IMMEDIATE".into(), &source).await
    }

    async fn commit(&mut self) -> Result<()> {
        let source = format!("source {}", self.source);
        self.execute("COMMIT".into(), &source).await?;
        self.in_transaction = false;
        Ok(())
    }

    async fn rollback(&mut self) {
        self.table = None;
        if std::mem::take(&mut self.in_transaction) {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
        }
    }
}

/// The type oids of `columns` of table `name` (quoted), in that order; a column the
/// table lacks gets oid 0, which no binary encoding takes (COPY then names it).
async fn column_oids(conn: &mut PgConnection, name: &str, columns: &[String]) -> sqlx::Result<Vec<u32>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT attname::text, atttypid::int8 FROM pg_catalog.pg_attribute \
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
    )
    .bind(name)
    .fetch_all(conn)
    .await?;
    Ok(columns
        .iter()
        .map(|c| rows.iter().find(|(n, _)| n == c).map(|(_, oid)| *oid as u32).unwrap_or(0))
        .collect())
}

/// A batch in COPY's text format: tab-separated, `\N` for NULL, backslash escapes,
/// bytes as `\\x…` hex.
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
                Some(_) if is_binary(column) => {
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

/// The CREATE TABLE of a sink the pipeline creates, typed from the written columns.
pub fn create_table(table: &crate::plan::TableUse, columns: &[String]) -> String {
    create_table_statement(table, columns, quote_ident, postgres_type)
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
