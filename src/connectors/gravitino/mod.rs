//! `gravitino`: one catalog of an Apache Gravitino metalake. Its schemas are the source's
//! databases and its tables the source's, read through Gravitino's REST API ([`live`]);
//! pipelines over them compile to the connector of the system the catalog stands for —
//! its provider ([`render`]): `jdbc-mysql` and `jdbc-postgresql` as MySQL and PostgreSQL
//! tables, `lakehouse-paimon` as a Paimon catalog, `lakehouse-iceberg` as an Iceberg
//! catalog. Other providers are refused (0A000) naming the provider.

mod live;
mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Check, Endpoint, Table};
use crate::connectors::logical::SyncRole;
use crate::connectors::render::{CdcBlock, CdcSource, FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

pub const OPTIONS: &[OptionSpec] = &[
    opt("uri", String, Basic, "Gravitino server, http://host:8090 or https://….").required(),
    opt(
        "ca_file",
        String,
        Advanced,
        "PEM file of the CA an https server is verified with (else public roots).",
    ),
    opt("metalake", String, Basic, "Metalake of the catalog.").required(),
    opt("catalog", String, Basic, "Catalog whose schemas the source exposes as databases.").required(),
    opt("token", String, Basic, "OAuth bearer token for Gravitino, as SECRET name.").secret(),
    opt("user", String, Basic, "User for Gravitino's simple authentication (when no token is given)."),
    opt(
        "username",
        String,
        Basic,
        "User the engines log in with to the catalog's system (JDBC catalogs); else the catalog's jdbc-user.",
    ),
    opt("password", String, Basic, "Password of that user, as SECRET name (Gravitino does not give it out).")
        .secret(),
    opt("connect_timeout", Duration, Tuning, "How long to wait for the server.").default("5s"),
];

pub const GRAVITINO: SourceType = SourceType {
    name: "gravitino",
    description: "Apache Gravitino catalog: its schemas as databases, compiled as the system behind it",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc],
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
    introspects: true,
    sync: SyncRole::NONE,
    connector: &Gravitino,
};

/// The gravitino connector.
#[derive(Debug)]
pub struct Gravitino;

#[async_trait::async_trait]
impl Connector for Gravitino {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    fn flink_cdc_source(&self, cx: &CdcSource<'_>, secrets: &mut Secrets) -> Result<CdcBlock> {
        render::flink_cdc_source(cx, secrets)
    }

    fn flink_cdc_sink(
        &self,
        plan: &PipelinePlan,
        table: &TableUse,
        secrets: &mut Secrets,
    ) -> Result<CdcBlock> {
        render::flink_cdc_sink(plan, table, secrets)
    }

    async fn test(&self, endpoint: &Endpoint<'_>) -> Vec<Check> {
        let started = std::time::Instant::now();
        let result = match live::Client::new(endpoint) {
            Ok(client) => client.catalog().await.map(|c| {
                format!(
                    "catalog {} of metalake {}: provider {}",
                    endpoint.text("catalog").unwrap_or_default(),
                    endpoint.text("metalake").unwrap_or_default(),
                    c.provider
                )
            }),
            Err(e) => Err(e),
        };
        vec![Check::timed("catalog", started, result)]
    }

    async fn databases(
        &self,
        endpoint: &Endpoint<'_>,
    ) -> Option<std::result::Result<Vec<std::string::String>, std::string::String>> {
        Some(match live::Client::new(endpoint) {
            Ok(client) => client.schemas().await,
            Err(e) => Err(e),
        })
    }

    async fn tables(
        &self,
        endpoint: &Endpoint<'_>,
        database: &str,
        table: Option<&str>,
    ) -> Option<std::result::Result<Vec<Table>, std::string::String>> {
        Some(match live::Client::new(endpoint) {
            Ok(client) => client.tables(database, table).await,
            Err(e) => Err(e),
        })
    }
}
