//! The local target's MySQL / MariaDB sink: one connection, reused table after table,
//! each table written inside the connection's open transaction, rows through multi-row
//! `INSERT`s with bound parameters. MySQL's DDL commits implicitly, so a table the
//! pipeline creates is created before the transaction begins — or, when one is open
//! with earlier tables' rows, over a second connection kept for DDL.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use sqlx::MySqlConnection;

use crate::connectors::access::LoadedSource;
use crate::connectors::live::db_error;
use crate::connectors::sink::{
    LocalSink, SinkSpec, WriteMode, binary, create_statement, create_table_statement, format_columns,
    sink_error,
};
use crate::error::{Result, SluiceError};
use crate::plan::{TablePath, TableUse};
use crate::sql::ast::backtick_ident as ident;

/// Placeholders per statement stay under MySQL's limit of 65,535.
const MAX_PLACEHOLDERS: usize = 60_000;

pub struct MySqlSink {
    conn: MySqlConnection,
    /// For DDL while a transaction is open, connected when first needed.
    ddl: Option<MySqlConnection>,
    source: LoadedSource,
    in_transaction: bool,
    table: Option<Table>,
}

/// The table being written.
struct Table {
    insert: String,
    columns: usize,
    per_statement: usize,
    path: TablePath,
}

/// Connects to the sink's server.
pub async fn open(table: &TableUse, source: &LoadedSource) -> Result<Box<dyn LocalSink>> {
    let conn = super::live::connect(&source.endpoint()).await.map_err(|m| sink_error(table, m))?;
    Ok(Box::new(MySqlSink { conn, ddl: None, source: source.clone(), in_transaction: false, table: None }))
}

async fn execute(conn: &mut MySqlConnection, sql: String, path: &impl std::fmt::Display) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn).await.map_err(|e| db_error(path, e))?;
    Ok(())
}

#[async_trait::async_trait]
impl LocalSink for MySqlSink {
    async fn begin_table(&mut self, spec: &SinkSpec<'_>) -> Result<()> {
        let table = spec.table;
        let path = &table.path;
        if let Some(ddl) = create_statement(table, spec.columns).filter(|_| table.create) {
            if self.in_transaction {
                if self.ddl.is_none() {
                    let endpoint = self.source.endpoint();
                    let conn = super::live::connect(&endpoint).await.map_err(|m| sink_error(table, m))?;
                    self.ddl = Some(conn);
                }
                if let Some(conn) = self.ddl.as_mut() {
                    execute(conn, ddl, path).await?;
                }
            } else {
                execute(&mut self.conn, ddl, path).await?;
            }
        }
        if !self.in_transaction {
            execute(&mut self.conn, "START TRANSACTION".into(), path).await?;
            self.in_transaction = true;
        }
        let name = format!("{}.{}", ident(&path.database), ident(&path.table));
        if spec.mode == WriteMode::Overwrite {
            execute(&mut self.conn, format!("DELETE FROM {name}"), path).await?;
        }
        let list = spec.columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        self.table = Some(Table {
            insert: format!("INSERT INTO {name} ({list}) VALUES "),
            columns: spec.columns.len(),
            per_statement: spec.batch_size.clamp(1, MAX_PLACEHOLDERS / spec.columns.len().max(1)),
            path: path.clone(),
        });
        Ok(())
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(table) = &self.table else {
            return Err(SluiceError::Internal("a batch for a MySQL sink with no table begun".into()));
        };
        let mut start = 0;
        while start < batch.num_rows() {
            let len = table.per_statement.min(batch.num_rows() - start);
            let slice = batch.slice(start, len);
            let row = format!("({})", vec!["?"; table.columns].join(", "));
            let sql = format!("{}{}", table.insert, vec![row.as_str(); len].join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            let formatted = format_columns(&slice)?;
            for r in 0..len {
                for (c, column) in slice.columns().iter().enumerate() {
                    query = bind(query, column, r, &formatted[c]);
                }
            }
            query.execute(&mut self.conn).await.map_err(|e| db_error(&table.path, e))?;
            start += len;
        }
        Ok(())
    }

    async fn end_table(&mut self) -> Result<()> {
        self.table = None;
        Ok(())
    }

    /// Nothing to do: MySQL checks every constraint as each INSERT runs.
    async fn prepare(&mut self) -> Result<()> {
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        let source = format!("source {}", self.source.record.name);
        execute(&mut self.conn, "COMMIT".into(), &source).await?;
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
