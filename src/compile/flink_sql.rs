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

use super::connector::{Options, Role, Secrets, file_path, jdbc_url, plain_name, slot_name, unsupported};
use super::dialect::{Quoting, flink_ident, literal, render};
use super::{engine_names, table_of};
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
    if settings.value("job_name").is_none() {
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
    let streaming = plan.settings().streaming;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    fn put(options: &mut Vec<(String, String)>, k: &str, v: String) {
        options.push((k.to_owned(), v));
    }
    match table.source_type.name {
        "mysql" | "postgres" if role == Role::Read && streaming => {
            let pg = table.source_type.name == "postgres";
            put(&mut options, "connector", if pg { "postgres-cdc" } else { "mysql-cdc" }.into());
            put(&mut options, "hostname", o.get("host", secrets).unwrap_or_default());
            put(&mut options, "port", o.get("port", secrets).unwrap_or_default());
            put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
            if let Some(p) = o.get("password", secrets) {
                put(&mut options, "password", p);
            }
            if pg {
                put(
                    &mut options,
                    "database-name",
                    o.get("database", secrets).unwrap_or_else(|| "postgres".into()),
                );
                put(&mut options, "schema-name", table.path.database.clone());
                put(&mut options, "table-name", table.path.table.clone());
                put(
                    &mut options,
                    "slot.name",
                    o.given("slot_name", secrets).unwrap_or_else(|| slot_name(&plan.name, index)),
                );
                put(
                    &mut options,
                    "decoding.plugin.name",
                    o.get("decoding_plugin", secrets).unwrap_or_else(|| "pgoutput".into()),
                );
            } else {
                put(&mut options, "database-name", table.path.database.clone());
                put(&mut options, "table-name", table.path.table.clone());
            }
            options.extend(o.mapped_flink(
                &["server_id", "server_time_zone", "startup_mode", "snapshot_chunk_size", "connect_timeout"],
                secrets,
            ));
        }
        "mysql" | "postgres" => {
            put(&mut options, "connector", "jdbc".into());
            put(&mut options, "url", jdbc_url(table, secrets));
            let table_name = if table.source_type.name == "postgres" {
                format!("{}.{}", table.path.database, table.path.table)
            } else {
                table.path.table.clone()
            };
            put(&mut options, "table-name", table_name);
            put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
            if let Some(p) = o.get("password", secrets) {
                put(&mut options, "password", p);
            }
            let tuning: &[&str] = match role {
                Role::Read => &["fetch_size"],
                Role::Write => &["sink_batch_size", "sink_flush_interval", "max_retries"],
            };
            options.extend(o.mapped_flink(tuning, secrets));
        }
        "kafka" => {
            put(&mut options, "connector", "kafka".into());
            put(&mut options, "topic", o.get("topic", secrets).unwrap_or_else(|| table.path.table.clone()));
            put(
                &mut options,
                "properties.bootstrap.servers",
                o.get("bootstrap_servers", secrets).unwrap_or_default(),
            );
            let format = o.get("format", secrets).unwrap_or_else(|| "json".into());
            match o.given("key_format", secrets) {
                Some(key_format) => {
                    put(&mut options, "key.format", key_format);
                    if let Some(fields) = o.given("key_fields", secrets) {
                        put(&mut options, "key.fields", fields);
                    }
                    put(&mut options, "value.format", format);
                }
                None => put(&mut options, "format", format),
            }
            if role == Role::Read {
                put(
                    &mut options,
                    "properties.group.id",
                    o.get("group_id", secrets).unwrap_or_else(|| format!("sluice-{}", plan.name)),
                );
                put(
                    &mut options,
                    "scan.startup.mode",
                    o.get("startup_mode", secrets).unwrap_or_else(|| "group-offsets".into()),
                );
            }
            options.extend(
                o.mapped_flink(&["security_protocol", "sasl_mechanism", "schema_registry_url"], secrets),
            );
            if let (Some(user), Some(password)) =
                (o.given("sasl_username", secrets), o.given("sasl_password", secrets))
            {
                let module = match o.get("sasl_mechanism", secrets).as_deref() {
                    Some(m) if m.starts_with("SCRAM") => {
                        "org.apache.kafka.common.security.scram.ScramLoginModule"
                    }
                    _ => "org.apache.kafka.common.security.plain.PlainLoginModule",
                };
                let quote = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
                put(
                    &mut options,
                    "properties.sasl.jaas.config",
                    format!(
                        "{module} required username=\"{}\" password=\"{}\";",
                        quote(&user),
                        quote(&password)
                    ),
                );
            }
            options.extend(o.with_prefix("properties.", secrets));
            for prefix in [
                "scan.",
                "sink.",
                "json.",
                "csv.",
                "avro.",
                "avro-confluent.",
                "debezium-json.",
                "canal-json.",
            ] {
                options.extend(o.with_prefix(prefix, secrets));
            }
        }
        "pulsar" => {
            put(&mut options, "connector", "pulsar".into());
            put(&mut options, "topics", o.get("topic", secrets).unwrap_or_else(|| table.path.table.clone()));
            put(&mut options, "service-url", o.get("service_url", secrets).unwrap_or_default());
            put(&mut options, "admin-url", o.get("admin_url", secrets).unwrap_or_default());
            put(&mut options, "format", o.get("format", secrets).unwrap_or_else(|| "json".into()));
            if role == Role::Read {
                put(
                    &mut options,
                    "source.subscription-name",
                    o.get("subscription_name", secrets).unwrap_or_else(|| format!("sluice-{}", plan.name)),
                );
            }
            if let Some(token) = o.given("auth_token", secrets) {
                put(
                    &mut options,
                    "pulsar.client.authPluginClassName",
                    "org.apache.pulsar.client.impl.auth.AuthenticationToken".into(),
                );
                put(&mut options, "pulsar.client.authParams", format!("token:{token}"));
            }
            options.extend(o.with_prefix("pulsar.", secrets));
        }
        "doris" => {
            put(&mut options, "connector", "doris".into());
            put(&mut options, "fenodes", o.get("fenodes", secrets).unwrap_or_default());
            put(&mut options, "table.identifier", format!("{}.{}", table.path.database, table.path.table));
            put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
            put(&mut options, "password", o.get("password", secrets).unwrap_or_default());
            if role == Role::Write {
                put(
                    &mut options,
                    "sink.label-prefix",
                    o.given("sink_label_prefix", secrets).unwrap_or_else(|| {
                        format!("sluice_{}_{}", plain_name(&plan.name), plain_name(&table.path.table))
                    }),
                );
                options.extend(
                    o.mapped_flink(&["sink_buffer_size", "sink_max_retries", "sink_enable_2pc"], secrets),
                );
                options.extend(o.with_prefix("sink.properties.", secrets));
            }
            options.extend(o.mapped_flink(&["connect_timeout", "request_retries"], secrets));
        }
        "starrocks" => {
            put(&mut options, "connector", "starrocks".into());
            put(&mut options, "jdbc-url", o.get("jdbc_url", secrets).unwrap_or_default());
            let http = o.get("load_url", secrets).unwrap_or_default();
            put(&mut options, if role == Role::Read { "scan-url" } else { "load-url" }, http);
            put(&mut options, "database-name", table.path.database.clone());
            put(&mut options, "table-name", table.path.table.clone());
            put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
            put(&mut options, "password", o.get("password", secrets).unwrap_or_default());
            if role == Role::Write {
                options.extend(
                    o.mapped_flink(&["sink_flush_interval", "sink_max_retries", "sink_semantic"], secrets),
                );
                options.extend(o.with_prefix("sink.properties.", secrets));
            }
        }
        "paimon" => {
            let catalog = plain_name(&table.path.source);
            if !catalogs.contains(&catalog) {
                let mut c: Vec<(String, String)> = vec![("type".into(), "paimon".into())];
                c.extend(o.mapped_flink(&["warehouse", "metastore", "uri", "commit_timeout"], secrets));
                for prefix in ["fs.", "s3.", "hadoop.", "table-default."] {
                    c.extend(o.with_prefix(prefix, secrets));
                }
                let _ =
                    writeln!(out, "CREATE CATALOG {} WITH (\n{}\n);", flink_ident(&catalog), with_list(&c));
                catalogs.push(catalog.clone());
            }
            return Ok(FlinkTable {
                name: vec![catalog, table.path.database.clone(), table.path.table.clone()],
                options: None,
            });
        }
        "filesystem" => {
            put(&mut options, "connector", "filesystem".into());
            put(&mut options, "path", file_path(table));
            put(&mut options, "format", o.get("format", secrets).unwrap_or_else(|| "csv".into()));
            options.extend(o.mapped_flink(
                &["csv_delimiter", "sink_rolling_file_size", "sink_rolling_interval"],
                secrets,
            ));
            for prefix in
                ["csv.", "json.", "parquet.", "orc.", "avro.", "sink.", "source.", "partition.", "fs.", "s3."]
            {
                options.extend(o.with_prefix(prefix, secrets));
            }
        }
        "datagen" => {
            put(&mut options, "connector", "datagen".into());
            options.extend(o.mapped_flink(&["rows_per_second", "number_of_rows"], secrets));
            options.extend(o.with_prefix("fields.", secrets));
        }
        "print" => {
            put(&mut options, "connector", "print".into());
            options.extend(o.mapped_flink(&["print_identifier", "standard_error"], secrets));
        }
        "blackhole" => put(&mut options, "connector", "blackhole".into()),
        _ => {
            return Err(unsupported(
                "Flink SQL",
                table,
                "Gravitino sources are catalogs of other systems: create a source of the system itself.",
            ));
        }
    }
    // a key given twice (mapped and passthrough) keeps its last value
    let mut deduped: Vec<(String, String)> = Vec::new();
    for (k, v) in options {
        deduped.retain(|(key, _)| *key != k);
        deduped.push((k, v));
    }
    Ok(FlinkTable { name: vec![name], options: Some(deduped) })
}

fn with_list(options: &[(String, String)]) -> String {
    options.iter().map(|(k, v)| format!("  {} = {}", literal(k), literal(v))).collect::<Vec<_>>().join(",\n")
}

/// `CREATE TEMPORARY TABLE name (columns, watermark, key) [PARTITIONED BY …] WITH (…);`
fn write_table(out: &mut String, table: &TableUse, name: &str, options: &[(String, String)]) {
    if table.create {
        let _ = writeln!(
            out,
            "-- {} does not exist yet: it is created with these columns when the pipeline starts.",
            table.path
        );
    }
    let mut lines: Vec<String> = Vec::new();
    for c in &table.columns {
        if c.data_type == "COMPUTED" {
            lines.push(format!("  {} {}", flink_ident(&c.name), c.source_type));
        } else {
            let not_null = if c.nullable { "" } else { " NOT NULL" };
            lines.push(format!("  {} {}{not_null}", flink_ident(&c.name), c.data_type));
        }
    }
    let definition = table.definition.as_ref();
    if let Some(w) = definition.and_then(|d| d.get("watermark")).filter(|w| !w.is_null()) {
        let column = w.get("column").and_then(|c| c.as_str()).unwrap_or_default();
        let expr = w.get("expr").and_then(|c| c.as_str()).unwrap_or_default();
        lines.push(format!("  WATERMARK FOR {} AS {expr}", flink_ident(column)));
    }
    let keys: Vec<String> = table.columns.iter().filter(|c| c.is_key).map(|c| flink_ident(&c.name)).collect();
    if !keys.is_empty() {
        lines.push(format!("  PRIMARY KEY ({}) NOT ENFORCED", keys.join(", ")));
    }
    let _ = write!(out, "CREATE TEMPORARY TABLE {} (\n{}\n)", flink_ident(name), lines.join(",\n"));
    let partitions: Vec<String> = table
        .definition
        .as_ref()
        .and_then(|d| d.pointer("/options/partition_keys"))
        .and_then(|p| p.as_str())
        .map(|p| p.split(',').map(|c| flink_ident(c.trim())).collect())
        .unwrap_or_default();
    if !partitions.is_empty() {
        let _ = write!(out, " PARTITIONED BY ({})", partitions.join(", "));
    }
    let _ = writeln!(out, " WITH (\n{}\n);", with_list(options));
}
