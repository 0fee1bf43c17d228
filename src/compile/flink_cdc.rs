//! A pipeline as a Flink CDC pipeline definition (YAML): one CDC `source` (MySQL or
//! PostgreSQL) with the tables read, one `sink`, a `route` per table to its sink table
//! (several routes to one sink table merge tables, as
//! `../shared/reference/flink-cdc/mysql-to-doris-route-mode.yaml` merges shards), and a
//! `transform` where a statement projects or filters or the sink's key differs (an
//! origin column). Only sync-shaped pipelines fit: each source table goes to one sink
//! table of one sink system, an INSERT reading one table or a UNION ALL of such.

use datafusion::sql::sqlparser::ast::{Ident, Select, SelectItem};
use serde_yaml::{Mapping, Value};

use super::dialect::{Quoting, render_expr};
use crate::connectors::render::{CdcSource, Secrets};
use crate::error::{Result, SluiceError};
use crate::plan::{PipelinePlan, TableUse};

const HINT: &str =
    "Flink CDC pipelines move tables one to one; use engine flink or seatunnel for this pipeline.";

fn no(message: String) -> SluiceError {
    SluiceError::not_supported(message, Some(HINT))
}

/// Entries as a YAML mapping, in order (the compiler's own, or a connector's block).
fn map<K: Into<String>>(entries: Vec<(K, Value)>) -> Value {
    let mut m = Mapping::new();
    for (k, v) in entries {
        m.insert(Value::String(k.into()), v);
    }
    Value::Mapping(m)
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// A table name inside the `tables` regular expression: metacharacters escaped.
fn regex_part(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Compiles `plan` into a Flink CDC pipeline definition.
pub fn compile(plan: &PipelinePlan, secrets: &mut Secrets) -> Result<String> {
    let bound = &plan.bound;
    if !bound.views.is_empty() {
        return Err(no("a Flink CDC pipeline cannot have views".into()));
    }
    // each INSERT is a SELECT of one table, or a UNION ALL of such (tables merged)
    let mut branches: Vec<(usize, &Select, usize)> = Vec::new();
    for (i, insert) in bound.inserts.iter().enumerate() {
        let sink = &bound.tables[insert.sink].path;
        if let Some(window) = insert.windows.first() {
            return Err(no(format!(
                "INSERT INTO {sink} uses {window}; Flink CDC transforms only project and filter"
            )));
        }
        let Some(selects) = super::union_branches(plan, &insert.query).filter(|_| insert.views.is_empty())
        else {
            return Err(no(format!(
                "INSERT INTO {sink} is not a SELECT of one table (or a UNION ALL of such): Flink CDC routes tables"
            )));
        };
        for (select, read) in selects {
            if branches.iter().any(|(_, _, r)| *r == read) {
                return Err(no(format!(
                    "{} feeds several sinks: a Flink CDC pipeline routes each table to one sink table",
                    bound.tables[read].path
                )));
            }
            branches.push((i, select, read));
        }
    }
    let reads: Vec<usize> = branches.iter().map(|(_, _, r)| *r).collect();
    let first_source = &bound.tables[reads[0]];
    if let Some(other) =
        reads.iter().map(|&i| &bound.tables[i]).find(|t| t.path.source != first_source.path.source)
    {
        return Err(no(format!(
            "a Flink CDC pipeline reads one source; this reads {} and {}",
            first_source.path.source, other.path.source
        )));
    }
    let first_sink = &bound.tables[bound.inserts[0].sink];
    if let Some(other) =
        bound.inserts.iter().map(|i| &bound.tables[i.sink]).find(|t| t.path.source != first_sink.path.source)
    {
        return Err(no(format!(
            "a Flink CDC pipeline writes one sink; this writes {} and {}",
            first_sink.path.source, other.path.source
        )));
    }

    let mut source = source_block(plan, first_source, &reads, secrets)?;
    let sink = sink_block(plan, first_sink, secrets)?;
    let mut routes: Vec<Value> = Vec::new();
    let mut transforms: Vec<Value> = Vec::new();
    for &(i, select, read) in &branches {
        let insert = &bound.inserts[i];
        let from = &bound.tables[read];
        let to = &bound.tables[insert.sink];
        let source_table = table_id(from);
        let sink_table = if to.path.database.is_empty() {
            to.path.table.clone()
        } else {
            format!("{}.{}", to.path.database, to.path.table)
        };
        routes.push(map(vec![("source-table", s(&source_table)), ("sink-table", s(sink_table))]));
        if let Some(t) = transform(plan, insert, select, read, &source_table)? {
            transforms.push(t);
        }
    }
    let settings = plan.settings();
    let mut pipeline = vec![
        ("name", s(settings.job_name(&plan.name))),
        ("parallelism", Value::Number(settings.parallelism.into())),
    ];
    if !settings.streaming {
        pipeline.push(("execution.runtime-mode", s("BATCH")));
    }
    let capture = bound.capture.as_ref().filter(|_| first_source.source_type.name == "mysql");
    if let Some(capture) = capture {
        captured(&mut source, &mut routes, capture);
        pipeline.push(("route-mode", s("FIRST_MATCH")));
    }
    if let Some(behavior) = &bound.schema_change {
        pipeline.push(("schema.change.behavior", s(behavior)));
    }
    let mut top = vec![("source", source), ("sink", sink), ("route", Value::Sequence(routes))];
    if !transforms.is_empty() {
        top.push(("transform", Value::Sequence(transforms)));
    }
    top.push(("pipeline", map(pipeline)));
    let yaml = serde_yaml::to_string(&map(top)).map_err(|e| SluiceError::Internal(e.to_string()))?;
    Ok(format!("# Pipeline {} compiled by Sluice. Secrets are ${{…}} placeholders.\n{yaml}", plan.name))
}

/// A streaming sync's tables as patterns: the source reads every table they match, tables
/// created later too (with a snapshot when the job starts again from a savepoint, under
/// `scan.startup.mode: initial`; from the binlog as they come, under latest-offset), and a
/// last route sends a table no route names to the sink table the sync would name it.
fn captured(source: &mut Value, routes: &mut Vec<Value>, capture: &crate::plan::resolve::Capture) {
    let Value::Mapping(block) = source else { return };
    let latest = block.get("scan.startup.mode").and_then(Value::as_str) == Some("latest-offset");
    block.insert(s("tables"), s(&capture.tables));
    if let Some(exclude) = &capture.exclude {
        block.insert(s("tables.exclude"), s(exclude));
    }
    let newly =
        if latest { "scan.binlog.newly-added-table.enabled" } else { "scan.newly-added-table.enabled" };
    block.insert(s(newly), Value::Bool(true));
    routes.push(map(vec![
        ("source-table", s(&capture.route_from)),
        ("sink-table", s(&capture.route_to)),
        ("replace-symbol", s("<>")),
        ("description", s("tables created after the sync was planned")),
    ]));
}

/// `db.table` (MySQL) or `db.schema.table` (PostgreSQL), as Flink CDC names tables.
fn table_id(table: &TableUse) -> String {
    if table.source_type.databases_are_schemas {
        let database = match table.source_options.0.get("database") {
            Some(crate::connectors::StoredValue::Text(d)) => d.clone(),
            _ => crate::connectors::postgres::DEFAULT_DATABASE.into(),
        };
        format!("{database}.{}.{}", table.path.database, table.path.table)
    } else {
        format!("{}.{}", table.path.database, table.path.table)
    }
}

fn source_block(
    plan: &PipelinePlan,
    table: &TableUse,
    reads: &[usize],
    secrets: &mut Secrets,
) -> Result<Value> {
    let tables: Vec<String> = reads
        .iter()
        .map(|&i| table_id(&plan.bound.tables[i]).split('.').map(regex_part).collect::<Vec<_>>().join("."))
        .collect();
    let cx = CdcSource { plan, table, index: reads[0], tables: tables.join(",") };
    Ok(map(table.source_type.connector.flink_cdc_source(&cx, secrets)?))
}

fn sink_block(plan: &PipelinePlan, table: &TableUse, secrets: &mut Secrets) -> Result<Value> {
    Ok(map(table.source_type.connector.flink_cdc_sink(plan, table, secrets)?))
}

/// A `transform` entry when the SELECT of table `read` projects, renames or filters, or
/// the sink's primary key is not the table's (an origin column joined it).
fn transform(
    plan: &PipelinePlan,
    insert: &crate::plan::BoundInsert,
    select: &Select,
    read: usize,
    source_table: &str,
) -> Result<Option<Value>> {
    let plain = select.having.is_none()
        && select.distinct.is_none()
        && matches!(&select.group_by, datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    if !plain {
        return Err(no(format!(
            "INSERT INTO {} aggregates; Flink CDC transforms only project and filter",
            plan.bound.tables[insert.sink].path
        )));
    }
    let keys =
        |t: &TableUse| t.columns.iter().filter(|c| c.is_key).map(|c| c.name.clone()).collect::<Vec<_>>();
    let sink_keys = keys(&plan.bound.tables[insert.sink]);
    let new_keys = !sink_keys.is_empty() && sink_keys != keys(&plan.bound.tables[read]);
    let star = matches!(select.projection.as_slice(), [SelectItem::Wildcard(_)]);
    let source_columns: Vec<&str> =
        plan.bound.tables[read].physical_columns().map(|c| c.name.as_str()).collect();
    let same_names = insert.columns.iter().map(String::as_str).eq(source_columns.iter().copied());
    if star && same_names && select.selection.is_none() && !new_keys {
        return Ok(None);
    }
    let projection = if star && same_names {
        "*".to_owned()
    } else {
        let mut items: Vec<String> = Vec::new();
        if star {
            for (column, name) in source_columns.iter().zip(&insert.columns) {
                items.push(format!(
                    "{} AS {}",
                    Ident::with_quote('`', *column),
                    Ident::with_quote('`', name.clone())
                ));
            }
        } else {
            for (item, name) in select.projection.iter().zip(&insert.columns) {
                let expr = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                    _ => {
                        return Err(no(
                            "a qualified wildcard cannot be renamed by a Flink CDC transform".into()
                        ));
                    }
                };
                let rendered = render_expr(expr, Quoting::Backtick);
                let same_name = matches!(expr, datafusion::sql::sqlparser::ast::Expr::Identifier(i)
                    if (if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }) == *name);
                if same_name {
                    items.push(rendered);
                } else {
                    items.push(format!("{rendered} AS {}", Ident::with_quote('`', name.clone())));
                }
            }
        }
        items.join(", ")
    };
    let mut entry = vec![("source-table", s(source_table)), ("projection", s(projection))];
    if let Some(filter) = &select.selection {
        entry.push(("filter", s(render_expr(filter, Quoting::Backtick))));
    }
    if new_keys {
        entry.push(("primary-keys", s(sink_keys.join(", "))));
    }
    Ok(Some(map(entry)))
}
