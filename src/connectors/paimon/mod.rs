//! `paimon`: an Apache Paimon catalog (a warehouse on S3, HDFS or local disk). File
//! system settings (`fs.*`, `s3.*`) pass through, and may be secrets. A warehouse on the
//! gateway's own file system is introspected from Paimon's metadata ([`live`]); the
//! tables of others are declared.

mod live;
mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::live::{Endpoint, Reach, Table};
use crate::connectors::logical::{SyncRole, SyncSink};
use crate::connectors::render::CdcBlock;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

const METASTORES: &[&str] = &["filesystem", "hive", "jdbc", "rest"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("warehouse", String, Basic, "Root path of the warehouse: s3://…, hdfs://…, file://…")
        .required()
        .maps_to("warehouse", "warehouse"),
    opt("metastore", Enum(METASTORES), Basic, "Where table metadata is kept.")
        .default("filesystem")
        .maps_to("metastore", "catalog_type"),
    opt("uri", String, Basic, "Metastore URI (hive thrift, JDBC URL or REST endpoint).")
        .maps_to("uri", "catalog_uri"),
    opt("commit_timeout", Duration, Tuning, "How long a commit may wait for its lock.")
        .default("10min")
        .maps_to("commit.timeout", ""),
];

pub const PAIMON: SourceType = SourceType {
    name: "paimon",
    description: "Apache Paimon lake tables through a catalog",
    can_read: true,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel, Engine::FlinkCdc],
    flink_connector: "paimon",
    seatunnel_plugin: "Paimon",
    options: OPTIONS,
    passthrough: &["fs.", "s3.", "hadoop.", "table-default."],
    has_databases: true,
    table_options: &[],
    table_passthrough: &[],
    creates_tables: true,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: true,
    sync: SyncRole { read: None, write: Some(SyncSink { column_type: None, tables: None, flink_cdc: true }) },
    connector: &Paimon,
};

/// The paimon connector.
#[derive(Debug)]
pub struct Paimon;

#[async_trait::async_trait]
impl Connector for Paimon {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        render::seatunnel(cx, secrets)
    }

    fn reach(&self, endpoint: &Endpoint<'_>) -> Reach {
        Reach::Path(endpoint.text("warehouse").unwrap_or_default().to_owned())
    }

    async fn databases(
        &self,
        endpoint: &Endpoint<'_>,
    ) -> Option<std::result::Result<Vec<std::string::String>, std::string::String>> {
        let warehouse = live::local_warehouse(endpoint)?;
        Some(live::databases(&warehouse).await)
    }

    async fn tables(
        &self,
        endpoint: &Endpoint<'_>,
        database: &str,
        table: Option<&str>,
    ) -> Option<std::result::Result<Vec<Table>, std::string::String>> {
        let warehouse = live::local_warehouse(endpoint)?;
        Some(live::tables(&warehouse, database, table).await)
    }

    fn no_live_reads(&self) -> &'static str {
        "No Paimon reader fits the gateway's build yet (paimon-rust is built on Arrow 58 and DataFusion 54, \
         Sluice on Arrow 59 and DataFusion 55): Paimon tables are read by the engines only."
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
        e.push(("type".into(), yaml_str("paimon")));
        cdc_text(&mut e, "catalog.properties.metastore", o.get("metastore", secrets));
        cdc_text(&mut e, "catalog.properties.warehouse", o.get("warehouse", secrets));
        cdc_text(&mut e, "catalog.properties.uri", o.given("uri", secrets));
        // file system settings are catalog options; the others table options
        let mut extra = render::catalog_passthrough(&o, secrets);
        extra.extend(
            o.with_prefix("table-default.", secrets)
                .into_iter()
                .map(|(k, v)| (format!("table.properties.{}", k.trim_start_matches("table-default.")), v)),
        );
        for (k, v) in extra {
            let key = if k.starts_with("table.properties.") { k } else { format!("catalog.properties.{k}") };
            e.push((key.into(), yaml_str(v)));
        }
        Ok(e)
    }
}
