//! A pipeline as a SeaTunnel (v2) job config: `env`, one `source` block per table read —
//! however many sinks it feeds —, a `Sql` transform per view and per INSERT that is more
//! than `SELECT *`, and one `sink` block per INSERT, wired by `plugin_output` /
//! `plugin_input` (SeaTunnel 2.3.9 names; see `../shared/reference/seatunnel/`).

use datafusion::sql::sqlparser::ast::{Expr, Ident, ObjectName, Query, SelectItem, SetExpr};

use super::dialect::{Quoting, render};
pub(super) use super::hocon::Entries;
use super::hocon::{Hocon, block};
use super::{engine_names, table_of};
use crate::connectors::render::{Role, Secrets, TableCx};
use crate::error::{Result, SluiceError};
use crate::plan::resolve::parts;
use crate::plan::{PipelinePlan, TableUse};

/// Compiles `plan` into a SeaTunnel job config (one multi-table job when it fits).
pub fn compile(plan: &PipelinePlan, secrets: &mut Secrets) -> Result<String> {
    if let Some(config) = super::seatunnel_multi::compile(plan, secrets)? {
        return Ok(config);
    }
    let names = engine_names(plan);
    let env = env(plan);

    let mut sources = String::new();
    for (_, table) in plan.graph.sources() {
        let t = &plan.bound.tables[table];
        let (plugin, mut entries) = plugin(plan, table, t, Role::Read, secrets)?;
        entries.insert(0, ("plugin_output".into(), Hocon::str(&names[table])));
        block(&mut sources, 1, plugin, &entries);
    }

    let mut transforms = String::new();
    let input_of = |name: &ObjectName| -> Option<String> {
        match table_of(plan, name) {
            Some(i) => Some(names[i].clone()),
            None => match parts(name).as_slice() {
                [view] => Some(view.clone()),
                _ => None,
            },
        }
    };
    for view in &plan.bound.views {
        let input = single_input(&view.query, &input_of, &view.name)?;
        let query = named_output(&view.query, &view.columns);
        let entries: Entries = vec![
            ("plugin_input".into(), Hocon::str(&input)),
            ("plugin_output".into(), Hocon::str(&view.name)),
            ("query".into(), Hocon::str(render(&query, Quoting::Double, &|n| input_of(n).map(|i| vec![i])))),
        ];
        block(&mut transforms, 1, "Sql", &entries);
    }

    let mut sinks = String::new();
    for (i, insert) in plan.bound.inserts.iter().enumerate() {
        let sink_table = &plan.bound.tables[insert.sink];
        let what = format!("INSERT INTO {}", sink_table.path);
        let input = single_input(&insert.query, &input_of, &what)?;
        let feed = if is_select_star(&insert.query) && columns_match(insert, sink_table) {
            input
        } else {
            let output = format!("insert_{}", i + 1);
            let query = named_output(&insert.query, &insert.columns);
            let entries: Entries = vec![
                ("plugin_input".into(), Hocon::str(&input)),
                ("plugin_output".into(), Hocon::str(&output)),
                (
                    "query".into(),
                    Hocon::str(render(&query, Quoting::Double, &|n| input_of(n).map(|i| vec![i]))),
                ),
            ];
            block(&mut transforms, 1, "Sql", &entries);
            output
        };
        let (plugin, mut entries) = plugin(plan, insert.sink, sink_table, Role::Write, secrets)?;
        entries.insert(0, ("plugin_input".into(), Hocon::str(&feed)));
        if sink_table.create {
            entries.push(("schema_save_mode".into(), Hocon::str("CREATE_SCHEMA_WHEN_NOT_EXIST")));
        }
        block(&mut sinks, 1, plugin, &entries);
    }

    let mut out = format!(
        "# Pipeline {} ({}), compiled by Sluice. Secrets are ${{…}} variables.\n",
        plan.name,
        plan.settings().mode()
    );
    block(&mut out, 0, "env", &env);
    for (name, body) in [("source", sources), ("transform", transforms), ("sink", sinks)] {
        out.push('\n');
        out.push_str(name);
        out.push_str(" {\n");
        out.push_str(&body);
        out.push_str("}\n");
    }
    Ok(out)
}

/// The `env` block: parallelism, job mode and name, checkpoints, passthrough settings.
pub(super) fn env(plan: &PipelinePlan) -> Entries {
    let settings = plan.settings();
    let mut env: Entries = vec![
        ("parallelism".into(), Hocon::Int(i64::from(settings.parallelism))),
        ("job.mode".into(), Hocon::str(settings.mode().as_str().to_uppercase())),
        ("job.name".into(), Hocon::str(settings.job_name(&plan.name))),
    ];
    if settings.streaming {
        let interval = settings.checkpoint_interval.as_millis() as i64;
        env.push(("checkpoint.interval".into(), Hocon::Int(interval)));
    }
    for (k, v) in &settings.seatunnel_passthrough {
        env.retain(|(key, _)| key != k);
        env.push((k.clone(), Hocon::scalar(v)));
    }
    env
}

/// The one input a Sql transform reads (SeaTunnel's transform has one `plugin_input`).
fn single_input(
    query: &Query,
    input_of: &dyn Fn(&ObjectName) -> Option<String>,
    what: &str,
) -> Result<String> {
    if let Some(window) = crate::plan::windows(query).first() {
        return Err(SluiceError::not_supported(
            format!("SeaTunnel cannot run {what}: its Sql transform has no {window} windows"),
            Some("Use engine flink for windowed aggregations."),
        ));
    }
    let inputs: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for name in crate::plan::resolve::relations(query) {
            if let Some(i) = input_of(&name)
                && !v.contains(&i)
            {
                v.push(i);
            }
        }
        v
    };
    match inputs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(SluiceError::not_supported(
            format!(
                "SeaTunnel cannot run {what}: its Sql transform reads exactly one table, this reads {}",
                inputs.len()
            ),
            Some("Use engine flink for joins and unions, or split the statement."),
        )),
    }
}

pub(super) fn is_select_star(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else { return false };
    query.order_by.is_none()
        && query.limit_clause.is_none()
        && query.with.is_none()
        && select.selection.is_none()
        && select.having.is_none()
        && select.distinct.is_none()
        && select.from.len() == 1
        && select.from[0].joins.is_empty()
        && matches!(select.projection.as_slice(), [SelectItem::Wildcard(_)])
        && matches!(&select.group_by, datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty())
}

/// Whether an INSERT writes its input's columns as they are.
pub(super) fn columns_match(insert: &crate::plan::BoundInsert, sink: &TableUse) -> bool {
    let physical: Vec<&str> = sink.physical_columns().map(|c| c.name.as_str()).collect();
    insert.columns.iter().map(String::as_str).eq(physical.iter().copied())
        && insert.plan.schema().fields().iter().map(|f| f.name().as_str()).eq(physical.iter().copied())
}

/// The query with its output columns named `columns` (SeaTunnel sinks match by name).
fn named_output(query: &Query, columns: &[String]) -> Query {
    let mut query = query.clone();
    if let SetExpr::Select(select) = query.body.as_mut()
        && select.projection.len() == columns.len()
        && !columns.is_empty()
    {
        for (item, column) in select.projection.iter_mut().zip(columns) {
            let alias = Ident::with_quote('"', column.clone());
            *item = match item.clone() {
                // a column already named like the sink's stays as it is
                SelectItem::UnnamedExpr(Expr::Identifier(i)) if normalised(&i) == *column => {
                    SelectItem::UnnamedExpr(Expr::Identifier(i))
                }
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                    SelectItem::ExprWithAlias { expr, alias }
                }
                other => other,
            };
        }
    }
    query
}

fn normalised(i: &Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

/// The plugin (name and options) that reads or writes `table`.
pub(super) fn plugin(
    plan: &PipelinePlan,
    index: usize,
    table: &TableUse,
    role: Role,
    secrets: &mut Secrets,
) -> Result<(&'static str, Entries)> {
    table.source_type.connector.seatunnel(&TableCx { plan, index, table, role }, secrets)
}
