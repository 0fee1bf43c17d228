//! How a starrocks table becomes a connector: the StarRocks Flink connector, SeaTunnel's StarRocks plugin (option names from their documentation).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, label_prefix, mapped_seatunnel, put,
    seatunnel_schema, text,
};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "starrocks".into());
    put(&mut options, "jdbc-url", o.get("jdbc_url", secrets).unwrap_or_default());
    let http = o.get("load_url", secrets).unwrap_or_default();
    put(&mut options, if role == Role::Read { "scan-url" } else { "load-url" }, http);
    put(&mut options, "database-name", table.path.database.clone());
    put(&mut options, "table-name", table.path.table.clone());
    put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
    put(&mut options, "password", o.get("password", secrets).unwrap_or_default());
    if role == Role::Write {
        put(&mut options, "sink.label-prefix", label_prefix(cx, &o, secrets));
        options
            .extend(o.mapped_flink(&["sink_flush_interval", "sink_max_retries", "sink_semantic"], secrets));
        options.extend(o.with_prefix("sink.properties.", secrets));
    }
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    let nodes: Vec<Hocon> = o
        .get("load_url", secrets)
        .unwrap_or_default()
        .split([';', ','])
        .filter(|s| !s.is_empty())
        .map(Hocon::str)
        .collect();
    e.push(("nodeUrls".into(), Hocon::List(nodes)));
    if role == Role::Write {
        text(&mut e, "base-url", o.get("jdbc_url", secrets));
    }
    text(&mut e, "username", o.get("username", secrets));
    text(&mut e, "password", o.get("password", secrets));
    e.push(("database".into(), Hocon::str(&table.path.database)));
    e.push(("table".into(), Hocon::str(&table.path.table)));
    if role == Role::Read {
        e.push(seatunnel_schema(table));
    } else {
        e.push(("labelPrefix".into(), Hocon::str(label_prefix(cx, &o, secrets))));
        e.extend(mapped_seatunnel(&o, &["sink_max_retries"], secrets));
    }
    Ok(("StarRocks", e))
}
