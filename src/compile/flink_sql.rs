//! A pipeline as one Flink SQL script: `SET` statements for the job, one `CREATE
//! TEMPORARY TABLE` per table (read once however many statements use it), catalogs for
//! catalog-based sources (Paimon), the body's views, and its INSERTs — in one `EXECUTE
//! STATEMENT SET` when there are several, so they run as one job that reads each source
//! once.
//!
//! Every identifier is backtick-quoted and every literal single-quoted with quotes
//! doubled, so names such as `order` or `unit price` and passwords with quotes cannot
//! break the script. Secrets appear only as placeholders.

use std::fmt::Write;

use super::dialect::{Quoting, flink_ident, literal, render};
use super::{engine_names, table_of};
use crate::connectors::render::{FlinkConnector, Role, Secrets, TableCx};
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

/// How the script refers to one table in one role.
struct FlinkTable {
    /// The name queries use (one part, or catalog.database.table).
    name: Vec<String>,
    /// `CREATE TEMPORARY TABLE` options, or `None` for a catalog's table.
    options: Option<Vec<(String, String)>>,
}

/// Compiles `plan` into a Flink SQL script.
pub fn compile(plan: &PipelinePlan, secrets: &mut Secrets) -> Result<String> {
    let settings = plan.settings();
    let names = engine_names(plan);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Pipeline {} ({}), compiled by Sluice. Secrets are ${{…}} placeholders.",
        plan.name,
        settings.mode()
    );
    for (key, value) in job_settings(plan) {
        let _ = writeln!(out, "SET {} = {};", literal(&key), literal(&value));
    }

    let read: Vec<usize> = plan.graph.sources().map(|(_, t)| t).collect();
    let mut written: Vec<usize> = Vec::new();
    for insert in &plan.bound.inserts {
        if !written.contains(&insert.sink) {
            written.push(insert.sink);
        }
    }
    let mut catalogs: Vec<String> = Vec::new();
    let mut readers: Vec<Option<FlinkTable>> = (0..plan.bound.tables.len()).map(|_| None).collect();
    let mut writers: Vec<Option<FlinkTable>> = (0..plan.bound.tables.len()).map(|_| None).collect();
    // sources first, in the order they are read; then sinks
    let uses = read.iter().map(|&i| (i, Role::Read)).chain(written.iter().map(|&i| (i, Role::Write)));
    for (i, role) in uses.collect::<Vec<_>>() {
        let mut name = names[i].clone();
        if role == Role::Write && read.contains(&i) {
            name.push_str("_sink");
        }
        let flink =
            flink_table(plan, i, &plan.bound.tables[i], role, name, secrets, &mut out, &mut catalogs)?;
        match role {
            Role::Read => readers[i] = Some(flink),
            Role::Write => writers[i] = Some(flink),
        }
    }
    // a table read and written with the same options is one definition
    for i in 0..plan.bound.tables.len() {
        if let (Some(r), Some(w)) = (&readers[i], &writers[i])
            && r.options == w.options
        {
            writers[i] = Some(FlinkTable { name: r.name.clone(), options: None });
        }
    }
    for (i, t) in read.iter().map(|&i| (i, &readers[i])).chain(written.iter().map(|&i| (i, &writers[i]))) {
        if let Some(FlinkTable { name, options: Some(options) }) = t {
            write_table(&mut out, &plan.bound.tables[i], &name[0], options);
        }
    }

    let rename = |name: &datafusion::sql::sqlparser::ast::ObjectName| {
        table_of(plan, name).and_then(|i| readers[i].as_ref()).map(|t| t.name.clone())
    };
    for view in &plan.bound.views {
        let columns = if view.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", view.columns.iter().map(|c| flink_ident(c)).collect::<Vec<_>>().join(", "))
        };
        let query = render(&view.query, Quoting::Backtick, &rename);
        let _ = writeln!(out, "CREATE TEMPORARY VIEW {}{columns} AS\n{query};", flink_ident(&view.name));
    }

    let inserts: Vec<String> = plan
        .bound
        .inserts
        .iter()
        .map(|insert| {
            let sink = writers[insert.sink].as_ref().map(|t| qualified(&t.name)).unwrap_or_default();
            let columns = insert.columns.iter().map(|c| flink_ident(c)).collect::<Vec<_>>().join(", ");
            format!("INSERT INTO {sink} ({columns})\n{};", render(&insert.query, Quoting::Backtick, &rename))
        })
        .collect();
    if inserts.len() == 1 {
        let _ = writeln!(out, "{}", inserts[0]);
    } else {
        out.push_str("EXECUTE STATEMENT SET\nBEGIN\n");
        for insert in &inserts {
            let _ = writeln!(out, "{insert}");
        }
        out.push_str("END;\n");
    }
    Ok(out)
}

fn qualified(name: &[String]) -> String {
    name.iter().map(|p| flink_ident(p)).collect::<Vec<_>>().join(".")
}

/// The job's configuration: runtime mode, parallelism, name, checkpointing (streaming),
/// then `flink.*` options as given.
pub fn job_settings(plan: &PipelinePlan) -> Vec<(String, String)> {
    let settings = plan.settings();
    let mut out: Vec<(String, String)> = Vec::new();
    for (spec, value) in &settings.values {
        if spec.flink.is_empty() {
            continue;
        }
        let checkpointing = spec.flink.starts_with("execution.checkpointing.");
        if checkpointing && !settings.streaming {
            continue;
        }
        let value = match spec.name {
            "checkpoint_mode" => value.to_uppercase(),
            _ => value.clone(),
        };
        out.push((spec.flink.to_owned(), value));
    }
    if settings.job_name.is_none() {
        out.push(("pipeline.name".into(), plan.name.clone()));
    }
    for (key, value) in &settings.flink_passthrough {
        out.retain(|(k, _)| k != key);
        out.push((key.clone(), value.clone()));
    }
    out
}

/// The options of one table in one role; writes a `CREATE CATALOG` when the source is a
/// catalog (once per source).
#[allow(clippy::too_many_arguments)]
fn flink_table(
    plan: &PipelinePlan,
    index: usize,
    table: &TableUse,
    role: Role,
    name: String,
    secrets: &mut Secrets,
    out: &mut String,
    catalogs: &mut Vec<String>,
) -> Result<FlinkTable> {
    let cx = TableCx { plan, index, table, role };
    let options = match table.source_type.connector.flink(&cx, secrets)? {
        FlinkConnector::Table(options) => options,
        FlinkConnector::InCatalog { catalog, options } => {
            if !catalogs.contains(&catalog) {
                let _ = writeln!(
                    out,
                    "CREATE CATALOG {} WITH (\n{}\n);",
                    flink_ident(&catalog),
                    with_list(&options)
                );
                catalogs.push(catalog.clone());
            }
            let name = vec![catalog, table.path.database.clone(), table.path.table.clone()];
            if role == Role::Write && table.create {
                write_catalog_table(out, table, &name);
            }
            return Ok(FlinkTable { name, options: None });
        }
    };
    // a key given twice (mapped and passthrough) keeps its last value
    let mut deduped: Vec<(String, String)> = Vec::new();
    for (k, v) in options {
        deduped.retain(|(key, _)| *key != k);
        deduped.push((k, v));
    }
    Ok(FlinkTable { name: vec![name], options: Some(deduped) })
}

/// A sink table the pipeline creates in a catalog (Paimon): its database and table, if
/// missing, with the columns written and the key.
fn write_catalog_table(out: &mut String, table: &TableUse, name: &[String]) {
    created_comment(out, table);
    let _ = writeln!(out, "CREATE DATABASE IF NOT EXISTS {};", qualified(&name[..2]));
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n);",
        qualified(name),
        column_lines(table).join(",\n")
    );
}

fn with_list(options: &[(String, String)]) -> String {
    options.iter().map(|(k, v)| format!("  {} = {}", literal(k), literal(v))).collect::<Vec<_>>().join(",\n")
}

fn created_comment(out: &mut String, table: &TableUse) {
    let _ = writeln!(
        out,
        "-- {} does not exist yet: it is created with these columns when the pipeline starts.",
        table.path
    );
}

/// A table's columns, watermark and primary key, one line each.
fn column_lines(table: &TableUse) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for c in &table.columns {
        if c.data_type == "COMPUTED" {
            lines.push(format!("  {} {}", flink_ident(&c.name), c.source_type));
        } else {
            let not_null = if c.nullable { "" } else { " NOT NULL" };
            lines.push(format!("  {} {}{not_null}", flink_ident(&c.name), c.data_type));
        }
    }
    if let Some(w) = table.definition.as_ref().and_then(|d| d.watermark.as_ref()) {
        lines.push(format!("  WATERMARK FOR {} AS {}", flink_ident(&w.column), w.expr));
    }
    let keys: Vec<String> = table.columns.iter().filter(|c| c.is_key).map(|c| flink_ident(&c.name)).collect();
    if !keys.is_empty() {
        lines.push(format!("  PRIMARY KEY ({}) NOT ENFORCED", keys.join(", ")));
    }
    lines
}

/// `CREATE TEMPORARY TABLE name (columns, watermark, key) [PARTITIONED BY …] WITH (…);`
fn write_table(out: &mut String, table: &TableUse, name: &str, options: &[(String, String)]) {
    if table.create {
        created_comment(out, table);
    }
    let lines = column_lines(table);
    let definition = table.definition.as_ref();
    let _ = write!(out, "CREATE TEMPORARY TABLE {} (\n{}\n)", flink_ident(name), lines.join(",\n"));
    let partitions: Vec<String> = match definition.and_then(|d| d.options.0.get("partition_keys")) {
        Some(crate::connectors::StoredValue::Text(p)) => {
            p.split(',').map(|c| flink_ident(c.trim())).collect()
        }
        _ => Vec::new(),
    };
    if !partitions.is_empty() {
        let _ = write!(out, " PARTITIONED BY ({})", partitions.join(", "));
    }
    let _ = writeln!(out, " WITH (\n{}\n);", with_list(options));
}
