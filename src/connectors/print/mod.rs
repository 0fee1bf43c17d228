//! `print`: rows written to the task managers' standard output (Flink's print connector,
//! SeaTunnel's Console sink).

mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::logical::SyncRole;
use crate::connectors::render::CdcBlock;
use crate::connectors::render::Role;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx, seatunnel_unsupported};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;
use crate::plan::{PipelinePlan, TableUse};

pub const OPTIONS: &[OptionSpec] = &[
    opt("print_identifier", String, Basic, "Prefix of every printed line.").maps_to("print-identifier", ""),
    opt("standard_error", Bool, Advanced, "Print to standard error instead.")
        .default("false")
        .maps_to("standard-error", ""),
];

/// Options of a declared print table.
pub const TABLE_OPTIONS: &[OptionSpec] =
    &[opt("print_identifier", String, Basic, "Prefix of every printed line (else the source's).")
        .maps_to("print-identifier", "")];

pub const PRINT: SourceType = SourceType {
    name: "print",
    description: "Writes rows to standard output, for debugging",
    can_read: false,
    can_write: true,
    engines: &[Engine::Flink, Engine::SeaTunnel],
    flink_connector: "print",
    seatunnel_plugin: "Console",
    options: OPTIONS,
    passthrough: &[],
    has_databases: false,
    table_options: TABLE_OPTIONS,
    table_passthrough: &[],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Print,
};

/// The print connector.
#[derive(Debug)]
pub struct Print;

#[async_trait::async_trait]
impl Connector for Print {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, _secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        match cx.role {
            Role::Write => Ok(("Console", Vec::new())),
            Role::Read => Err(seatunnel_unsupported(cx.table)),
        }
    }

    fn flink_cdc_sink(
        &self,
        _plan: &PipelinePlan,
        _table: &TableUse,
        _secrets: &mut Secrets,
    ) -> Result<CdcBlock> {
        use crate::connectors::render::yaml_str;
        Ok(vec![("type".into(), yaml_str("values")), ("print.enabled".into(), serde_yaml::Value::Bool(true))])
    }
}
