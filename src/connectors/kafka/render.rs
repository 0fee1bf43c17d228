//! How a kafka table becomes a connector: Flink's Kafka connector, SeaTunnel's Kafka plugin (option names from their documentation).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, put, seatunnel_schema, text,
};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let plan = cx.plan;
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
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
    options.extend(o.mapped_flink(&["security_protocol", "sasl_mechanism", "schema_registry_url"], secrets));
    if let (Some(user), Some(password)) =
        (o.given("sasl_username", secrets), o.given("sasl_password", secrets))
    {
        let module = match o.get("sasl_mechanism", secrets).as_deref() {
            Some(m) if m.starts_with("SCRAM") => "org.apache.kafka.common.security.scram.ScramLoginModule",
            _ => "org.apache.kafka.common.security.plain.PlainLoginModule",
        };
        let quote = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        put(
            &mut options,
            "properties.sasl.jaas.config",
            format!("{module} required username=\"{}\" password=\"{}\";", quote(&user), quote(&password)),
        );
    }
    options.extend(o.with_prefix("properties.", secrets));
    for prefix in
        ["scan.", "sink.", "json.", "csv.", "avro.", "avro-confluent.", "debezium-json.", "canal-json."]
    {
        options.extend(o.with_prefix(prefix, secrets));
    }
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let plan = cx.plan;
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
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
        e.push(seatunnel_schema(table));
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
    Ok(("Kafka", e))
}
