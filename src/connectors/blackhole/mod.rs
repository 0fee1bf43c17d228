//! `blackhole`: accepts rows and drops them, for throughput tests.

use crate::connectors::Connector;
use crate::connectors::Engine;
use crate::connectors::SourceType;
use crate::connectors::logical::SyncRole;
use crate::connectors::render::{FlinkConnector, Secrets, TableCx};
use crate::error::Result;

pub const BLACKHOLE: SourceType = SourceType {
    name: "blackhole",
    description: "Discards rows, for throughput tests",
    can_read: false,
    can_write: true,
    engines: &[Engine::Flink],
    flink_connector: "blackhole",
    seatunnel_plugin: "",
    options: &[],
    passthrough: &[],
    has_databases: false,
    table_options: &[],
    table_passthrough: &[],
    creates_tables: false,
    reads_changes: false,
    databases_are_schemas: false,
    introspects: false,
    sync: SyncRole::NONE,
    connector: &Blackhole,
};

/// The blackhole connector.
#[derive(Debug)]
pub struct Blackhole;

#[async_trait::async_trait]
impl Connector for Blackhole {
    fn flink(&self, _cx: &TableCx<'_>, _secrets: &mut Secrets) -> Result<FlinkConnector> {
        Ok(FlinkConnector::Table(vec![("connector".into(), "blackhole".into())]))
    }
}
