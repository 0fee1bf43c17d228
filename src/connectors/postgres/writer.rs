//! The local target's PostgreSQL sink: one connection and transaction per sink table,
//! the table created inside it when the pipeline creates it, rows through `COPY … FROM
//! STDIN` in text format, its deferred constraints checked when every sink of the job is
//! written, and a COMMIT only when every sink is so prepared.

use std::fmt::Write as _;

use datafusion::arrow::record_batch::RecordBatch;
use sqlx::{Connection, PgConnection};

use crate::connectors::live::db_error;
use crate::connectors::sink::{
    LocalSink, SinkSpec, WriteMode, binary, create_statement, create_table_statement, format_columns,
    is_binary, sink_error,
};
use crate::error::Result;
use crate::plan::TablePath;
use crate::sql::ast::quote_ident;

pub struct PostgresSink {
    conn: PgConnection,
    copy: String,
    path: TablePath,
}

/// Connects, begins, creates the table if the pipeline creates it, truncates it on
/// overwrite.
pub async fn open(spec: &SinkSpec<'_>) -> Result<Box<dyn LocalSink>> {
    let table = spec.table;
    let mut conn = super::live::connect(&spec.source.endpoint()).await.map_err(|m| sink_error(table, m))?;
    let err = |e: sqlx::Error| db_error(&table.path, e);
    let name = format!("{}.{}", quote_ident(&table.path.database), quote_ident(&table.path.table));
    sqlx::raw_sql("BEGIN").execute(&mut conn).await.map_err(err)?;
    if let Some(ddl) = create_statement(table, spec.columns).filter(|_| table.create) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await.map_err(err)?;
    }
    if spec.mode == WriteMode::Overwrite {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("TRUNCATE {name}")))
            .execute(&mut conn)
            .await
            .map_err(err)?;
    }
    let list = spec.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
    Ok(Box::new(PostgresSink {
        conn,
        copy: format!("COPY {name} ({list}) FROM STDIN"),
        path: table.path.clone(),
    }))
}

#[async_trait::async_trait]
impl LocalSink for PostgresSink {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let path = &self.path;
        let text = copy_text(batch)?;
        let mut copy_in = self.conn.copy_in_raw(self.copy.as_str()).await.map_err(|e| db_error(path, e))?;
        copy_in.send(text.into_bytes()).await.map_err(|e| db_error(path, e))?;
        copy_in.finish().await.map_err(|e| db_error(path, e))?;
        Ok(())
    }

    /// Checks the deferred constraints now (`SET CONSTRAINTS ALL IMMEDIATE`), so that the
    /// COMMIT after it has nothing left to refuse.
    async fn prepare(&mut self) -> Result<()> {
        sqlx::raw_sql("SET CONSTRAINTS ALL IMMEDIATE")
            .execute(&mut self.conn)
            .await
            .map_err(|e| db_error(&self.path, e))?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await.map_err(|e| db_error(&self.path, e))?;
        let _ = self.conn.close().await;
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
    }
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
