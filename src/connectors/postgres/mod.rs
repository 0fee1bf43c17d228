//! `postgres`: PostgreSQL. Snapshots through JDBC, changes through logical decoding with
//! Flink CDC's `postgres-cdc`, writes through JDBC. The middle part of a table name is the
//! schema inside `database` (`pg.public.orders`).

mod binary_copy;
pub mod live;
mod render;
pub mod sync;
mod writer;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::access::{LoadedSource, live_params};
use crate::connectors::live::{Check, Endpoint, Table};
use crate::connectors::logical::{SyncRole, SyncSink, TableStyle};
use crate::connectors::render::Role;
use crate::connectors::render::{CdcBlock, CdcSource};
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::engine::sources::{LiveKind, SourceCatalog};
use crate::error::Result;

const SSL_MODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const STARTUP: &[&str] = &["initial", "latest-offset", "snapshot"];
const PLUGINS: &[&str] = &["pgoutput", "decoderbufs"];

/// The database a postgres source connects to when its options name none.
pub const DEFAULT_DATABASE: &str = "postgres";

pub const OPTIONS: &[OptionSpec] = &[
    opt("host", String, Basic, "Host name or address of the PostgreSQL server.")
        .required()
        .maps_to("hostname", ""),
    opt("port", Int, Basic, "Port of the server.").default("5432").maps_to("port", ""),
    opt("database", String, Basic, "Database whose schemas and tables the source exposes.")
        .required()
        .maps_to("database-name", ""),
    opt("username", String, Basic, "User to connect as.").required().maps_to("username", "username"),
    opt("password", String, Basic, "Password of the user, as SECRET name.")
        .secret()
        .maps_to("password", "password"),
    opt("connect_timeout", Duration, Tuning, "How long to wait for a connection.")
        .default("5s")
        .maps_to("connect.timeout", "connection_check_timeout_sec"),
    opt("fetch_size", Int, Tuning, "Rows fetched per round trip when reading a snapshot.")
        .default("1024")
        .maps_to("scan.fetch-size", "fetch_size"),
    opt("snapshot_chunk_size", Int, Tuning, "Rows per chunk of the incremental snapshot (CDC).")
        .default("8096")
        .maps_to("scan.incremental.snapshot.chunk.size", "snapshot.split.size"),
    opt("sink_batch_size", Int, Tuning, "Rows buffered before a write is flushed.")
        .default("1000")
        .maps_to("sink.buffer-flush.max-rows", "batch_size"),
    opt("sink_flush_interval", Duration, Tuning, "Longest time rows wait before a write is flushed.")
        .default("1s")
        .maps_to("sink.buffer-flush.interval", ""),
    opt("max_retries", Int, Tuning, "Retries of a failed write.")
        .default("3")
        .maps_to("sink.max-retries", "max_retries"),
    opt("ssl_mode", Enum(SSL_MODES), Advanced, "TLS to the server (libpq's sslmode).").default("prefer"),
    opt("slot_name", String, Advanced, "Replication slot the CDC reader uses; unique per reader.")
        .maps_to("slot.name", "slot.name"),
    opt("decoding_plugin", Enum(PLUGINS), Advanced, "Logical decoding plugin of the server.")
        .default("pgoutput")
        .maps_to("decoding.plugin.name", "decoding.plugin.name"),
    opt("startup_mode", Enum(STARTUP), Advanced, "Where a CDC read starts.")
        .default("initial")
        .maps_to("scan.startup.mode", "startup.mode"),
];

pub const POSTGRES: SourceType = SourceType {
    name: "postgres",
    description: "PostgreSQL database: JDBC snapshots, logical-decoding CDC, JDBC writes",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc, Engine::Local],
    flink_connector: "jdbc",
    seatunnel_plugin: "Jdbc",
    options: OPTIONS,
    passthrough: &["jdbc.properties."],
    has_databases: true,
    table_options: &[],
    table_passthrough: &[],
    creates_tables: true,
    reads_changes: true,
    databases_are_schemas: true,
    introspects: true,
    sync: SyncRole {
        read: Some(sync::read),
        write: Some(SyncSink {
            column_type: Some(sync::to_postgres),
            tables: Some(TableStyle::Standard(crate::sql::ast::quote_ident)),
            flink_cdc: false,
        }),
    },
    connector: &Postgres,
};

/// The postgres connector.
#[derive(Debug)]
pub struct Postgres;

#[async_trait::async_trait]
impl Connector for Postgres {
    async fn open_sink(
        &self,
        table: &crate::plan::TableUse,
        source: &crate::connectors::access::LoadedSource,
    ) -> Option<Result<Box<dyn crate::connectors::sink::LocalSink>>> {
        Some(writer::open(table, source).await)
    }

    fn create_table(
        &self,
        table: &crate::plan::TableUse,
        columns: &[std::string::String],
    ) -> Option<std::string::String> {
        Some(writer::create_table(table, columns))
    }

    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        crate::connectors::jdbc::flink(cx, secrets, true)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        if cx.role == Role::Read && cx.streaming() {
            render::seatunnel_cdc(cx, secrets)
        } else {
            crate::connectors::jdbc::seatunnel_jdbc(cx, secrets, true)
        }
    }

    async fn test(&self, endpoint: &Endpoint<'_>) -> Vec<Check> {
        live::test(endpoint).await
    }

    async fn databases(
        &self,
        endpoint: &Endpoint<'_>,
    ) -> Option<std::result::Result<Vec<std::string::String>, std::string::String>> {
        Some(live::databases(endpoint).await)
    }

    async fn tables(
        &self,
        endpoint: &Endpoint<'_>,
        database: &str,
        table: Option<&str>,
    ) -> Option<std::result::Result<Vec<Table>, std::string::String>> {
        Some(live::tables(endpoint, database, table).await)
    }

    fn live_catalog(&self, source: &LoadedSource) -> Option<SourceCatalog> {
        let endpoint = source.endpoint();
        let text = |k: &str| endpoint.text(k).map(str::to_owned);
        let ssl_mode = text("ssl_mode").map(|m| match m.as_str() {
            "allow" => "prefer".to_owned(),
            other => other.to_owned(),
        });
        let params = live_params(vec![
            ("host", text("host")),
            ("port", text("port")),
            ("user", text("username")),
            ("pass", endpoint.secret_text("password")),
            ("db", text("database")),
            ("sslmode", ssl_mode),
        ]);
        Some(SourceCatalog::new(source.record.name.clone(), LiveKind::Postgres, params))
    }

    fn flink_cdc_source(&self, cx: &CdcSource<'_>, secrets: &mut Secrets) -> Result<CdcBlock> {
        use crate::connectors::render::{Options, slot_name, yaml_str};
        let mut e = crate::connectors::jdbc::flink_cdc_source(cx, secrets, "postgres");
        let o = Options::new(cx.table);
        e.push((
            "slot.name".into(),
            yaml_str(o.given("slot_name", secrets).unwrap_or_else(|| slot_name(&cx.plan.name, cx.index))),
        ));
        e.push((
            "decoding.plugin.name".into(),
            yaml_str(o.get("decoding_plugin", secrets).unwrap_or_else(|| "pgoutput".into())),
        ));
        crate::connectors::jdbc::flink_cdc_startup(cx, secrets, &mut e);
        Ok(e)
    }

    async fn run_ddl(
        &self,
        endpoint: &crate::connectors::live::Endpoint<'_>,
        statements: &[(std::string::String, std::string::String)],
    ) -> Option<Result<()>> {
        let connected = live::connect(endpoint).await;
        Some(crate::connectors::live::run_ddl(endpoint, connected, statements).await)
    }
}
