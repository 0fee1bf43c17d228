//! `starrocks`: StarRocks. Written through stream load (transactions for exactly-once);
//! its databases, tables and columns read, and its tables queried live, through the
//! frontend's MySQL protocol (`jdbc_url`, [`crate::connectors::frontend`]).

mod render;
pub mod sync;
pub mod types;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::access::LoadedSource;
use crate::connectors::frontend::{self, Frontend};
use crate::connectors::live::{Check, Endpoint, Table, host_ports};
use crate::connectors::logical::{SyncRole, SyncSink, TableStyle};
use crate::connectors::render::CdcBlock;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::engine::sources::SourceCatalog;
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

const SEMANTICS: &[&str] = &["at-least-once", "exactly-once"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("load_url", String, Basic, "Frontend HTTP addresses, host:8030[;host:8030…].")
        .required()
        .maps_to("load-url", "nodeUrls"),
    opt("jdbc_url", String, Basic, "Frontend MySQL-protocol URL, jdbc:mysql://host:9030.")
        .required()
        .maps_to("jdbc-url", "base-url"),
    opt("username", String, Basic, "User to connect as.").required().maps_to("username", "username"),
    opt("password", String, Basic, "Password of the user, as SECRET name.")
        .secret()
        .maps_to("password", "password"),
    opt("connect_timeout", Duration, Tuning, "How long to wait for a frontend.")
        .default("5s")
        .maps_to("sink.connect.timeout-ms", ""),
    opt("sink_flush_interval", Duration, Tuning, "Longest time rows wait before a load.")
        .default("300s")
        .maps_to("sink.buffer-flush.interval-ms", ""),
    opt("sink_max_retries", Int, Tuning, "Retries of a failed load.")
        .default("3")
        .maps_to("sink.max-retries", "max_retries"),
    opt("sink_semantic", Enum(SEMANTICS), Advanced, "Delivery guarantee of writes.")
        .default("at-least-once")
        .maps_to("sink.semantic", ""),
    opt("sink_label_prefix", String, Advanced, "Prefix of stream-load labels; unique per writer.")
        .maps_to("sink.label-prefix", "labelPrefix"),
];

pub const STARROCKS: SourceType = SourceType {
    name: "starrocks",
    description: "StarRocks: stream-load writes, reads through the frontend",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc],
    flink_connector: "starrocks",
    seatunnel_plugin: "StarRocks",
    options: OPTIONS,
    passthrough: &["sink.properties."],
    has_databases: true,
    table_options: &[],
    table_passthrough: &[],
    creates_tables: true,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: true,
    sync: SyncRole {
        read: None,
        write: Some(SyncSink {
            column_type: Some(sync::to_starrocks),
            tables: Some(TableStyle::Olap { key_model: "PRIMARY KEY", buckets_auto: false }),
            flink_cdc: true,
        }),
    },
    connector: &StarRocks,
};

/// The starrocks connector.
#[derive(Debug)]
pub struct StarRocks;

#[async_trait::async_trait]
impl Connector for StarRocks {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    async fn test(&self, endpoint: &Endpoint<'_>) -> Vec<Check> {
        let http = host_ports(endpoint.text("load_url").unwrap_or_default(), 8030);
        frontend::test(endpoint, &fe(endpoint), http).await
    }

    async fn databases(
        &self,
        endpoint: &Endpoint<'_>,
    ) -> Option<std::result::Result<Vec<std::string::String>, std::string::String>> {
        Some(frontend::databases(endpoint, &fe(endpoint)).await)
    }

    async fn tables(
        &self,
        endpoint: &Endpoint<'_>,
        database: &str,
        table: Option<&str>,
    ) -> Option<std::result::Result<Vec<Table>, std::string::String>> {
        Some(frontend::tables(endpoint, &fe(endpoint), database, table, types::flink_type).await)
    }

    fn live_catalog(&self, source: &LoadedSource) -> Option<SourceCatalog> {
        Some(frontend::live_catalog(source, &fe(&source.endpoint())))
    }

    fn create_table(&self, table: &TableUse, columns: &[std::string::String]) -> Option<std::string::String> {
        Some(crate::sync::ddl::create_written(&STARROCKS, table, columns))
    }

    fn flink_cdc_sink(
        &self,
        _plan: &PipelinePlan,
        table: &TableUse,
        secrets: &mut Secrets,
    ) -> Result<CdcBlock> {
        use crate::connectors::render::{Options, cdc_text, yaml_str};
        let o = Options::new(table);
        let mut e: CdcBlock = Vec::new();
        e.push(("type".into(), yaml_str("starrocks")));
        cdc_text(&mut e, "jdbc-url", o.get("jdbc_url", secrets));
        cdc_text(&mut e, "load-url", o.get("load_url", secrets));
        cdc_text(&mut e, "username", o.get("username", secrets));
        cdc_text(&mut e, "password", Some(o.get("password", secrets).unwrap_or_default()));
        Ok(e)
    }

    async fn run_ddl(
        &self,
        endpoint: &Endpoint<'_>,
        statements: &[(std::string::String, std::string::String)],
    ) -> Option<Result<()>> {
        let connected = frontend::connect(endpoint, &fe(endpoint)).await;
        Some(crate::connectors::live::run_ddl(endpoint, connected, statements).await)
    }
}

/// The frontend's MySQL protocol: the host and port of `jdbc_url`.
fn fe(endpoint: &Endpoint<'_>) -> Frontend {
    Frontend::from_list(endpoint.text("jdbc_url").unwrap_or_default(), None)
}
