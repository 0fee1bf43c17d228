//! `SHOW SYNCS`, `DESCRIBE SYNC name` (a row per column of every table it moves, with
//! the type mapping) and `DESCRIBE SYNC OPTIONS`.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text, timestamp, timestamptz};
use crate::error::{Result, SluiceError};
use crate::sql::ast::Ident;
use crate::sync::SyncTable;

/// name, source, source_database, including, excluding, sink, sink_database, tables,
/// options, owner, created_at.
pub async fn handle(ctx: &mut Ctx<'_>) -> Result<Output> {
    let mut out = Vec::new();
    for s in ctx.rt.store.syncs().await? {
        let tables = ctx.rt.store.sync_tables(&s.name).await?.len();
        out.push(vec![
            text(s.name),
            text(s.source),
            text(s.source_database),
            opt_text(s.including),
            opt_text(s.excluding),
            text(s.sink),
            opt_text((!s.sink_database.is_empty()).then_some(s.sink_database)),
            ScalarValue::Int64(Some(tables as i64)),
            text(s.options),
            text(s.owner),
            timestamp(s.created_at),
        ]);
    }
    rows(
        "SHOW",
        &[
            ("name", DataType::Utf8),
            ("source", DataType::Utf8),
            ("source_database", DataType::Utf8),
            ("including", DataType::Utf8),
            ("excluding", DataType::Utf8),
            ("sink", DataType::Utf8),
            ("sink_database", DataType::Utf8),
            ("tables", DataType::Int64),
            ("options", DataType::Utf8),
            ("owner", DataType::Utf8),
            ("created_at", timestamptz()),
        ],
        out,
    )
}

/// The tables of sync `name`, or 42704.
pub async fn tables(ctx: &Ctx<'_>, name: &Ident) -> Result<Vec<SyncTable>> {
    let Some(sync) = ctx.rt.store.sync(name.as_str()).await? else {
        return Err(SluiceError::UndefinedObject { kind: "sync", name: name.as_str().to_owned() });
    };
    SyncTable::from_records(&sync, &ctx.rt.store.sync_tables(name.as_str()).await?)
}

/// source_table, sink_table, column, source_type, sink_type, flink_type, nullable, key,
/// now: a row per column of every table, with what its source says of the table now
/// (planned, changed, gone, new; see [`crate::service::syncs::tables_now`]).
pub async fn describe(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let actor = ctx.actor();
    let tables = crate::service::syncs::tables_now(ctx.rt, &actor, name.as_str(), &mut ctx.notices).await?;
    let mut out = Vec::new();
    for (t, now) in tables {
        for c in &t.columns {
            out.push(vec![
                text(t.source_name()),
                text(t.sink_table.clone()),
                text(c.name.clone()),
                text(c.source_type.clone()),
                text(c.sink_type.clone()),
                text(c.flink_type.clone()),
                ScalarValue::Boolean(Some(c.nullable)),
                ScalarValue::Boolean(Some(c.key)),
                opt_text(now.map(str::to_owned)),
            ]);
        }
    }
    rows(
        "DESCRIBE",
        &[
            ("source_table", DataType::Utf8),
            ("sink_table", DataType::Utf8),
            ("column", DataType::Utf8),
            ("source_type", DataType::Utf8),
            ("sink_type", DataType::Utf8),
            ("flink_type", DataType::Utf8),
            ("nullable", DataType::Boolean),
            ("key", DataType::Boolean),
            ("now", DataType::Utf8),
        ],
        out,
    )
}

/// `EXPLAIN SYNC name`: per table, the DDL START runs on the sink before copying.
pub async fn explain(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let out = tables(ctx, name)
        .await?
        .into_iter()
        .map(|t| {
            let source = t.source_name();
            let ddl = if t.ddl.is_empty() { None } else { Some(t.ddl) };
            vec![
                text(source),
                text(t.sink_table),
                ScalarValue::Int64(Some(t.columns.len() as i64)),
                opt_text(ddl),
            ]
        })
        .collect();
    rows(
        "EXPLAIN",
        &[
            ("source_table", DataType::Utf8),
            ("sink_table", DataType::Utf8),
            ("columns", DataType::Int64),
            ("ddl", DataType::Utf8),
        ],
        out,
    )
}

pub fn options() -> Result<Output> {
    super::describe_pipeline::option_rows(crate::sync::options::OPTIONS, crate::sync::options::PASSTHROUGH)
}
