//! How a paimon table becomes a connector: Paimon's Flink catalog, SeaTunnel's Paimon
//! plugin (option names from their documentation: Paimon's catalog options and file
//! systems page, SeaTunnel's `connector-v2/{source,sink}/Paimon.md`).

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, plain_name, text, unsupported,
};
use crate::error::Result;

/// Key prefixes of file system settings (a catalog's options, secrets among them).
const FILE_SYSTEM: &[&str] = &["fs.", "s3.", "hadoop."];

/// A Paimon table is a table of the catalog the source is.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let table = cx.table;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = vec![("type".into(), "paimon".into())];
    options.extend(o.mapped_flink(&["warehouse", "metastore", "uri", "commit_timeout"], secrets));
    options.extend(catalog_passthrough(&o, secrets));
    options.extend(o.with_prefix("table-default.", secrets));
    Ok(FlinkConnector::InCatalog { catalog: plain_name(&table.path.source), options })
}

/// The file system settings given (`fs.*`, `s3.*`, `hadoop.*`), with their keys.
pub fn catalog_passthrough(o: &Options<'_>, secrets: &mut Secrets) -> Vec<(String, String)> {
    FILE_SYSTEM.iter().flat_map(|prefix| o.with_prefix(prefix, secrets)).collect()
}

/// The SeaTunnel plugin: SeaTunnel's Paimon connector reads filesystem and Hive
/// metastores, with file system settings as Hadoop configuration (`paimon.hadoop.conf`,
/// S3 through `fs.s3a.*` and an `s3a://` warehouse).
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let table = cx.table;
    let o = Options::new(table);
    let metastore = o.get("metastore", secrets).unwrap_or_else(|| "filesystem".into());
    if !matches!(metastore.as_str(), "filesystem" | "hive") {
        return Err(unsupported(
            "SeaTunnel",
            table,
            &format!(
                "SeaTunnel's Paimon connector reads filesystem and hive metastores, not {metastore}: use engine flink."
            ),
        ));
    }
    let mut e: Entries = Vec::new();
    let warehouse = o.get("warehouse", secrets).unwrap_or_default();
    let warehouse = match warehouse.strip_prefix("s3://") {
        Some(rest) => format!("s3a://{rest}"),
        None => warehouse,
    };
    e.push(("warehouse".into(), Hocon::str(warehouse)));
    e.push(("catalog_type".into(), Hocon::str(&metastore)));
    if metastore == "hive" {
        text(&mut e, "catalog_uri", o.given("uri", secrets));
    }
    e.push(("catalog_name".into(), Hocon::str(plain_name(&table.path.source))));
    e.push(("database".into(), Hocon::str(&table.path.database)));
    e.push(("table".into(), Hocon::str(&table.path.table)));
    let hadoop: Entries =
        catalog_passthrough(&o, secrets).into_iter().map(|(k, v)| (hadoop_key(&k), Hocon::str(v))).collect();
    if !hadoop.is_empty() {
        e.push(("paimon.hadoop.conf".into(), Hocon::Object(hadoop)));
    }
    if cx.role == Role::Write {
        let props: Entries = o
            .with_prefix("table-default.", secrets)
            .into_iter()
            .map(|(k, v)| (k.trim_start_matches("table-default.").to_owned(), Hocon::scalar(&v)))
            .collect();
        if !props.is_empty() {
            e.push(("paimon.table.write-props".into(), Hocon::Object(props)));
        }
        let keys: Vec<&str> = table.columns.iter().filter(|c| c.is_key).map(|c| c.name.as_str()).collect();
        if table.create && !keys.is_empty() {
            e.push(("paimon.table.primary-keys".into(), Hocon::str(keys.join(","))));
        }
    }
    Ok(("Paimon", e))
}

/// A Paimon file system option as a Hadoop configuration key: `s3.x` and `fs.s3.x` are
/// S3A's `fs.s3a.x` (Paimon maps them so itself), `hadoop.x` is `x`, `fs.*` stays.
fn hadoop_key(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("fs.s3.").or_else(|| key.strip_prefix("s3.")) {
        format!("fs.s3a.{rest}")
    } else if let Some(rest) = key.strip_prefix("hadoop.") {
        rest.to_owned()
    } else {
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::hadoop_key;

    #[test]
    fn file_system_settings_become_hadoop_keys() {
        assert_eq!(hadoop_key("s3.access-key"), "fs.s3a.access-key");
        assert_eq!(hadoop_key("fs.s3.endpoint"), "fs.s3a.endpoint");
        assert_eq!(hadoop_key("fs.s3a.path.style.access"), "fs.s3a.path.style.access");
        assert_eq!(hadoop_key("fs.oss.endpoint"), "fs.oss.endpoint");
        assert_eq!(hadoop_key("hadoop.fs.defaultFS"), "fs.defaultFS");
    }
}
