//! `filesystem`: files under a path (local, S3, HDFS) as csv, json, parquet, orc or avro.
//! Tables are declared (`CREATE TABLE fs.t (…) WITH (path = 'orders/')`), relative to `path`.

mod render;
mod writer;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Endpoint, Reach};
use crate::connectors::logical::SyncRole;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;

const FORMATS: &[&str] = &["csv", "json", "parquet", "orc", "avro"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("path", String, Basic, "Base path: /data/…, file://…, s3://bucket/…, hdfs://…")
        .required()
        .maps_to("path", "path"),
    opt("format", Enum(FORMATS), Basic, "File format.").default("csv").maps_to("format", "file_format_type"),
    opt("csv_delimiter", String, Advanced, "Field delimiter of csv files.")
        .default(",")
        .maps_to("csv.field-delimiter", "field_delimiter"),
    opt("sink_rolling_file_size", String, Tuning, "Size at which a written file is rolled, such as 128MB.")
        .default("128MB")
        .maps_to("sink.rolling-policy.file-size", ""),
    opt("sink_rolling_interval", Duration, Tuning, "Longest time a written file stays open.")
        .default("30min")
        .maps_to("sink.rolling-policy.rollover-interval", ""),
];

/// Options of a declared file table.
pub const TABLE_OPTIONS: &[OptionSpec] = &[
    opt("path", String, Basic, "Directory or file of the table, relative to the source's path or absolute.")
        .required()
        .maps_to("path", "path"),
    opt("format", Enum(FORMATS), Basic, "File format (else the source's).")
        .maps_to("format", "file_format_type"),
    opt("partition_keys", String, Advanced, "Columns the directory is partitioned by, comma-separated.")
        .maps_to("", "partition_by"),
];

pub const FILESYSTEM: SourceType = SourceType {
    name: "filesystem",
    description: "Files on local disk, S3 or HDFS: csv, json, parquet, orc, avro",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::Local],
    flink_connector: "filesystem",
    seatunnel_plugin: "LocalFile",
    options: OPTIONS,
    passthrough: &["fs.", "s3."],
    has_databases: false,
    table_options: TABLE_OPTIONS,
    table_passthrough: &["csv.", "json.", "parquet.", "orc.", "avro.", "sink.", "source.", "partition."],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Filesystem,
};

/// The filesystem connector.
#[derive(Debug)]
pub struct Filesystem;

#[async_trait::async_trait]
impl Connector for Filesystem {
    async fn open_sink(
        &self,
        table: &crate::plan::TableUse,
        source: &crate::connectors::access::LoadedSource,
    ) -> Option<Result<Box<dyn crate::connectors::sink::LocalSink>>> {
        Some(writer::open(table, source).await)
    }

    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    fn reach(&self, endpoint: &Endpoint<'_>) -> Reach {
        Reach::Path(endpoint.text("path").unwrap_or_default().to_owned())
    }
}
