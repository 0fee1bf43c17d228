//! `doris`: Apache Doris. Written through stream load (two-phase commit for exactly-once);
//! its databases, tables and columns read, and its tables queried live, through the
//! frontend's MySQL protocol (`query_port`, [`crate::connectors::frontend`]).

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

pub const OPTIONS: &[OptionSpec] = &[
    opt("fenodes", String, Basic, "Frontend HTTP addresses, host:8030[,host:8030…].")
        .required()
        .maps_to("fenodes", "fenodes"),
    opt("query_port", Int, Basic, "Frontend MySQL-protocol port, for reads and metadata.")
        .default("9030")
        .maps_to("", "query-port"),
    opt("username", String, Basic, "User to connect as.").required().maps_to("username", "username"),
    opt("password", String, Basic, "Password of the user, as SECRET name.")
        .secret()
        .maps_to("password", "password"),
    opt("connect_timeout", Duration, Tuning, "How long to wait for a frontend.")
        .default("5s")
        .maps_to("doris.request.connect.timeout", ""),
    opt("request_retries", Int, Tuning, "Retries of a failed request.")
        .default("3")
        .maps_to("doris.request.retries", ""),
    opt("sink_buffer_size", Int, Tuning, "Bytes buffered per stream load.")
        .default("1048576")
        .maps_to("sink.buffer-size", "sink.buffer-size"),
    opt("sink_max_retries", Int, Tuning, "Retries of a failed stream load.")
        .default("3")
        .maps_to("sink.max-retries", "sink.max-retries"),
    opt("sink_label_prefix", String, Advanced, "Prefix of stream-load labels; unique per writer.")
        .maps_to("sink.label-prefix", "sink.label-prefix"),
    opt("sink_enable_2pc", Bool, Advanced, "Two-phase commit (exactly-once).")
        .default("true")
        .maps_to("sink.enable-2pc", "sink.enable-2pc"),
];

pub const DORIS: SourceType = SourceType {
    name: "doris",
    description: "Apache Doris: stream-load writes (exactly-once), reads through the frontend",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc],
    flink_connector: "doris",
    seatunnel_plugin: "Doris",
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
            column_type: Some(sync::to_doris),
            tables: Some(TableStyle::Olap { key_model: "UNIQUE KEY", buckets_auto: true }),
            flink_cdc: true,
        }),
    },
    connector: &Doris,
};

/// The doris connector.
#[derive(Debug)]
pub struct Doris;

#[async_trait::async_trait]
impl Connector for Doris {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    async fn test(&self, endpoint: &Endpoint<'_>) -> Vec<Check> {
        let http = host_ports(endpoint.text("fenodes").unwrap_or_default(), 8030);
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
        Some(crate::sync::ddl::create_written(&DORIS, table, columns))
    }

    fn flink_cdc_sink(
        &self,
        plan: &PipelinePlan,
        table: &TableUse,
        secrets: &mut Secrets,
    ) -> Result<CdcBlock> {
        use crate::connectors::render::{Options, cdc_text, plain_name, yaml_str};
        let o = Options::new(table);
        let mut e: CdcBlock = Vec::new();
        e.push(("type".into(), yaml_str("doris")));
        cdc_text(&mut e, "fenodes", o.get("fenodes", secrets));
        cdc_text(&mut e, "username", o.get("username", secrets));
        cdc_text(&mut e, "password", Some(o.get("password", secrets).unwrap_or_default()));
        cdc_text(
            &mut e,
            "sink.label-prefix",
            Some(
                o.given("sink_label_prefix", secrets)
                    .unwrap_or_else(|| format!("sluice_{}", plain_name(&plan.name))),
            ),
        );
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

/// The frontend's MySQL protocol: the first `fenodes` host, port `query_port`.
fn fe(endpoint: &Endpoint<'_>) -> Frontend {
    let port = endpoint.text("query_port").and_then(|p| p.parse().ok());
    Frontend::from_list(endpoint.text("fenodes").unwrap_or_default(), Some(port.unwrap_or(9030)))
}
