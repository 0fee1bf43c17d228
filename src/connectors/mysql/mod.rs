//! `mysql`: MySQL and MariaDB. Read as a JDBC snapshot (batch) or through the binlog with
//! Flink CDC's `mysql-cdc` (streaming); written through JDBC.
//!
//! Option names on the right are from the Flink JDBC connector, Flink CDC's MySQL
//! connector and SeaTunnel's Jdbc / MySQL-CDC plugins (their documentation).

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

const SSL_MODES: &[&str] = &["disabled", "preferred", "required", "verify_ca", "verify_identity"];
const STARTUP: &[&str] = &["initial", "earliest-offset", "latest-offset", "snapshot", "timestamp"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("host", String, Basic, "Host name or address of the MySQL/MariaDB server.").required(),
    opt("port", Int, Basic, "Port of the server.").default("3306").maps_to("port", ""),
    opt("username", String, Basic, "User to connect as.").required().maps_to("username", "username"),
    opt("password", String, Basic, "Password of the user, as SECRET name.")
        .secret()
        .maps_to("password", "password"),
    opt("database", String, Basic, "Database to use when a table name has no database part."),
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
    opt(
        "ssl_mode",
        Enum(SSL_MODES),
        Advanced,
        "TLS to the server: disabled, preferred (TLS when offered), required (TLS, unverified), \
         verify_ca or verify_identity (TLS with a verified certificate; never a plain fallback).",
    )
    .default("preferred"),
    opt(
        "ssl_ca",
        String,
        Advanced,
        "PEM file of the CA that signs the server's certificate (the gateway's live reads).",
    ),
    opt(
        "server_id",
        String,
        Advanced,
        "Server id (or range such as 5400-5404) the CDC reader uses; unique per reader.",
    )
    .maps_to("server-id", "server-id"),
    opt("server_time_zone", String, Advanced, "Session time zone of the server, for TIMESTAMP values (CDC).")
        .maps_to("server-time-zone", "server-time-zone"),
    opt("startup_mode", Enum(STARTUP), Advanced, "Where a CDC read starts.")
        .default("initial")
        .maps_to("scan.startup.mode", "startup.mode"),
];

pub const MYSQL: SourceType = SourceType {
    name: "mysql",
    description: "MySQL or MariaDB database: JDBC snapshots, binlog CDC, JDBC writes",
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
    databases_are_schemas: false,
    introspects: true,
    sync: SyncRole {
        read: Some(sync::read),
        write: Some(SyncSink {
            column_type: Some(sync::to_mysql),
            tables: Some(TableStyle::Standard(crate::sql::ast::backtick_ident)),
            flink_cdc: false,
        }),
    },
    connector: &MySql,
};

/// The mysql connector.
#[derive(Debug)]
pub struct MySql;

#[async_trait::async_trait]
impl Connector for MySql {
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
        crate::connectors::jdbc::flink(cx, secrets, false)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        if cx.role == Role::Read && cx.streaming() {
            render::seatunnel_cdc(cx, secrets)
        } else {
            crate::connectors::jdbc::seatunnel_jdbc(cx, secrets, false)
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
        // datafusion-table-providers' modes: "required" verifies the certificate (and host
        // name), "preferred" encrypts without verifying (and Sluice falls back to a plain
        // connection only for ssl_mode = preferred, see engine/sources.rs)
        let ssl_mode = text("ssl_mode").map(|m| match m.as_str() {
            "disabled" => "disabled".to_owned(),
            "preferred" | "required" => "preferred".to_owned(),
            _ => "required".to_owned(),
        });
        let params = live_params(vec![
            ("host", text("host")),
            ("tcp_port", text("port")),
            ("user", text("username")),
            ("pass", endpoint.secret_text("password")),
            ("db", text("database")),
            ("pool_max", Some("4".into())),
            ("sslmode", ssl_mode),
            ("sslrootcert", text("ssl_ca")),
            (
                crate::engine::sources::TLS_REQUIRED,
                (text("ssl_mode").as_deref() == Some("required")).then(std::string::String::new),
            ),
        ]);
        Some(SourceCatalog::new(source.record.name.clone(), LiveKind::MySql, params))
    }

    fn flink_cdc_source(&self, cx: &CdcSource<'_>, secrets: &mut Secrets) -> Result<CdcBlock> {
        let mut e = crate::connectors::jdbc::flink_cdc_source(cx, secrets, "mysql");
        let o = crate::connectors::render::Options::new(cx.table);
        for (key, opt) in [("server-id", "server_id"), ("server-time-zone", "server_time_zone")] {
            if let Some(v) = o.given(opt, secrets) {
                e.push((key.into(), crate::connectors::render::yaml_str(v)));
            }
        }
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
