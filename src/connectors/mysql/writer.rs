//! The local target's MySQL / MariaDB sink: one connection and transaction per sink
//! table (the table created first when the pipeline creates it: MySQL's DDL commits
//! implicitly), rows through multi-row `INSERT`s with bound parameters, and a COMMIT
//! only when every sink of the job is written.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use sqlx::{Connection, MySqlConnection};

use crate::connectors::live::db_error;
use crate::connectors::sink::{
    LocalSink, SinkSpec, WriteMode, binary, create_statement, create_table_statement, format_columns,
    sink_error,
};
use crate::error::Result;
use crate::plan::{TablePath, TableUse};
use crate::sql::ast::backtick_ident as ident;

/// Placeholders per statement stay under MySQL's limit of 65,535.
const MAX_PLACEHOLDERS: usize = 60_000;

pub struct MySqlSink {
    conn: MySqlConnection,
    insert: String,
    columns: usize,
    per_statement: usize,
    path: TablePath,
}

/// Connects, creates the table if the pipeline creates it, starts the transaction and
/// deletes the old rows on overwrite.
pub async fn open(spec: &SinkSpec<'_>) -> Result<Box<dyn LocalSink>> {
    let table = spec.table;
    let mut conn = super::live::connect(&spec.source.endpoint()).await.map_err(|m| sink_error(table, m))?;
    let err = |e: sqlx::Error| db_error(&table.path, e);
    let name = format!("{}.{}", ident(&table.path.database), ident(&table.path.table));
    if let Some(ddl) = create_statement(table, spec.columns).filter(|_| table.create) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await.map_err(err)?;
    }
    sqlx::raw_sql("START TRANSACTION").execute(&mut conn).await.map_err(err)?;
    if spec.mode == WriteMode::Overwrite {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {name}")))
            .execute(&mut conn)
            .await
            .map_err(err)?;
    }
    let list = spec.columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    Ok(Box::new(MySqlSink {
        conn,
        insert: format!("INSERT INTO {name} ({list}) VALUES "),
        columns: spec.columns.len(),
        per_statement: spec.batch_size.clamp(1, MAX_PLACEHOLDERS / spec.columns.len().max(1)),
        path: table.path.clone(),
    }))
}

#[async_trait::async_trait]
impl LocalSink for MySqlSink {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut start = 0;
        while start < batch.num_rows() {
            let len = self.per_statement.min(batch.num_rows() - start);
            let slice = batch.slice(start, len);
            let row = format!("({})", vec!["?"; self.columns].join(", "));
            let sql = format!("{}{}", self.insert, vec![row.as_str(); len].join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            let formatted = format_columns(&slice)?;
            for r in 0..len {
                for (c, column) in slice.columns().iter().enumerate() {
                    query = bind(query, column, r, &formatted[c]);
                }
            }
            query.execute(&mut self.conn).await.map_err(|e| db_error(&self.path, e))?;
            start += len;
        }
        Ok(())
    }

    /// Nothing to do: MySQL checks every constraint as each INSERT runs.
    async fn prepare(&mut self) -> Result<()> {
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

type MyQuery<'q> = sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments>;

/// Binds value `r` of `column` with its own type where MySQL would not convert text.
fn bind<'q>(query: MyQuery<'q>, column: &ArrayRef, r: usize, text: &[Option<String>]) -> MyQuery<'q> {
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

/// The CREATE TABLE of a sink the pipeline creates, typed from the written columns.
pub fn create_table(table: &TableUse, columns: &[String]) -> String {
    create_table_statement(table, columns, ident, mysql_type)
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
