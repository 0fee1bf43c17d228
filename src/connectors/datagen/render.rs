//! How a datagen table becomes a connector: Flink's datagen connector, SeaTunnel's FakeSource.

use crate::compile::hocon::Entries;
use crate::connectors::render::{
    FlinkConnector, Options, SeaTunnelPlugin, Secrets, TableCx, mapped_seatunnel, put, seatunnel_schema,
};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "datagen".into());
    options.extend(o.mapped_flink(&["rows_per_second", "number_of_rows"], secrets));
    options.extend(o.with_prefix("fields.", secrets));
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin (a source only).
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    e.extend(mapped_seatunnel(&o, &["number_of_rows"], secrets));
    e.push(seatunnel_schema(table));
    Ok(("FakeSource", e))
}
