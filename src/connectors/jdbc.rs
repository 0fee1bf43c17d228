//! What mysql and postgres sources share: their tables are read as a JDBC snapshot or
//! through Flink CDC (streaming), and written through JDBC — Flink's JDBC connector, Flink
//! CDC's mysql-cdc / postgres-cdc and SeaTunnel's Jdbc plugin (option names from their
//! documentation). `pg` chooses PostgreSQL's spelling (schema-qualified names).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    CdcBlock, CdcSource, FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, mapped_seatunnel,
    put, slot_name, text, yaml_str,
};
use crate::error::Result;
use crate::plan::TableUse;

/// The Flink SQL table: Flink CDC's `mysql-cdc` / `postgres-cdc` for a streaming read,
/// else Flink's JDBC connector.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets, pg: bool) -> Result<FlinkConnector> {
    if cx.role == Role::Read && cx.streaming() {
        flink_cdc(cx, secrets, pg)
    } else {
        flink_jdbc(cx, secrets, pg)
    }
}

/// A CDC read (Flink CDC's connectors).
pub fn flink_cdc(cx: &TableCx<'_>, secrets: &mut Secrets, pg: bool) -> Result<FlinkConnector> {
    let plan = cx.plan;
    let table = cx.table;
    let index = cx.index;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", if pg { "postgres-cdc" } else { "mysql-cdc" }.into());
    put(&mut options, "hostname", o.get("host", secrets).unwrap_or_default());
    put(&mut options, "port", o.get("port", secrets).unwrap_or_default());
    put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
    if let Some(p) = o.get("password", secrets) {
        put(&mut options, "password", p);
    }
    if pg {
        put(
            &mut options,
            "database-name",
            o.get("database", secrets)
                .unwrap_or_else(|| crate::connectors::postgres::DEFAULT_DATABASE.into()),
        );
        put(&mut options, "schema-name", table.path.database.clone());
        put(&mut options, "table-name", table.path.table.clone());
        put(
            &mut options,
            "slot.name",
            o.given("slot_name", secrets).unwrap_or_else(|| slot_name(&plan.name, index)),
        );
        put(
            &mut options,
            "decoding.plugin.name",
            o.get("decoding_plugin", secrets).unwrap_or_else(|| "pgoutput".into()),
        );
    } else {
        put(&mut options, "database-name", table.path.database.clone());
        put(&mut options, "table-name", table.path.table.clone());
        if let Some(mode) = mysql_ssl_mode(&o, secrets) {
            put(&mut options, "jdbc.properties.sslMode", mode);
        }
    }
    options.extend(o.mapped_flink(
        &["server_id", "server_time_zone", "startup_mode", "snapshot_chunk_size", "connect_timeout"],
        secrets,
    ));
    Ok(FlinkConnector::Table(options))
}

/// A snapshot read or a write through Flink's JDBC connector.
pub fn flink_jdbc(cx: &TableCx<'_>, secrets: &mut Secrets, pg: bool) -> Result<FlinkConnector> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "jdbc".into());
    let mut url = jdbc_url(table, secrets);
    if pg {
        // Flink binds a STRING as varchar; PostgreSQL then refuses it for a json, jsonb,
        // uuid or enum column unless the driver leaves its type to the server (reads are
        // unaffected, and a table read and written keeps one definition)
        url.push_str("?stringtype=unspecified");
    }
    put(&mut options, "url", url);
    let table_name =
        if pg { format!("{}.{}", table.path.database, table.path.table) } else { table.path.table.clone() };
    put(&mut options, "table-name", table_name);
    put(&mut options, "username", o.get("username", secrets).unwrap_or_default());
    // Flink's JDBC connector takes both or neither: a source without a password (trust
    // or certificate authentication) gives an empty one
    put(&mut options, "password", o.get("password", secrets).unwrap_or_default());
    let tuning: &[&str] = match role {
        Role::Read => &["fetch_size"],
        Role::Write => &["sink_batch_size", "sink_flush_interval", "max_retries"],
    };
    options.extend(o.mapped_flink(tuning, secrets));
    Ok(FlinkConnector::Table(options))
}

/// SeaTunnel's Jdbc plugin, reading a snapshot or writing.
pub fn seatunnel_jdbc(cx: &TableCx<'_>, secrets: &mut Secrets, pg: bool) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    e.push(("url".into(), Hocon::str(jdbc_url(table, secrets))));
    e.push(("driver".into(), Hocon::str(jdbc_driver(table))));
    text(&mut e, "user", o.get("username", secrets));
    text(&mut e, "password", o.get("password", secrets));
    match role {
        Role::Read => {
            let path = if pg {
                let database = o
                    .get("database", secrets)
                    .unwrap_or_else(|| crate::connectors::postgres::DEFAULT_DATABASE.into());
                format!("{database}.{}.{}", table.path.database, table.path.table)
            } else {
                format!("{}.{}", table.path.database, table.path.table)
            };
            e.push(("table_path".into(), Hocon::str(path)));
            e.extend(mapped_seatunnel(&o, &["fetch_size"], secrets));
        }
        Role::Write => {
            let database = if pg {
                o.get("database", secrets)
                    .unwrap_or_else(|| crate::connectors::postgres::DEFAULT_DATABASE.into())
            } else {
                table.path.database.clone()
            };
            e.push(("database".into(), Hocon::str(database)));
            let name = if pg {
                format!("{}.{}", table.path.database, table.path.table)
            } else {
                table.path.table.clone()
            };
            e.push(("table".into(), Hocon::str(name)));
            e.push(("generate_sink_sql".into(), Hocon::Bool(true)));
            let keys: Vec<Hocon> =
                table.columns.iter().filter(|c| c.is_key).map(|c| Hocon::str(&c.name)).collect();
            if !keys.is_empty() {
                e.push(("primary_keys".into(), Hocon::List(keys)));
            }
            e.extend(mapped_seatunnel(&o, &["sink_batch_size", "max_retries"], secrets));
        }
    }
    Ok(("Jdbc", e))
}

/// The JDBC URL of a table's database (PostgreSQL: the source's database; MySQL: the
/// table's).
pub fn jdbc_url(table: &TableUse, secrets: &mut Secrets) -> String {
    let options = Options::new(table);
    let host = options.get("host", secrets).unwrap_or_else(|| "localhost".into());
    let port = options.get("port", secrets).unwrap_or_default();
    if table.source_type.databases_are_schemas {
        let database = options
            .get("database", secrets)
            .unwrap_or_else(|| crate::connectors::postgres::DEFAULT_DATABASE.into());
        format!("jdbc:postgresql://{host}:{port}/{database}")
    } else {
        let url = format!("jdbc:mysql://{host}:{port}/{}", table.path.database);
        match mysql_ssl_mode(&options, secrets) {
            Some(mode) => format!("{url}?sslMode={mode}"),
            None => url,
        }
    }
}

/// A MySQL source's `ssl_mode` as MySQL Connector/J's `sslMode` spells it (`VERIFY_CA` …),
/// when the source gives one: the engines connect as strictly as the gateway does.
pub fn mysql_ssl_mode(options: &Options<'_>, secrets: &mut Secrets) -> Option<String> {
    options.given("ssl_mode", secrets).map(|mode| mode.to_ascii_uppercase())
}

/// The JDBC driver class of a table's source.
pub fn jdbc_driver(table: &TableUse) -> &'static str {
    if table.source_type.databases_are_schemas { "org.postgresql.Driver" } else { "com.mysql.cj.jdbc.Driver" }
}

/// The part of a Flink CDC `source` block mysql and postgres share: `type`, where and who.
pub fn flink_cdc_source(cx: &CdcSource<'_>, secrets: &mut Secrets, kind: &str) -> CdcBlock {
    let o = Options::new(cx.table);
    let port = o.get("port", secrets).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0);
    let mut e: CdcBlock = vec![
        ("type".into(), yaml_str(kind)),
        ("hostname".into(), yaml_str(o.get("host", secrets).unwrap_or_default())),
        ("port".into(), serde_yaml::Value::Number(port.into())),
        ("username".into(), yaml_str(o.get("username", secrets).unwrap_or_default())),
    ];
    if let Some(p) = o.get("password", secrets) {
        e.push(("password".into(), yaml_str(p)));
    }
    if kind == "mysql"
        && let Some(mode) = mysql_ssl_mode(&o, secrets)
    {
        e.push(("jdbc.properties.sslMode".into(), yaml_str(mode)));
    }
    e.push(("tables".into(), yaml_str(cx.tables.clone())));
    e
}

/// `scan.startup.mode`, last in both types' blocks.
pub fn flink_cdc_startup(cx: &CdcSource<'_>, secrets: &mut Secrets, e: &mut CdcBlock) {
    if let Some(v) = Options::new(cx.table).given("startup_mode", secrets) {
        e.push(("scan.startup.mode".into(), yaml_str(v)));
    }
}
