//! A pipeline as a SeaTunnel (v2) job config: `env`, one `source` block per table read —
//! however many sinks it feeds —, a `Sql` transform per view and per INSERT that is more
//! than `SELECT *`, and one `sink` block per INSERT, wired by `plugin_output` /
//! `plugin_input` (SeaTunnel 2.3.9 names; see `../shared/reference/seatunnel/`).

use datafusion::sql::sqlparser::ast::{Expr, Ident, ObjectName, Query, SelectItem, SetExpr};

use super::connector::{Options, Role, Secrets, file_path, jdbc_driver, jdbc_url, slot_name, unsupported};
use super::dialect::{Quoting, render};
use super::hocon::{Hocon, block};
use super::{engine_names, table_of};
use crate::error::{Result, SluiceError};
use crate::plan::resolve::parts;
use crate::plan::{PipelinePlan, TableUse};
use crate::units::parse_millis;

pub(super) type Entries = Vec<(String, Hocon)>;

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
        ("job.mode".into(), Hocon::str(settings.mode().to_uppercase())),
        ("job.name".into(), Hocon::str(settings.job_name(&plan.name))),
    ];
    if settings.streaming {
        let interval = settings.value("checkpoint_interval").and_then(parse_millis).unwrap_or(60_000);
        env.push(("checkpoint.interval".into(), Hocon::Int(interval as i64)));
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

/// A SeaTunnel field type for a Flink SQL type.
fn field_type(flink: &str) -> String {
    let t = flink.trim().to_uppercase();
    let base = t.split(['(', '<', ' ']).next().unwrap_or_default();
    match base {
        "TINYINT" => "tinyint".into(),
        "SMALLINT" => "smallint".into(),
        "INT" | "INTEGER" => "int".into(),
        "BIGINT" => "bigint".into(),
        "FLOAT" => "float".into(),
        "DOUBLE" => "double".into(),
        "BOOLEAN" => "boolean".into(),
        "DECIMAL" | "NUMERIC" | "DEC" => t.to_lowercase().replace(' ', ""),
        "DATE" => "date".into(),
        "TIME" => "time".into(),
        "TIMESTAMP" | "TIMESTAMP_LTZ" => "timestamp".into(),
        "BINARY" | "VARBINARY" | "BYTES" => "bytes".into(),
        "ARRAY" => format!("array<{}>", field_type(t.trim_start_matches("ARRAY<").trim_end_matches('>'))),
        _ => "string".into(),
    }
}

/// `schema = { fields { name = type } }` for plugins that need the table's columns.
fn schema(table: &TableUse) -> (String, Hocon) {
    let fields: Entries =
        table.physical_columns().map(|c| (c.name.clone(), Hocon::str(field_type(&c.data_type)))).collect();
    ("schema".into(), Hocon::Object(vec![("fields".into(), Hocon::Object(fields))]))
}

fn text(entries: &mut Entries, key: &str, value: Option<String>) {
    if let Some(v) = value {
        entries.push((key.to_owned(), Hocon::str(v)));
    }
}

/// The plugin (name and options) that reads or writes `table`.
pub(super) fn plugin(
    plan: &PipelinePlan,
    index: usize,
    table: &TableUse,
    role: Role,
    secrets: &mut Secrets,
) -> Result<(&'static str, Entries)> {
    let o = Options::new(table);
    let streaming = plan.settings().streaming;
    let mut e: Entries = Vec::new();
    let mapped = |names: &[&str], secrets: &mut Secrets| -> Entries {
        o.mapped_seatunnel(names, secrets).into_iter().map(|(k, v)| (k, Hocon::scalar(&v))).collect()
    };
    let plugin = match (table.source_type.name, role) {
        ("mysql", Role::Read) if streaming => {
            e.push(("base-url".into(), Hocon::str(jdbc_url(table, secrets))));
            text(&mut e, "username", o.get("username", secrets));
            text(&mut e, "password", o.get("password", secrets));
            e.push((
                "table-names".into(),
                Hocon::List(vec![Hocon::str(format!("{}.{}", table.path.database, table.path.table))]),
            ));
            e.extend(mapped(
                &["server_id", "server_time_zone", "startup_mode", "snapshot_chunk_size"],
                secrets,
            ));
            "MySQL-CDC"
        }
        ("postgres", Role::Read) if streaming => {
            let database = o.get("database", secrets).unwrap_or_else(|| "postgres".into());
            e.push(("base-url".into(), Hocon::str(jdbc_url(table, secrets))));
            text(&mut e, "username", o.get("username", secrets));
            text(&mut e, "password", o.get("password", secrets));
            e.push(("database-names".into(), Hocon::List(vec![Hocon::str(&database)])));
            e.push(("schema-names".into(), Hocon::List(vec![Hocon::str(&table.path.database)])));
            e.push((
                "table-names".into(),
                Hocon::List(vec![Hocon::str(format!(
                    "{database}.{}.{}",
                    table.path.database, table.path.table
                ))]),
            ));
            e.push((
                "slot.name".into(),
                Hocon::str(o.given("slot_name", secrets).unwrap_or_else(|| slot_name(&plan.name, index))),
            ));
            e.push((
                "decoding.plugin.name".into(),
                Hocon::str(o.get("decoding_plugin", secrets).unwrap_or_else(|| "pgoutput".into())),
            ));
            e.extend(mapped(&["startup_mode", "snapshot_chunk_size"], secrets));
            "Postgres-CDC"
        }
        ("mysql" | "postgres", _) => {
            e.push(("url".into(), Hocon::str(jdbc_url(table, secrets))));
            e.push(("driver".into(), Hocon::str(jdbc_driver(table))));
            text(&mut e, "user", o.get("username", secrets));
            text(&mut e, "password", o.get("password", secrets));
            let pg = table.source_type.name == "postgres";
            match role {
                Role::Read => {
                    let path = if pg {
                        let database = o.get("database", secrets).unwrap_or_else(|| "postgres".into());
                        format!("{database}.{}.{}", table.path.database, table.path.table)
                    } else {
                        format!("{}.{}", table.path.database, table.path.table)
                    };
                    e.push(("table_path".into(), Hocon::str(path)));
                    e.extend(mapped(&["fetch_size"], secrets));
                }
                Role::Write => {
                    let database = if pg {
                        o.get("database", secrets).unwrap_or_else(|| "postgres".into())
                    } else {
                        table.path.database.clone()
                    };
                    e.push(("database".into(), Hocon::str(database)));
                    let name = if pg {
                        format!("{}.{}", table.path.database, table.path.table)
                    } else {
                        table.path.table.clone()
                    };
                    e.push(("table".into(), Hocon::str(name)));
                    e.push(("generate_sink_sql".into(), Hocon::Bool(true)));
                    let keys: Vec<Hocon> =
                        table.columns.iter().filter(|c| c.is_key).map(|c| Hocon::str(&c.name)).collect();
                    if !keys.is_empty() {
                        e.push(("primary_keys".into(), Hocon::List(keys)));
                    }
                    e.extend(mapped(&["sink_batch_size", "max_retries"], secrets));
                }
            }
            "Jdbc"
        }
        ("kafka", _) => {
            text(&mut e, "bootstrap.servers", o.get("bootstrap_servers", secrets));
            text(&mut e, "topic", o.get("topic", secrets).or_else(|| Some(table.path.table.clone())));
            text(&mut e, "format", o.get("format", secrets));
            if role == Role::Read {
                text(
                    &mut e,
                    "consumer.group",
                    Some(o.get("group_id", secrets).unwrap_or_else(|| format!("sluice-{}", plan.name))),
                );
                let start = match o.get("startup_mode", secrets).as_deref() {
                    Some("earliest-offset") => "earliest",
                    Some("latest-offset") => "latest",
                    Some("timestamp") => "timestamp",
                    _ => "group_offsets",
                };
                e.push(("start_mode".into(), Hocon::str(start)));
                e.push(schema(table));
            }
            let mut config: Entries = Vec::new();
            text(&mut config, "security.protocol", o.given("security_protocol", secrets));
            text(&mut config, "sasl.mechanism", o.given("sasl_mechanism", secrets));
            for (k, v) in o.with_prefix("properties.", secrets) {
                config.push((k.trim_start_matches("properties.").to_owned(), Hocon::str(v)));
            }
            if !config.is_empty() {
                e.push(("kafka.config".into(), Hocon::Object(config)));
            }
            "Kafka"
        }
        ("pulsar", _) => {
            text(&mut e, "client.service-url", o.get("service_url", secrets));
            text(&mut e, "admin.service-url", o.get("admin_url", secrets));
            text(&mut e, "topic", o.get("topic", secrets).or_else(|| Some(table.path.table.clone())));
            text(&mut e, "format", o.get("format", secrets));
            if role == Role::Read {
                text(
                    &mut e,
                    "subscription.name",
                    Some(
                        o.get("subscription_name", secrets)
                            .unwrap_or_else(|| format!("sluice-{}", plan.name)),
                    ),
                );
                e.push(schema(table));
            }
            "Pulsar"
        }
        ("doris", _) => {
            text(&mut e, "fenodes", o.get("fenodes", secrets));
            if let Some(port) = o.given("query_port", secrets) {
                e.push(("query-port".into(), Hocon::scalar(&port)));
            }
            text(&mut e, "username", o.get("username", secrets));
            text(&mut e, "password", o.get("password", secrets));
            e.push(("database".into(), Hocon::str(&table.path.database)));
            e.push(("table".into(), Hocon::str(&table.path.table)));
            if role == Role::Write {
                let label = o.given("sink_label_prefix", secrets).unwrap_or_else(|| {
                    format!(
                        "sluice_{}_{}",
                        super::connector::plain_name(&plan.name),
                        super::connector::plain_name(&table.path.table)
                    )
                });
                e.push(("sink.label-prefix".into(), Hocon::str(label)));
                e.push((
                    "sink.enable-2pc".into(),
                    Hocon::scalar(&o.get("sink_enable_2pc", secrets).unwrap_or_else(|| "true".into())),
                ));
                e.extend(mapped(&["sink_buffer_size", "sink_max_retries"], secrets));
                e.push((
                    "doris.config".into(),
                    Hocon::Object(vec![
                        ("format".into(), Hocon::str("json")),
                        ("read_json_by_line".into(), Hocon::str("true")),
                    ]),
                ));
            }
            "Doris"
        }
        ("starrocks", _) => {
            let nodes: Vec<Hocon> = o
                .get("load_url", secrets)
                .unwrap_or_default()
                .split([';', ','])
                .filter(|s| !s.is_empty())
                .map(Hocon::str)
                .collect();
            e.push(("nodeUrls".into(), Hocon::List(nodes)));
            text(&mut e, "base-url", o.get("jdbc_url", secrets));
            text(&mut e, "username", o.get("username", secrets));
            text(&mut e, "password", o.get("password", secrets));
            e.push(("database".into(), Hocon::str(&table.path.database)));
            e.push(("table".into(), Hocon::str(&table.path.table)));
            if role == Role::Read {
                e.push(schema(table));
            } else {
                e.extend(mapped(&["sink_max_retries"], secrets));
            }
            "StarRocks"
        }
        ("paimon", _) => {
            e.extend(mapped(&["warehouse", "metastore", "uri"], secrets));
            e.push(("database".into(), Hocon::str(&table.path.database)));
            e.push(("table".into(), Hocon::str(&table.path.table)));
            "Paimon"
        }
        ("filesystem", _) => {
            let path = file_path(table);
            let format = o.get("format", secrets).unwrap_or_else(|| "csv".into());
            e.push(("path".into(), Hocon::str(&path)));
            e.push(("file_format_type".into(), Hocon::str(&format)));
            e.extend(mapped(&["csv_delimiter"], secrets));
            if role == Role::Read && matches!(format.as_str(), "csv" | "json" | "raw") {
                e.push(schema(table));
            }
            if path.starts_with("s3://") || path.starts_with("s3a://") {
                "S3File"
            } else if path.starts_with("hdfs://") {
                "HdfsFile"
            } else {
                "LocalFile"
            }
        }
        ("datagen", Role::Read) => {
            e.extend(mapped(&["number_of_rows"], secrets));
            e.push(schema(table));
            "FakeSource"
        }
        ("print", Role::Write) => "Console",
        _ => {
            return Err(unsupported(
                "SeaTunnel",
                table,
                "SeaTunnel has no plugin for it: use engine flink, or another sink (print writes to the log).",
            ));
        }
    };
    Ok((plugin, e))
}
