//! How a filesystem table becomes a connector: Flink's filesystem connector, SeaTunnel's LocalFile / S3File / HdfsFile plugins (option names from their documentation).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, file_path, mapped_seatunnel, put,
    seatunnel_schema,
};
use crate::error::Result;

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "filesystem".into());
    put(&mut options, "path", file_path(table));
    put(&mut options, "format", o.get("format", secrets).unwrap_or_else(|| "csv".into()));
    options.extend(
        o.mapped_flink(&["csv_delimiter", "sink_rolling_file_size", "sink_rolling_interval"], secrets),
    );
    for prefix in
        ["csv.", "json.", "parquet.", "orc.", "avro.", "sink.", "source.", "partition.", "fs.", "s3."]
    {
        options.extend(o.with_prefix(prefix, secrets));
    }
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    let path = file_path(table);
    let format = o.get("format", secrets).unwrap_or_else(|| "csv".into());
    e.push(("path".into(), Hocon::str(&path)));
    e.push(("file_format_type".into(), Hocon::str(&format)));
    e.extend(mapped_seatunnel(&o, &["csv_delimiter"], secrets));
    if role == Role::Read && matches!(format.as_str(), "csv" | "json" | "raw") {
        e.push(seatunnel_schema(table));
    }
    let plugin = if path.starts_with("s3://") || path.starts_with("s3a://") {
        "S3File"
    } else if path.starts_with("hdfs://") {
        "HdfsFile"
    } else {
        "LocalFile"
    };
    Ok((plugin, e))
}
