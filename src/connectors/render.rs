//! What the connectors render with: how one table of a source becomes an engine's
//! connector — the options of a Flink SQL table (or catalog), a SeaTunnel plugin block, a
//! Flink CDC source or sink. Each source type's folder renders its own tables
//! ([`super::Connector`]); the compilers in `compile/` assemble them.
//!
//! Option names are from the upstream documentation of each connector: Flink's JDBC,
//! Kafka, filesystem, datagen, print and blackhole connectors; Flink CDC's mysql-cdc and
//! postgres-cdc; the Doris, StarRocks, Paimon and Pulsar Flink connectors; SeaTunnel's
//! connector-v2 plugins. Secret values never appear: a secret becomes a placeholder
//! ([`Secrets`]) that deployment fills in.

use std::collections::BTreeMap;

use super::{ResolvedOptions, StoredValue};
use crate::compile::hocon::{Entries, Hocon};
use crate::error::SluiceError;
use crate::plan::{PipelinePlan, TableUse};

/// One table of a pipeline, as a connector renders it.
pub struct TableCx<'a> {
    pub plan: &'a PipelinePlan,
    /// The table's place in the plan's tables (names of replication slots …).
    pub index: usize,
    pub table: &'a TableUse,
    pub role: Role,
}

impl TableCx<'_> {
    /// Whether the pipeline streams (CDC reads) rather than reads a snapshot.
    pub fn streaming(&self) -> bool {
        self.plan.settings().streaming
    }
}

/// A table in Flink SQL: a `CREATE TABLE … WITH (options)`, or a table of a catalog the
/// source is (`CREATE CATALOG … WITH (options)`, once per source).
pub enum FlinkConnector {
    Table(Vec<(String, String)>),
    InCatalog { catalog: String, options: Vec<(String, String)> },
}

/// A block of a Flink CDC pipeline definition (YAML): its entries in order.
pub type CdcBlock = Vec<(std::borrow::Cow<'static, str>, serde_yaml::Value)>;

/// A YAML string.
pub fn yaml_str(v: impl Into<String>) -> serde_yaml::Value {
    serde_yaml::Value::String(v.into())
}

/// Adds CDC entry `key` when there is a value.
pub fn cdc_text(e: &mut CdcBlock, key: impl Into<std::borrow::Cow<'static, str>>, value: Option<String>) {
    if let Some(v) = value {
        e.push((key.into(), yaml_str(v)));
    }
}

/// The Flink CDC `source` block reading `tables` (a regular expression of table ids).
pub struct CdcSource<'a> {
    pub plan: &'a PipelinePlan,
    /// The first table read (its source's options are the block's).
    pub table: &'a TableUse,
    /// The index of the first table read (names of replication slots).
    pub index: usize,
    pub tables: String,
}

/// The error for a source type Flink CDC does not read or write (0A000).
pub fn flink_cdc_unsupported(message: String) -> SluiceError {
    SluiceError::not_supported(
        message,
        Some("Flink CDC pipelines move tables one to one; use engine flink or seatunnel for this pipeline."),
    )
}

/// A SeaTunnel plugin: its name and its block's entries.
pub type SeaTunnelPlugin = (&'static str, Entries);

/// Adds option `k` = `v`.
pub fn put(options: &mut Vec<(String, String)>, k: &str, v: String) {
    options.push((k.to_owned(), v));
}

/// Adds entry `key` when there is a value.
pub fn text(entries: &mut Entries, key: &str, value: Option<String>) {
    if let Some(v) = value {
        entries.push((key.to_owned(), Hocon::str(v)));
    }
}

/// `(seatunnel name, value)` of the given options in `names`, as HOCON entries.
pub fn mapped_seatunnel(o: &Options<'_>, names: &[&str], secrets: &mut Secrets) -> Entries {
    o.mapped_seatunnel(names, secrets).into_iter().map(|(k, v)| (k, Hocon::scalar(&v))).collect()
}

/// `schema = { fields { name = type } }` for SeaTunnel plugins that need the columns.
pub fn seatunnel_schema(table: &TableUse) -> (String, Hocon) {
    let fields: Entries = table
        .physical_columns()
        .map(|c| (c.name.clone(), Hocon::str(seatunnel_type(&c.data_type))))
        .collect();
    ("schema".into(), Hocon::Object(vec![("fields".into(), Hocon::Object(fields))]))
}

/// SeaTunnel's name for a Flink SQL type.
pub fn seatunnel_type(flink: &str) -> String {
    let t = flink.trim().to_uppercase();
    let base = t.split(['(', '<', ' ']).next().unwrap_or_default();
    match base {
        "TINYINT" => "tinyint".into(),
        "SMALLINT" => "smallint".into(),
        "INT" | "INTEGER" => "int".into(),
        "BIGINT" => "bigint".into(),
        "FLOAT" => "float".into(),
        "DOUBLE" => "double".into(),
        "BOOLEAN" => "boolean".into(),
        "DECIMAL" | "NUMERIC" | "DEC" => t.to_lowercase().replace(' ', ""),
        "DATE" => "date".into(),
        "TIME" => "time".into(),
        "TIMESTAMP" | "TIMESTAMP_LTZ" => "timestamp".into(),
        "BINARY" | "VARBINARY" | "BYTES" => "bytes".into(),
        "ARRAY" => format!("array<{}>", seatunnel_type(t.trim_start_matches("ARRAY<").trim_end_matches('>'))),
        "MAP" => {
            let inner = t.trim_start_matches("MAP<").trim_end_matches('>');
            // the comma between key and value, outside nested brackets
            let mut depth = 0i32;
            let split = inner.char_indices().find(|&(_, c)| {
                depth += match c {
                    '<' | '(' => 1,
                    '>' | ')' => -1,
                    _ => 0,
                };
                c == ',' && depth == 0
            });
            match split {
                Some((i, _)) => {
                    format!("map<{}, {}>", seatunnel_type(&inner[..i]), seatunnel_type(&inner[i + 1..]))
                }
                None => "string".into(),
            }
        }
        _ => "string".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::seatunnel_type;

    /// SeaTunnel's schema types (its connector-v2 "schema" documentation).
    #[test]
    fn nested_types_keep_their_shape_in_seatunnel() {
        assert_eq!(seatunnel_type("ARRAY<INT>"), "array<int>");
        assert_eq!(seatunnel_type("MAP<STRING, DECIMAL(10, 2)>"), "map<string, decimal(10,2)>");
        assert_eq!(seatunnel_type("MAP<INT, ARRAY<STRING>>"), "map<int, array<string>>");
        assert_eq!(seatunnel_type("ROW<`a` INT>"), "string");
    }
}

/// Whether a table is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Read,
    Write,
}

/// The secrets an artifact refers to, each by a placeholder `${SLUICE_SECRET_<NAME>}`.
/// Deployment replaces each placeholder with the secret's value, escaped for where it
/// stands (a SQL string literal, a HOCON or YAML string); SeaTunnel can take them as
/// variables (`-i SLUICE_SECRET_X=…`), Kubernetes from a Secret.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// Secret name → variable name.
    pub vars: BTreeMap<String, String>,
}

impl Secrets {
    /// The placeholder for secret `name`.
    pub fn placeholder(&mut self, name: &str) -> String {
        let var = self.var(name);
        format!("${{{var}}}")
    }

    /// The variable a secret is given as.
    pub fn var(&mut self, name: &str) -> String {
        if let Some(v) = self.vars.get(name) {
            return v.clone();
        }
        let base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
            .collect();
        let mut var = format!("SLUICE_SECRET_{base}");
        let mut n = 2;
        while self.vars.values().any(|v| *v == var) {
            var = format!("SLUICE_SECRET_{base}_{n}");
            n += 1;
        }
        self.vars.insert(name.to_owned(), var.clone());
        var
    }
}

/// A table's options: the source's, with a declared table's own over them.
pub struct Options<'a> {
    table: &'a TableUse,
    declared: ResolvedOptions,
}

impl<'a> Options<'a> {
    pub fn new(table: &'a TableUse) -> Options<'a> {
        let declared = table.definition.as_ref().map(|d| d.options.clone()).unwrap_or_default();
        Options { table, declared }
    }

    fn stored(&self, key: &str) -> Option<&StoredValue> {
        self.declared.0.get(key).or_else(|| self.table.source_options.0.get(key))
    }

    /// The value of `key` (text, or a secret's placeholder), else its default.
    pub fn get(&self, key: &str, secrets: &mut Secrets) -> Option<String> {
        match self.stored(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            Some(StoredValue::Secret { secret }) => Some(secrets.placeholder(secret)),
            None => self
                .table
                .source_type
                .table_options
                .iter()
                .chain(self.table.source_type.options)
                .filter(|o| o.name == key)
                .find_map(|o| o.default)
                .map(str::to_owned),
        }
    }

    /// The value of `key` only when given (no default).
    pub fn given(&self, key: &str, secrets: &mut Secrets) -> Option<String> {
        self.stored(key).is_some().then(|| self.get(key, secrets)).flatten()
    }

    /// Whether `key` was given as a secret.
    pub fn is_secret(&self, key: &str) -> bool {
        matches!(self.stored(key), Some(StoredValue::Secret { .. }))
    }

    /// Options under `prefix` (passthrough keys), with their full keys, by key.
    pub fn with_prefix(&self, prefix: &str, secrets: &mut Secrets) -> Vec<(String, String)> {
        let mut keys: Vec<&String> = self
            .table
            .source_options
            .0
            .keys()
            .chain(self.declared.0.keys())
            .filter(|k| k.starts_with(prefix))
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.get(k, secrets).map(|v| (k.clone(), v))).collect()
    }

    /// `(flink name, value)` of each given option in `names` that maps to a Flink option.
    pub fn mapped_flink(&self, names: &[&str], secrets: &mut Secrets) -> Vec<(String, String)> {
        let specs = self.table.source_type.options.iter().chain(self.table.source_type.table_options);
        let mut out: Vec<(String, String)> = Vec::new();
        for spec in specs.filter(|s| names.contains(&s.name) && !s.flink.is_empty()) {
            if let Some(v) = self.given(spec.name, secrets)
                && !out.iter().any(|(k, _)| k == spec.flink)
            {
                out.push((spec.flink.to_owned(), v));
            }
        }
        out
    }

    /// `(seatunnel name, value)` of each given option in `names` that maps to SeaTunnel.
    pub fn mapped_seatunnel(&self, names: &[&str], secrets: &mut Secrets) -> Vec<(String, String)> {
        let specs = self.table.source_type.options.iter().chain(self.table.source_type.table_options);
        let mut out: Vec<(String, String)> = Vec::new();
        for spec in specs.filter(|s| names.contains(&s.name) && !s.seatunnel.is_empty()) {
            if let Some(v) = self.given(spec.name, secrets)
                && !out.iter().any(|(k, _)| k == spec.seatunnel)
            {
                out.push((spec.seatunnel.to_owned(), v));
            }
        }
        out
    }
}

/// The stream-load label prefix of a sink (Doris, StarRocks): the table's
/// `sink_label_prefix`, else one unique to the pipeline and table.
pub fn label_prefix(cx: &TableCx<'_>, o: &Options<'_>, secrets: &mut Secrets) -> String {
    o.given("sink_label_prefix", secrets).unwrap_or_else(|| {
        format!("sluice_{}_{}", plain_name(&cx.plan.name), plain_name(&cx.table.path.table))
    })
}

/// A name safe in every engine: letters, digits and `_`.
pub fn plain_name(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A PostgreSQL replication slot name for reader `n` of `pipeline` (at most 63
/// characters of `[a-z0-9_]`).
pub fn slot_name(pipeline: &str, n: usize) -> String {
    let mut name = format!("sluice_{}_{n}", plain_name(pipeline).to_lowercase());
    name.truncate(63);
    name
}

/// The error for a source type that an engine's compiler cannot render.
pub fn unsupported(engine: &str, table: &TableUse, hint: &str) -> SluiceError {
    SluiceError::not_supported(
        format!("{engine} cannot use {} (a {} source)", table.path, table.source_type.name),
        Some(hint),
    )
}

/// The error for a table SeaTunnel has no plugin for.
pub fn seatunnel_unsupported(table: &TableUse) -> SluiceError {
    unsupported(
        "SeaTunnel",
        table,
        "SeaTunnel has no plugin for it: use engine flink, or another sink (print writes to the log).",
    )
}

/// The path of a file table: the table's `path` (absolute, or relative to the source's),
/// or the source's path joined with the table's name.
pub fn file_path(table: &TableUse) -> String {
    let text = |options: &ResolvedOptions| match options.0.get("path") {
        Some(StoredValue::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let base = text(&table.source_options).unwrap_or_default();
    let declared = text(&Options::new(table).declared);
    let join = |rest: &str| format!("{}/{}", base.trim_end_matches('/'), rest);
    match declared {
        Some(p) if p.starts_with('/') || p.contains("://") => p,
        Some(p) => join(&p),
        None => join(&table.path.table),
    }
}
