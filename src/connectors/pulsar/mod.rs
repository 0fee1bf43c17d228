//! `pulsar`: Apache Pulsar topics, declared as tables like Kafka's.

mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Endpoint, Reach, host_ports};
use crate::connectors::logical::SyncRole;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;

const FORMATS: &[&str] = &["json", "csv", "avro", "raw"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("service_url", String, Basic, "Broker service URL, pulsar://host:6650.")
        .required()
        .maps_to("service-url", "client.service-url"),
    opt("admin_url", String, Basic, "Admin REST URL, http://host:8080.")
        .maps_to("admin-url", "admin.service-url"),
    opt("format", Enum(FORMATS), Basic, "Default value format.").default("json").maps_to("format", "format"),
    opt("auth_token", String, Basic, "Token for token authentication, as SECRET name.")
        .secret()
        .maps_to("", ""),
    opt("subscription_name", String, Tuning, "Subscription of readers.")
        .maps_to("source.subscription-name", "subscription.name"),
    opt("connect_timeout", Duration, Tuning, "How long to wait for a broker.").default("5s"),
];

/// Options of a declared Pulsar table.
pub const TABLE_OPTIONS: &[OptionSpec] = &[
    opt("topic", String, Basic, "Topic of the table (persistent://tenant/namespace/topic).")
        .required()
        .maps_to("topics", "topic"),
    opt("format", Enum(FORMATS), Basic, "Value format (else the source's).").maps_to("format", "format"),
    opt("subscription_name", String, Advanced, "Subscription (else the source's).")
        .maps_to("source.subscription-name", "subscription.name"),
];

pub const PULSAR: SourceType = SourceType {
    name: "pulsar",
    description: "Apache Pulsar: topics as declared tables, read and written",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel],
    flink_connector: "pulsar",
    seatunnel_plugin: "Pulsar",
    options: OPTIONS,
    passthrough: &["pulsar."],
    has_databases: false,
    table_options: TABLE_OPTIONS,
    table_passthrough: &["pulsar.", "source.", "sink."],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Pulsar,
};

/// The pulsar connector.
#[derive(Debug)]
pub struct Pulsar;

#[async_trait::async_trait]
impl Connector for Pulsar {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    fn reach(&self, endpoint: &Endpoint<'_>) -> Reach {
        Reach::Hosts(host_ports(endpoint.text("service_url").unwrap_or_default(), 6650))
    }
}
