//! A sync-shaped pipeline as one multi-table SeaTunnel job (the shape of
//! `../shared/reference/seatunnel/jdbc_mysql_source_and_sink_with_multiple_tables.conf`):
//! - INSERTs that are a `SELECT *` of their own table, one source into one sink database,
//!   sink names the source's with a common prefix and suffix: a single source block
//!   reading every table (`table_list` for JDBC, `table-names` for CDC) and a single sink
//!   block naming its table `prefix${table_name}suffix`;
//! - INSERTs of tables merged into one sink table (a UNION ALL of one SELECT per table):
//!   per sink table, a source whose `table_list` gives each table's `query` (its columns
//!   under the sink's names, the origin literal) and a sink block naming that table.
//!
//! Anything else is compiled block by block by [`super::seatunnel`].

use datafusion::sql::sqlparser::ast::{Expr, Select, SelectItem};

use super::dialect::{Quoting, render_expr};
use super::hocon::{Hocon, block};
use super::seatunnel::{Entries, columns_match, env, is_select_star, plugin};
use crate::connectors::render::{Options, Role, Secrets};
use crate::error::{Result, SluiceError};
use crate::plan::{PipelinePlan, TableUse};

/// An INSERT of tables merged into one sink table: each SELECT with the table it reads.
struct Merged<'a> {
    insert: usize,
    branches: Vec<(&'a Select, usize)>,
}

/// `Some(config)` when `plan` fits one multi-table job, else `None`.
pub fn compile(plan: &PipelinePlan, secrets: &mut Secrets) -> Result<Option<String>> {
    let bound = &plan.bound;
    if !bound.views.is_empty() {
        return Ok(None);
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut merged: Vec<Merged<'_>> = Vec::new();
    for (i, insert) in bound.inserts.iter().enumerate() {
        if !insert.views.is_empty() {
            return Ok(None);
        }
        let sink = &bound.tables[insert.sink];
        match insert.reads.as_slice() {
            [read] if is_select_star(&insert.query) && columns_match(insert, sink) => {
                if pairs.iter().any(|(r, _)| r == read) {
                    return Ok(None);
                }
                pairs.push((*read, insert.sink));
            }
            // a UNION ALL of one SELECT per table (tables merged); a single SELECT that is
            // more than `SELECT *` is a Sql transform of the block-by-block job
            _ => match super::union_branches(plan, &insert.query) {
                Some(branches) if branches.len() > 1 => merged.push(Merged { insert: i, branches }),
                _ => return Ok(None),
            },
        }
    }
    if merged.is_empty() && pairs.len() < 2 {
        return Ok(None);
    }
    let mut sources = String::new();
    let mut sinks = String::new();
    let mut tables = 0;
    if !pairs.is_empty() {
        let Some((source, sink)) = one_to_one(plan, &pairs, secrets)? else { return Ok(None) };
        block(&mut sources, 1, source.0, &source.1);
        block(&mut sinks, 1, sink.0, &sink.1);
        tables += pairs.len();
    }
    for (n, m) in merged.iter().enumerate() {
        let output = format!("merged_{}", n + 1);
        let (source_plugin, source) = merged_source(plan, m, &output, secrets)?;
        let insert = &bound.inserts[m.insert];
        let sink_table = &bound.tables[insert.sink];
        let (sink_plugin, mut sink) = plugin(plan, insert.sink, sink_table, Role::Write, secrets)?;
        sink.insert(0, ("plugin_input".into(), Hocon::str(&output)));
        if sink_table.create {
            sink.push(("schema_save_mode".into(), Hocon::str("CREATE_SCHEMA_WHEN_NOT_EXIST")));
        }
        block(&mut sources, 1, source_plugin, &source);
        block(&mut sinks, 1, sink_plugin, &sink);
        tables += m.branches.len();
    }
    let mut out = format!(
        "# Pipeline {} ({}), compiled by Sluice as one multi-table job of {tables} tables. Secrets are ${{…}} variables.\n",
        plan.name,
        plan.settings().mode(),
    );
    block(&mut out, 0, "env", &env(plan));
    out.push_str(&format!("\nsource {{\n{sources}}}\n\ntransform {{\n}}\n\nsink {{\n{sinks}}}\n"));
    Ok(Some(out))
}

type Plugin = (&'static str, Entries);

/// The source and sink of tables copied one to one: every table read by one source, the
/// sink naming its table `prefix${table_name}suffix`; `None` when the names do not fit.
fn one_to_one(
    plan: &PipelinePlan,
    pairs: &[(usize, usize)],
    secrets: &mut Secrets,
) -> Result<Option<(Plugin, Plugin)>> {
    let bound = &plan.bound;
    let (first_read, first_sink) = pairs[0];
    let same_source = |a: usize, b: usize| bound.tables[a].path.source == bound.tables[b].path.source;
    let same_database = |a: usize, b: usize| {
        same_source(a, b) && bound.tables[a].path.database == bound.tables[b].path.database
    };
    if !pairs.iter().all(|&(r, s)| same_source(r, first_read) && same_database(s, first_sink)) {
        return Ok(None);
    }
    let (source_name, sink_name) =
        (&bound.tables[first_read].path.table, &bound.tables[first_sink].path.table);
    let Some(at) = sink_name.find(source_name.as_str()) else { return Ok(None) };
    let (prefix, suffix) = (&sink_name[..at], &sink_name[at + source_name.len()..]);
    if !pairs.iter().all(|&(r, s)| {
        bound.tables[s].path.table == format!("{prefix}{}{suffix}", bound.tables[r].path.table)
    }) {
        return Ok(None);
    }

    let (source_plugin, mut source) =
        plugin(plan, first_read, &bound.tables[first_read], Role::Read, secrets)?;
    match source_plugin {
        "Jdbc" => {
            let list = pairs
                .iter()
                .map(|&(r, _)| {
                    let path = table_path(plan, r, secrets);
                    Hocon::Object(vec![("table_path".into(), Hocon::str(path))])
                })
                .collect();
            replace(&mut source, "table_path", ("table_list", Hocon::List(list)));
        }
        "MySQL-CDC" | "Postgres-CDC" => {
            let names = pairs.iter().map(|&(r, _)| Hocon::str(table_path(plan, r, secrets))).collect();
            replace(&mut source, "table-names", ("table-names", Hocon::List(names)));
        }
        _ => return Ok(None),
    }
    source.insert(0, ("plugin_output".into(), Hocon::str("sync_tables")));

    let sink_table = &bound.tables[first_sink];
    let (sink_plugin, mut sink) = plugin(plan, first_sink, sink_table, Role::Write, secrets)?;
    let template = format!("{prefix}${{table_name}}{suffix}");
    let table = match (sink_plugin, sink_table.source_type.databases_are_schemas) {
        ("Jdbc", true) => format!("{}.{template}", sink_table.path.database),
        ("Jdbc" | "Doris" | "StarRocks", _) => template,
        _ => return Ok(None),
    };
    replace(&mut sink, "table", ("table", Hocon::str(table)));
    if sink.iter().any(|(k, _)| k == "primary_keys") {
        replace(&mut sink, "primary_keys", ("primary_keys", Hocon::List(vec![Hocon::str("${primary_key}")])));
    }
    if sink.iter().any(|(k, _)| k == "sink.label-prefix") {
        let label = format!("sluice_{}", crate::connectors::render::plain_name(&plan.name));
        replace(&mut sink, "sink.label-prefix", ("sink.label-prefix", Hocon::str(label)));
    }
    if pairs.iter().any(|&(_, s)| bound.tables[s].create) {
        sink.push(("schema_save_mode".into(), Hocon::str("CREATE_SCHEMA_WHEN_NOT_EXIST")));
    }
    sink.insert(0, ("plugin_input".into(), Hocon::str("sync_tables")));
    Ok(Some(((source_plugin, source), (sink_plugin, sink))))
}

/// One source reading every table merged into a sink table: JDBC's `table_list` with each
/// table's query in the source's SQL (its SELECT, with the origin literal and the sink's
/// column names); a CDC source lists the tables, which it can only read whole.
fn merged_source(plan: &PipelinePlan, m: &Merged<'_>, output: &str, secrets: &mut Secrets) -> Result<Plugin> {
    let bound = &plan.bound;
    let insert = &bound.inserts[m.insert];
    let (_, first) = m.branches[0];
    if m.branches.iter().any(|&(_, r)| bound.tables[r].path.source != bound.tables[first].path.source) {
        return Err(unsupported(plan, m, "reads several sources"));
    }
    let (source_plugin, mut source) = plugin(plan, first, &bound.tables[first], Role::Read, secrets)?;
    match source_plugin {
        "Jdbc" => {
            let quoting = if bound.tables[first].source_type.databases_are_schemas {
                Quoting::Double
            } else {
                Quoting::Backtick
            };
            let mut list = Vec::new();
            for &(select, read) in &m.branches {
                let Some(query) = table_query(select, &insert.columns, &bound.tables[read], quoting) else {
                    return Err(unsupported(plan, m, "selects a wildcard of a qualified name"));
                };
                list.push(Hocon::Object(vec![
                    ("table_path".into(), Hocon::str(table_path(plan, read, secrets))),
                    ("query".into(), Hocon::str(query)),
                ]));
            }
            replace(&mut source, "table_path", ("table_list", Hocon::List(list)));
        }
        "MySQL-CDC" | "Postgres-CDC" => {
            let whole = m.branches.iter().all(|&(select, read)| {
                select.selection.is_none()
                    && select.projection.len() == insert.columns.len()
                    && select.projection.iter().zip(&insert.columns).all(|(item, column)| {
                        matches!(item, SelectItem::UnnamedExpr(Expr::Identifier(i)) if i.value == *column)
                    })
                    && {
                        let mut own: Vec<&str> = bound.tables[read].physical_columns().map(|c| c.name.as_str()).collect();
                        let mut written: Vec<&str> = insert.columns.iter().map(String::as_str).collect();
                        own.sort_unstable();
                        written.sort_unstable();
                        own == written
                    }
            });
            if !whole {
                return Err(unsupported(
                    plan,
                    m,
                    "adds or renames columns (an origin column), which SeaTunnel's CDC sources cannot",
                ));
            }
            let names = m.branches.iter().map(|&(_, r)| Hocon::str(table_path(plan, r, secrets))).collect();
            replace(&mut source, "table-names", ("table-names", Hocon::List(names)));
        }
        other => return Err(unsupported(plan, m, &format!("reads with {other}, which reads one table"))),
    }
    source.insert(0, ("plugin_output".into(), Hocon::str(output)));
    Ok((source_plugin, source))
}

/// `SELECT items AS sink_column … FROM database.table [WHERE …]` in the source's SQL.
fn table_query(select: &Select, columns: &[String], table: &TableUse, quoting: Quoting) -> Option<String> {
    let quote = |name: &str| match quoting {
        Quoting::Backtick => crate::sql::ast::backtick_ident(name),
        Quoting::Double => crate::sql::ast::quote_ident(name),
    };
    let mut items = Vec::with_capacity(columns.len());
    for (item, column) in select.projection.iter().zip(columns) {
        let expr = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => return None,
        };
        items.push(format!("{} AS {}", render_expr(expr, quoting), quote(column)));
    }
    let mut query = format!(
        "SELECT {} FROM {}.{}",
        items.join(", "),
        quote(&table.path.database),
        quote(&table.path.table)
    );
    if let Some(filter) = &select.selection {
        query.push_str(&format!(" WHERE {}", render_expr(filter, quoting)));
    }
    Some(query)
}

fn unsupported(plan: &PipelinePlan, m: &Merged<'_>, why: &str) -> SluiceError {
    SluiceError::not_supported(
        format!(
            "SeaTunnel cannot write the tables merged into {}: the statement {why}",
            plan.bound.tables[plan.bound.inserts[m.insert].sink].path
        ),
        Some("Use engine flink or flink-cdc for this sync."),
    )
}

/// `db.table`, or `database.schema.table` for PostgreSQL (as SeaTunnel names tables).
fn table_path(plan: &PipelinePlan, index: usize, secrets: &mut Secrets) -> String {
    let t = &plan.bound.tables[index];
    if t.source_type.databases_are_schemas {
        let database = Options::new(t)
            .get("database", secrets)
            .unwrap_or_else(|| crate::connectors::postgres::DEFAULT_DATABASE.into());
        format!("{database}.{}.{}", t.path.database, t.path.table)
    } else {
        format!("{}.{}", t.path.database, t.path.table)
    }
}

/// Replaces entry `key` in place (or appends when absent).
fn replace(entries: &mut Entries, key: &str, (new_key, value): (&str, Hocon)) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => *entry = (new_key.to_owned(), value),
        None => entries.push((new_key.to_owned(), value)),
    }
}
