//! The `CREATE TABLE IF NOT EXISTS` a sync runs on its sink, in the sink's dialect:
//! columns with their mapped types, NOT NULL, and the primary key. Doris and StarRocks
//! tables need their key columns first and a distribution; a table without a primary key
//! becomes a duplicate-key (append-only) table there. Kafka and Paimon sinks get no DDL:
//! the engine creates their topics and tables. Each type's style is in its folder
//! (`SyncSink::tables`); the tests of each style are there too.

use sluice_catalog::ColumnRecord;

use super::SyncColumn;
use crate::connectors::SourceType;
use crate::connectors::logical::{Logical, TableStyle};
use crate::plan::TableUse;
use crate::sql::ast::backtick_ident as backtick;

/// The DDL for `table` in `database` of a sink of `sink_type`, in its [`TableStyle`]
/// (empty when the engine creates its tables).
pub fn create_table(sink_type: &SourceType, database: &str, table: &str, columns: &[SyncColumn]) -> String {
    let keys: Vec<&SyncColumn> = columns.iter().filter(|c| c.key).collect();
    match sink_type.sync.write.and_then(|w| w.tables) {
        Some(TableStyle::Standard(quote)) => standard(quote, database, table, columns, &keys),
        Some(TableStyle::Olap { key_model, buckets_auto }) => {
            olap(key_model, buckets_auto, database, table, columns, &keys)
        }
        None => String::new(),
    }
}

/// The DDL of a table a pipeline creates in a sink of `sink_type`: the written `columns`
/// with the types their Flink SQL types have there (a key when the table's column is one).
pub fn create_written(sink_type: &SourceType, table: &TableUse, columns: &[String]) -> String {
    let write = sink_type.sync.write.and_then(|w| w.column_type);
    let mapped: Vec<SyncColumn> = columns
        .iter()
        .map(|name| {
            let column = table.columns.iter().find(|c| c.name == *name);
            let flink = column.map_or("STRING", |c| c.data_type.as_str());
            let key = column.is_some_and(|c| c.is_key);
            SyncColumn {
                name: name.clone(),
                source_type: flink.to_owned(),
                sink_type: write.map_or_else(|| flink.to_owned(), |w| w(&Logical::from_flink(flink), key)),
                flink_type: flink.to_owned(),
                nullable: column.is_none_or(|c| c.nullable),
                key,
                origin: false,
            }
        })
        .collect();
    create_table(sink_type, &table.path.database, &table.path.table, &mapped)
}

/// The quoting of a sink's tables (`None` when the engine creates them).
fn quoting(sink_type: &SourceType) -> Option<fn(&str) -> String> {
    match sink_type.sync.write.and_then(|w| w.tables) {
        Some(TableStyle::Standard(quote)) => Some(quote),
        Some(TableStyle::Olap { .. }) => Some(backtick),
        None => None,
    }
}

/// `ALTER TABLE … action, …`: one statement, so that PostgreSQL (and MySQL) apply the
/// actions to the table together or not at all; `None` for sinks without DDL.
pub fn alter_table(
    sink_type: &SourceType,
    database: &str,
    table: &str,
    actions: &[String],
) -> Option<String> {
    let q = quoting(sink_type)?;
    (!actions.is_empty()).then(|| format!("ALTER TABLE {}.{} {}", q(database), q(table), actions.join(", ")))
}

/// `ADD COLUMN`, always nullable (the table may hold rows until the copy replaces them).
pub fn add_column(sink_type: &SourceType, c: &SyncColumn) -> Option<String> {
    let q = quoting(sink_type)?;
    Some(format!("ADD COLUMN {} {} NULL", q(&c.name), c.sink_type))
}

/// `DROP COLUMN`.
pub fn drop_column(sink_type: &SourceType, name: &str) -> Option<String> {
    let q = quoting(sink_type)?;
    Some(format!("DROP COLUMN {}", q(name)))
}

/// The action that lets column `c` (as the sink describes it) hold NULL: PostgreSQL's
/// `ALTER COLUMN … DROP NOT NULL`, MySQL's `MODIFY COLUMN` with its own type; `None`
/// elsewhere.
pub fn drop_not_null(sink_type: &SourceType, c: &ColumnRecord) -> Option<String> {
    let Some(TableStyle::Standard(q)) = sink_type.sync.write.and_then(|w| w.tables) else { return None };
    Some(if sink_type.name == "postgres" {
        format!("ALTER COLUMN {} DROP NOT NULL", q(&c.name))
    } else {
        format!("MODIFY COLUMN {} {} NULL", q(&c.name), c.source_type)
    })
}

fn column_line(quote: fn(&str) -> String, c: &SyncColumn) -> String {
    let not_null = if c.nullable && !c.key { "" } else { " NOT NULL" };
    format!("  {} {}{not_null}", quote(&c.name), c.sink_type)
}

fn standard(
    quote: fn(&str) -> String,
    database: &str,
    table: &str,
    columns: &[SyncColumn],
    keys: &[&SyncColumn],
) -> String {
    let mut lines: Vec<String> = columns.iter().map(|c| column_line(quote, c)).collect();
    if !keys.is_empty() {
        let list = keys.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
        lines.push(format!("  PRIMARY KEY ({list})"));
    }
    format!("CREATE TABLE IF NOT EXISTS {}.{} (\n{}\n)", quote(database), quote(table), lines.join(",\n"))
}

fn olap(
    key_model: &str,
    buckets_auto: bool,
    database: &str,
    table: &str,
    columns: &[SyncColumn],
    keys: &[&SyncColumn],
) -> String {
    // key columns first, in key order, as both systems require
    let ordered: Vec<&SyncColumn> = keys.iter().copied().chain(columns.iter().filter(|c| !c.key)).collect();
    let lines: Vec<String> = ordered.iter().map(|c| column_line(backtick, c)).collect();
    let (model, distributed) = if keys.is_empty() {
        let first = backtick(&ordered[0].name);
        (format!("DUPLICATE KEY({first})"), "DISTRIBUTED BY RANDOM BUCKETS AUTO".to_owned())
    } else {
        let list = keys.iter().map(|c| backtick(&c.name)).collect::<Vec<_>>().join(", ");
        (format!("{key_model}({list})"), format!("DISTRIBUTED BY HASH({list}) BUCKETS AUTO"))
    };
    let distributed = if buckets_auto { distributed } else { distributed.replace(" BUCKETS AUTO", "") };
    format!(
        "CREATE TABLE IF NOT EXISTS {}.{} (\n{}\n) {model} {distributed}",
        backtick(database),
        backtick(table),
        lines.join(",\n")
    )
}

#[cfg(test)]
pub mod testing {
    use super::SyncColumn;

    /// A mapped column for DDL tests.
    pub fn col(name: &str, ty: &str, key: bool, nullable: bool) -> SyncColumn {
        SyncColumn {
            name: name.into(),
            source_type: String::new(),
            sink_type: ty.into(),
            flink_type: String::new(),
            nullable,
            key,
            origin: false,
        }
    }
}
