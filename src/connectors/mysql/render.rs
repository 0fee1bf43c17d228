//! How a mysql table becomes a SeaTunnel CDC source (the rest is shared with postgres in
//! `connectors::jdbc`).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::jdbc::jdbc_url;
use crate::connectors::render::{Options, SeaTunnelPlugin, Secrets, TableCx, mapped_seatunnel, text};
use crate::error::Result;

/// SeaTunnel's MySQL-CDC plugin (a streaming read).
pub fn seatunnel_cdc(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    e.push(("base-url".into(), Hocon::str(jdbc_url(table, secrets))));
    text(&mut e, "username", o.get("username", secrets));
    text(&mut e, "password", o.get("password", secrets));
    e.push((
        "table-names".into(),
        Hocon::List(vec![Hocon::str(format!("{}.{}", table.path.database, table.path.table))]),
    ));
    e.extend(mapped_seatunnel(
        &o,
        &["server_id", "server_time_zone", "startup_mode", "snapshot_chunk_size"],
        secrets,
    ));
    Ok(("MySQL-CDC", e))
}
