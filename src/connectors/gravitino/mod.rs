//! `gravitino`: an Apache Gravitino metalake; its catalogs appear as databases.

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Endpoint, Reach, host_ports};
use crate::connectors::logical::SyncRole;
use crate::connectors::render::{FlinkConnector, Secrets, TableCx, unsupported};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;

pub const OPTIONS: &[OptionSpec] = &[
    opt("uri", String, Basic, "Gravitino server, http://host:8090.")
        .required()
        .maps_to("gravitino.uri", "gravitino.uri"),
    opt("metalake", String, Basic, "Metalake whose catalogs the source exposes.")
        .required()
        .maps_to("gravitino.metalake", "gravitino.metalake"),
    opt("token", String, Basic, "Bearer token, as SECRET name.").secret(),
    opt("connect_timeout", Duration, Tuning, "How long to wait for the server.").default("5s"),
];

pub const GRAVITINO: SourceType = SourceType {
    name: "gravitino",
    description: "Apache Gravitino metadata service: catalogs as databases",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel],
    flink_connector: "gravitino",
    seatunnel_plugin: "Gravitino",
    options: OPTIONS,
    passthrough: &[],
    has_databases: true,
    table_options: &[],
    table_passthrough: &[],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Gravitino,
};

/// The gravitino connector.
#[derive(Debug)]
pub struct Gravitino;

#[async_trait::async_trait]
impl Connector for Gravitino {
    fn flink(&self, cx: &TableCx<'_>, _secrets: &mut Secrets) -> Result<FlinkConnector> {
        Err(unsupported(
            "Flink SQL",
            cx.table,
            "Gravitino sources are catalogs of other systems: create a source of the system itself.",
        ))
    }

    fn reach(&self, endpoint: &Endpoint<'_>) -> Reach {
        Reach::Hosts(host_ports(endpoint.text("uri").unwrap_or_default(), 8090))
    }
}
