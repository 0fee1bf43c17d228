//! How a doris table becomes a connector: the Doris Flink connector, SeaTunnel's Doris plugin (option names from their documentation).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, label_prefix, mapped_seatunnel, put,
    text,
};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "doris".into());
    put(&mut options, "fenodes", o.get("fenodes", secrets).unwrap_or_default());
    put(&mut options, "table.identifier", format!("{}.{}", table.path.database, table.path.table));
    put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
    put(&mut options, "password", o.get("password", secrets).unwrap_or_default());
    if role == Role::Write {
        put(&mut options, "sink.label-prefix", label_prefix(cx, &o, secrets));
        put(
            &mut options,
            "sink.enable-2pc",
            o.get("sink_enable_2pc", secrets).unwrap_or_else(|| "true".into()),
        );
        options.extend(o.mapped_flink(&["sink_buffer_size", "sink_max_retries"], secrets));
        options.extend(o.with_prefix("sink.properties.", secrets));
    }
    options.extend(o.mapped_flink(&["connect_timeout", "request_retries"], secrets));
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    text(&mut e, "fenodes", o.get("fenodes", secrets));
    if let Some(port) = o.given("query_port", secrets) {
        e.push(("query-port".into(), Hocon::scalar(&port)));
    }
    text(&mut e, "username", o.get("username", secrets));
    text(&mut e, "password", o.get("password", secrets));
    e.push(("database".into(), Hocon::str(&table.path.database)));
    e.push(("table".into(), Hocon::str(&table.path.table)));
    if role == Role::Write {
        e.push(("sink.label-prefix".into(), Hocon::str(label_prefix(cx, &o, secrets))));
        e.push((
            "sink.enable-2pc".into(),
            Hocon::scalar(&o.get("sink_enable_2pc", secrets).unwrap_or_else(|| "true".into())),
        ));
        e.extend(mapped_seatunnel(&o, &["sink_buffer_size", "sink_max_retries"], secrets));
        e.push((
            "doris.config".into(),
            Hocon::Object(vec![
                ("format".into(), Hocon::str("json")),
                ("read_json_by_line".into(), Hocon::str("true")),
            ]),
        ));
    }
    Ok(("Doris", e))
}
