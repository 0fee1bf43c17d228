//! A sync-shaped pipeline — every INSERT a `SELECT *` of its own table, one source
//! database into one sink database, sink names the source's with a common prefix and
//! suffix — as one multi-table SeaTunnel job: a single source block reading every table
//! (`table_list` for JDBC, `table-names` for CDC) and a single sink block naming its
//! table `prefix${table_name}suffix` (the shape of
//! `../shared/reference/seatunnel/jdbc_mysql_source_and_sink_with_multiple_tables.conf`).
//! Anything else is compiled block by block by [`super::seatunnel`].

use super::hocon::{Hocon, block};
use super::seatunnel::{Entries, columns_match, env, is_select_star, plugin};
use crate::connectors::render::{Options, Role, Secrets};
use crate::error::Result;
use crate::plan::PipelinePlan;

/// `Some(config)` when `plan` fits one multi-table job, else `None`.
pub fn compile(plan: &PipelinePlan, secrets: &mut Secrets) -> Result<Option<String>> {
    let bound = &plan.bound;
    if bound.inserts.len() < 2 || !bound.views.is_empty() {
        return Ok(None);
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for insert in &bound.inserts {
        let [read] = insert.reads.as_slice() else { return Ok(None) };
        let sink = &bound.tables[insert.sink];
        if !insert.views.is_empty() || !is_select_star(&insert.query) || !columns_match(insert, sink) {
            return Ok(None);
        }
        if pairs.iter().any(|(r, _)| r == read) {
            return Ok(None);
        }
        pairs.push((*read, insert.sink));
    }
    let (first_read, first_sink) = pairs[0];
    let same = |a: usize, b: usize| {
        let (a, b) = (&bound.tables[a].path, &bound.tables[b].path);
        a.source == b.source && a.database == b.database
    };
    if !pairs.iter().all(|&(r, s)| same(r, first_read) && same(s, first_sink)) {
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

    let mut out = format!(
        "# Pipeline {} ({}), compiled by Sluice as one multi-table job of {} tables. Secrets are ${{…}} variables.\n",
        plan.name,
        plan.settings().mode(),
        pairs.len()
    );
    block(&mut out, 0, "env", &env(plan));
    let mut sources = String::new();
    block(&mut sources, 1, source_plugin, &source);
    let mut sinks = String::new();
    block(&mut sinks, 1, sink_plugin, &sink);
    out.push_str(&format!("\nsource {{\n{sources}}}\n\ntransform {{\n}}\n\nsink {{\n{sinks}}}\n"));
    Ok(Some(out))
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
