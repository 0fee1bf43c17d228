//! How a postgres table becomes a SeaTunnel CDC source (the rest is shared with mysql in
//! `connectors::jdbc`).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::jdbc::jdbc_url;
use crate::connectors::render::{
    Options, SeaTunnelPlugin, Secrets, TableCx, mapped_seatunnel, slot_name, text,
};
use crate::error::Result;

/// SeaTunnel's Postgres-CDC plugin (a streaming read).
pub fn seatunnel_cdc(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let plan = cx.plan;
    let table = cx.table;
    let index = cx.index;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    let database = o.get("database", secrets).unwrap_or_else(|| "postgres".into());
    e.push(("base-url".into(), Hocon::str(jdbc_url(table, secrets))));
    text(&mut e, "username", o.get("username", secrets));
    text(&mut e, "password", o.get("password", secrets));
    e.push(("database-names".into(), Hocon::List(vec![Hocon::str(&database)])));
    e.push(("schema-names".into(), Hocon::List(vec![Hocon::str(&table.path.database)])));
    e.push((
        "table-names".into(),
        Hocon::List(vec![Hocon::str(format!("{database}.{}.{}", table.path.database, table.path.table))]),
    ));
    e.push((
        "slot.name".into(),
        Hocon::str(o.given("slot_name", secrets).unwrap_or_else(|| slot_name(&plan.name, index))),
    ));
    e.push((
        "decoding.plugin.name".into(),
        Hocon::str(o.get("decoding_plugin", secrets).unwrap_or_else(|| "pgoutput".into())),
    ));
    e.extend(mapped_seatunnel(&o, &["startup_mode", "snapshot_chunk_size"], secrets));
    Ok(("Postgres-CDC", e))
}
