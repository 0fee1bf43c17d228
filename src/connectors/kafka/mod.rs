//! `kafka`: Apache Kafka topics. Tables are declared (`CREATE TABLE k.t (…) WITH (topic = …)`)
//! and named with two parts (`kafka_prod.order_events`). `properties.*` is passed to the
//! Kafka client as it is.

mod live;
mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Check, Endpoint};
use crate::connectors::logical::{SyncRole, SyncSink};
use crate::connectors::render::CdcBlock;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

const FORMATS: &[&str] =
    &["json", "csv", "avro", "avro-confluent", "raw", "debezium-json", "canal-json", "maxwell-json"];
const STARTUP: &[&str] = &["earliest-offset", "latest-offset", "group-offsets", "timestamp"];
const PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
const MECHANISMS: &[&str] = &["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("bootstrap_servers", String, Basic, "Brokers to bootstrap from: host:port[,host:port…].")
        .required()
        .maps_to("properties.bootstrap.servers", "bootstrap.servers"),
    opt("format", Enum(FORMATS), Basic, "Default value format of the source's topics.")
        .default("json")
        .maps_to("format", "format"),
    opt("group_id", String, Basic, "Consumer group of readers.")
        .maps_to("properties.group.id", "consumer.group"),
    opt("connect_timeout", Duration, Tuning, "How long to wait for a broker.").default("5s"),
    opt("startup_mode", Enum(STARTUP), Advanced, "Where reading starts.")
        .default("group-offsets")
        .maps_to("scan.startup.mode", "start_mode"),
    opt("security_protocol", Enum(PROTOCOLS), Advanced, "Protocol to talk to brokers.")
        .default("PLAINTEXT")
        .maps_to("properties.security.protocol", "kafka.config.security.protocol"),
    opt("sasl_mechanism", Enum(MECHANISMS), Advanced, "SASL mechanism with SASL_* protocols.")
        .maps_to("properties.sasl.mechanism", "kafka.config.sasl.mechanism"),
    opt("sasl_username", String, Advanced, "SASL user (with PLAIN or SCRAM).").maps_to("", ""),
    opt("sasl_password", String, Advanced, "SASL password, as SECRET name.").secret().maps_to("", ""),
    opt("schema_registry_url", String, Advanced, "Confluent schema registry for avro-confluent.")
        .maps_to("avro-confluent.url", ""),
];

/// Options of a declared Kafka table.
pub const TABLE_OPTIONS: &[OptionSpec] = &[
    opt("topic", String, Basic, "Topic (or semicolon-separated topics) of the table.")
        .required()
        .maps_to("topic", "topic"),
    opt("format", Enum(FORMATS), Basic, "Value format (else the source's).")
        .maps_to("value.format", "format"),
    opt("key_format", Enum(FORMATS), Advanced, "Key format, when the key carries columns.")
        .maps_to("key.format", ""),
    opt("key_fields", String, Advanced, "Columns that form the key, separated by ';'.")
        .maps_to("key.fields", ""),
    opt("startup_mode", Enum(STARTUP), Advanced, "Where reading starts (else the source's).")
        .maps_to("scan.startup.mode", "start_mode"),
    opt("group_id", String, Advanced, "Consumer group (else the source's).")
        .maps_to("properties.group.id", "consumer.group"),
];

pub const KAFKA: SourceType = SourceType {
    name: "kafka",
    description: "Apache Kafka: topics as declared tables, read and written",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc],
    flink_connector: "kafka",
    seatunnel_plugin: "Kafka",
    options: OPTIONS,
    passthrough: &["properties."],
    has_databases: false,
    table_options: TABLE_OPTIONS,
    table_passthrough: &[
        "properties.",
        "scan.",
        "key.",
        "value.",
        "json.",
        "csv.",
        "avro.",
        "avro-confluent.",
        "debezium-json.",
        "canal-json.",
        "sink.",
    ],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole { read: None, write: Some(SyncSink { column_type: None, tables: None, flink_cdc: true }) },
    connector: &Kafka,
};

/// The kafka connector.
#[derive(Debug)]
pub struct Kafka;

#[async_trait::async_trait]
impl Connector for Kafka {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    async fn test(&self, endpoint: &Endpoint<'_>) -> Vec<Check> {
        live::test(endpoint).await
    }

    fn flink_cdc_sink(
        &self,
        plan: &PipelinePlan,
        table: &TableUse,
        secrets: &mut Secrets,
    ) -> Result<CdcBlock> {
        use crate::connectors::render::{Options, cdc_text, yaml_str};
        let o = Options::new(table);
        let mut e: CdcBlock = Vec::new();
        e.push(("type".into(), yaml_str("kafka")));
        cdc_text(&mut e, "properties.bootstrap.servers", o.get("bootstrap_servers", secrets));
        if let [insert] = plan.bound.inserts.as_slice() {
            let sink = &plan.bound.tables[insert.sink];
            cdc_text(
                &mut e,
                "topic",
                Some(Options::new(sink).get("topic", secrets).unwrap_or_else(|| sink.path.table.clone())),
            );
        }
        Ok(e)
    }
}
