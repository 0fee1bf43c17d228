//! `datagen`: generated rows, for tests and load (Flink's datagen, SeaTunnel's FakeSource).

mod render;

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::logical::SyncRole;
use crate::connectors::render::Role;
use crate::connectors::render::{FlinkConnector, SeaTunnelPlugin, Secrets, TableCx, seatunnel_unsupported};
use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};
use crate::error::Result;

pub const OPTIONS: &[OptionSpec] = &[
    opt("rows_per_second", Int, Basic, "Rows generated per second.")
        .default("10000")
        .maps_to("rows-per-second", "split.read-interval"),
    opt("number_of_rows", Int, Basic, "Rows in all (unbounded when unset).")
        .maps_to("number-of-rows", "row.num"),
];

/// Options of a declared generated table.
pub const TABLE_OPTIONS: &[OptionSpec] = &[
    opt("rows_per_second", Int, Basic, "Rows generated per second (else the source's).")
        .maps_to("rows-per-second", ""),
    opt("number_of_rows", Int, Basic, "Rows in all (else the source's; unbounded when unset).")
        .maps_to("number-of-rows", "row.num"),
];

pub const DATAGEN: SourceType = SourceType {
    name: "datagen",
    description: "Generated rows for tests and load",
    can_read: true,
    can_write: false,
    engines: &[Engine::Flink, Engine::SeaTunnel],
    flink_connector: "datagen",
    seatunnel_plugin: "FakeSource",
    options: OPTIONS,
    passthrough: &["fields."],
    has_databases: false,
    table_options: TABLE_OPTIONS,
    table_passthrough: &["fields."],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Datagen,
};

/// The datagen connector.
#[derive(Debug)]
pub struct Datagen;

#[async_trait::async_trait]
impl Connector for Datagen {
    fn flink(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
        render::flink(cx, secrets)
    }

    fn seatunnel(&self, cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
        match cx.role {
            Role::Read => render::seatunnel(cx, secrets),
            Role::Write => Err(seatunnel_unsupported(cx.table)),
        }
    }
}
