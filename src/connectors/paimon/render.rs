//! How a paimon table becomes a connector: Paimon's Flink catalog, SeaTunnel's Paimon plugin.

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, SeaTunnelPlugin, Secrets, TableCx, mapped_seatunnel, plain_name,
};
use crate::error::Result;

/// A Paimon table is a table of the catalog the source is.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = vec![("type".into(), "paimon".into())];
    options.extend(o.mapped_flink(&["warehouse", "metastore", "uri", "commit_timeout"], secrets));
    for prefix in ["fs.", "s3.", "hadoop.", "table-default."] {
        options.extend(o.with_prefix(prefix, secrets));
    }
    Ok(FlinkConnector::InCatalog { catalog: plain_name(&table.path.source), options })
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    e.extend(mapped_seatunnel(&o, &["warehouse", "metastore", "uri"], secrets));
    e.push(("database".into(), Hocon::str(&table.path.database)));
    e.push(("table".into(), Hocon::str(&table.path.table)));
    Ok(("Paimon", e))
}
