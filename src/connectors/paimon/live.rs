//! A Paimon warehouse on the gateway's file system, read from Paimon's own metadata.
//!
//! Layout (Apache Paimon's filesystem catalog; origin: paimon-core `AbstractCatalog`,
//! `SchemaManager` and the schema spec, docs/concepts/spec/schema.md): a database is a
//! directory `<warehouse>/<db>.db`; a table is a directory in it holding
//! `schema/schema-<n>`, the current schema being the one with the highest `n`. A schema
//! file is JSON: `fields` (`id`, `name`, `type`), `partitionKeys`, `primaryKeys`,
//! `options`. Atomic types are strings in Flink SQL's spelling with ` NOT NULL` when not
//! nullable (`"INT NOT NULL"`, `"DECIMAL(10, 2)"`); ARRAY, MULTISET, MAP and ROW are
//! objects (`element`; `key`, `value`; `fields`).
//!
//! Only a `filesystem` metastore over a local path (`file://…` or an absolute path) is
//! read here; other warehouses (S3, HDFS, Hive or JDBC metastores) are not introspected,
//! and their tables are declared.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::connectors::definition::TableDefinition;
use crate::connectors::live::{Column, Endpoint, Table};

/// The local directory of the source's warehouse, when Sluice can read its metadata.
pub fn local_warehouse(endpoint: &Endpoint<'_>) -> Option<PathBuf> {
    if endpoint.text("metastore").is_some_and(|m| m != "filesystem") {
        return None;
    }
    let warehouse = endpoint.text("warehouse")?;
    let path = match warehouse.strip_prefix("file://") {
        Some(rest) => rest,
        None if warehouse.contains("://") => return None,
        None => warehouse,
    };
    path.starts_with('/').then(|| PathBuf::from(path))
}

/// The databases of the warehouse: its `<name>.db` directories.
pub async fn databases(warehouse: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = directories(warehouse)
        .await?
        .into_iter()
        .filter_map(|(name, _)| name.strip_suffix(".db").map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    Ok(names)
}

/// The tables of `database` (or one of them) with their columns and keys, from each
/// table's current schema file.
pub async fn tables(warehouse: &Path, database: &str, table: Option<&str>) -> Result<Vec<Table>, String> {
    let dir = warehouse.join(format!("{database}.db"));
    if !tokio::fs::try_exists(&dir).await.unwrap_or(false) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut found = directories(&dir).await?;
    found.sort();
    for (name, path) in found {
        if table.is_some_and(|t| t != name) {
            continue;
        }
        if let Some(schema) = current_schema(&path).await? {
            out.push(read_table(database, &name, &schema).map_err(|e| format!("{}: {e}", schema.display()))?);
        }
    }
    Ok(out)
}

/// `(name, path)` of the directories in `dir`.
async fn directories(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut entries = tokio::fs::read_dir(dir).await.map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(|e| format!("{}: {e}", dir.display()))? {
        let is_dir = entry.file_type().await.map(|t| t.is_dir()).unwrap_or(false);
        if is_dir && let Some(name) = entry.file_name().to_str() {
            out.push((name.to_owned(), entry.path()));
        }
    }
    Ok(out)
}

/// The schema file with the highest number under `table/schema/`, if it is a table.
async fn current_schema(table: &Path) -> Result<Option<PathBuf>, String> {
    let dir = table.join("schema");
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else { return Ok(None) };
    let mut latest: Option<(u64, PathBuf)> = None;
    while let Some(entry) = entries.next_entry().await.map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry.file_name();
        let Some(n) = name.to_str().and_then(|n| n.strip_prefix("schema-")).and_then(|n| n.parse().ok())
        else {
            continue;
        };
        if latest.as_ref().is_none_or(|(best, _)| n > *best) {
            latest = Some((n, entry.path()));
        }
    }
    Ok(latest.map(|(_, p)| p))
}

/// A schema file (the parts Sluice reads).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schema {
    fields: Vec<Field>,
    #[serde(default)]
    partition_keys: Vec<String>,
    #[serde(default)]
    primary_keys: Vec<String>,
}

#[derive(Deserialize)]
struct Field {
    name: String,
    #[serde(rename = "type")]
    data_type: Value,
}

fn read_table(database: &str, name: &str, file: &Path) -> Result<Table, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    parse_table(database, name, &text)
}

/// A table from the text of its schema file.
pub fn parse_table(database: &str, name: &str, schema: &str) -> Result<Table, String> {
    let schema: Schema = serde_json::from_str(schema).map_err(|e| format!("not a Paimon schema: {e}"))?;
    let mut columns = Vec::with_capacity(schema.fields.len());
    for f in &schema.fields {
        let (data_type, nullable) = flink_type(&f.data_type)?;
        columns.push(Column {
            name: f.name.clone(),
            source_type: type_text(&f.data_type),
            data_type,
            nullable,
            is_key: schema.primary_keys.contains(&f.name),
        });
    }
    Ok(Table {
        database: database.to_owned(),
        name: name.to_owned(),
        table_type: "BASE TABLE".into(),
        columns,
        definition: TableDefinition { partition_keys: schema.partition_keys, ..TableDefinition::default() },
    })
}

/// The type as the schema file spells it (objects as compact JSON).
fn type_text(t: &Value) -> String {
    match t {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A Paimon type as Flink SQL's (Paimon's type system is Flink's), and whether it is
/// nullable.
fn flink_type(t: &Value) -> Result<(String, bool), String> {
    match t {
        Value::String(s) => {
            let (base, not_null) = match s.trim().strip_suffix("NOT NULL") {
                Some(base) => (base.trim_end(), true),
                None => (s.trim(), false),
            };
            Ok((base.to_owned(), !not_null))
        }
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).ok_or("a nested type without \"type\"")?;
            let (kind, not_null) = match kind.trim().strip_suffix("NOT NULL") {
                Some(k) => (k.trim_end(), true),
                None => (kind.trim(), false),
            };
            let nullable = o.get("nullable").and_then(Value::as_bool).unwrap_or(!not_null);
            let part = |key: &str| -> Result<String, String> {
                let inner = o.get(key).ok_or_else(|| format!("{kind} without \"{key}\""))?;
                let (t, nullable) = flink_type(inner)?;
                Ok(if nullable { t } else { format!("{t} NOT NULL") })
            };
            let rendered = match kind {
                "ARRAY" | "MULTISET" => format!("{kind}<{}>", part("element")?),
                "MAP" => format!("MAP<{}, {}>", part("key")?, part("value")?),
                "ROW" => {
                    let fields = o.get("fields").and_then(Value::as_array).ok_or("ROW without \"fields\"")?;
                    let mut out = Vec::with_capacity(fields.len());
                    for f in fields {
                        let name =
                            f.get("name").and_then(Value::as_str).ok_or("a ROW field without a name")?;
                        let (t, nullable) = flink_type(f.get("type").ok_or("a ROW field without a type")?)?;
                        let not_null = if nullable { "" } else { " NOT NULL" };
                        out.push(format!("`{}` {t}{not_null}", name.replace('`', "``")));
                    }
                    format!("ROW<{}>", out.join(", "))
                }
                other => return Err(format!("unknown Paimon type {other}")),
            };
            Ok((rendered, nullable))
        }
        other => Err(format!("unknown Paimon type {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Paimon's schema spec (docs/concepts/spec/schema.md), and nested
    /// types as pypaimon 2.1 writes them (with its extra "nullable" key).
    #[test]
    fn schema_files_are_read_into_columns_and_keys() {
        let spec = r#"{"version":3,"id":0,"fields":[{"id":0,"name":"order_id","type":"BIGINT NOT NULL"},
            {"id":1,"name":"order_name","type":"STRING"},{"id":2,"name":"price","type":"DECIMAL(10, 2)"}],
            "highestFieldId":2,"partitionKeys":[],"primaryKeys":["order_id"],"options":{"bucket":"5"},"comment":"",
            "timeMillis":1720496663041}"#;
        let t = parse_table("shop", "orders", spec).expect("spec example");
        let cols: Vec<(&str, &str, bool, bool)> =
            t.columns.iter().map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable, c.is_key)).collect();
        assert_eq!(
            cols,
            [
                ("order_id", "BIGINT", false, true),
                ("order_name", "STRING", true, false),
                ("price", "DECIMAL(10, 2)", true, false)
            ]
        );
        let nested = r#"{"fields":[
            {"id":4,"name":"arr","type":{"type":"ARRAY","element":"INT","nullable":true}},
            {"id":5,"name":"m","type":{"type":"MAP NOT NULL","key":"STRING NOT NULL","value":"DOUBLE"}},
            {"id":6,"name":"r","type":{"type":"ROW","fields":[{"id":7,"name":"a","type":"INT"},{"id":8,"name":"b","type":"STRING NOT NULL"}]}},
            {"id":10,"name":"dt","type":"STRING NOT NULL"}],
            "partitionKeys":["dt"],"primaryKeys":["dt"]}"#;
        let t = parse_table("db", "t", nested).expect("nested");
        let types: Vec<(&str, bool)> = t.columns.iter().map(|c| (c.data_type.as_str(), c.nullable)).collect();
        assert_eq!(
            types,
            [
                ("ARRAY<INT>", true),
                ("MAP<STRING NOT NULL, DOUBLE>", false),
                ("ROW<`a` INT, `b` STRING NOT NULL>", true),
                ("STRING", false)
            ]
        );
        assert_eq!(t.definition.partition_keys, ["dt"]);
        assert!(parse_table("db", "t", "{}").is_err());
    }
}
