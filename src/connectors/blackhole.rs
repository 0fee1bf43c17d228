//! `blackhole`: accepts rows and drops them, for throughput tests.

use super::Engine;
use super::SourceType;

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
};
