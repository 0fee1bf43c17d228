//! How a print table becomes a connector: Flink's print connector, SeaTunnel's Console sink.

use crate::connectors::render::{FlinkConnector, Options, Secrets, TableCx, put};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "print".into());
    options.extend(o.mapped_flink(&["print_identifier", "standard_error"], secrets));
    Ok(FlinkConnector::Table(options))
}
