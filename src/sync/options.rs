//! Sync options: a typed schema like the pipelines', so unknown keys are refused.

use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Bool, Enum, Int, String as Text},
    opt,
};
use crate::connectors::validate::Schema;
use crate::connectors::{ResolvedOptions, StoredValue};

const MODES: &[&str] = &["full", "cdc", "full+cdc"];
const ENGINES: &[&str] = &["flink", "seatunnel", "flink-cdc", "local"];
const CASES: &[&str] = &["keep", "lower", "upper"];
/// Flink CDC's `schema.change.behavior` values, lower-cased.
const SCHEMA_CHANGES: &[&str] = &["evolve", "try_evolve", "lenient", "ignore", "exception"];
const UNSUPPORTED: &[&str] = &["error", "skip"];

pub const OPTIONS: &[OptionSpec] = &[
    opt(
        "mode",
        Enum(MODES),
        Basic,
        "full copies the tables once; cdc streams their changes from now on; full+cdc does both.",
    )
    .default("full+cdc"),
    opt(
        "engine",
        Enum(ENGINES),
        Basic,
        "What runs it; when not given, chosen from the mode and the sink (a NOTICE says which).",
    ),
    opt("target", Text, Basic, "Where START runs the sync's pipeline (a target's name)."),
    opt("table_prefix", Text, Basic, "Put before every sink table's name."),
    opt("table_suffix", Text, Basic, "Put after every sink table's name."),
    opt("table_case", Enum(CASES), Basic, "The case of sink table names.").default("keep"),
    opt(
        "table_mapping",
        Text,
        Basic,
        "Explicit sink names, 'source_table:sink_table,…'; they win over routes, prefix and suffix.",
    ),
    opt(
        "route_pattern",
        Text,
        Advanced,
        "A regular expression over source table names; matching tables are renamed by route_replacement.",
    ),
    opt(
        "route_replacement",
        Text,
        Advanced,
        "The sink name of tables matching route_pattern; $1, $2 … are its groups.",
    ),
    opt(
        "origin_column",
        Text,
        Basic,
        "A column added to every sink table holding each row's source table, as 'database.table' \
         (which shard a merged row came from).",
    ),
    opt(
        "origin_key",
        Bool,
        Basic,
        "Make origin_column part of each sink table's primary key, so that tables merged into one \
         may use the same keys.",
    )
    .default("false"),
    opt("create_tables", Bool, Basic, "Create missing sink tables (CREATE TABLE IF NOT EXISTS) on START.")
        .default("true"),
    opt(
        "schema_change",
        Enum(SCHEMA_CHANGES),
        Advanced,
        "What a source schema change does to the sink (Flink CDC's schema.change.behavior): a full \
         sync's START applies it to the sink tables before copying, on any engine; of the streaming \
         engines flink-cdc honours it, flink and seatunnel accept only ignore. Default: lenient.",
    ),
    opt(
        "unsupported_types",
        Enum(UNSUPPORTED),
        Advanced,
        "A column whose type has no mapping to the sink: error, or skip the column (with a NOTICE).",
    )
    .default("error"),
    opt("parallelism", Int, Basic, "Parallel tasks per operator.").default("1"),
    opt("batch_size", Int, Tuning, "Rows per multi-row INSERT into MySQL sinks on the local target."),
    opt(
        "workers",
        Int,
        Tuning,
        "Tables the local engine copies at once, one sink connection each (default: the gateway's cores).",
    ),
];

/// Engine settings passed to the sync's pipeline as they are.
pub const PASSTHROUGH: &[&str] = crate::plan::options::PASSTHROUGH;

pub fn schema() -> Schema<'static> {
    Schema { owner: "syncs", listing: "DESCRIBE SYNC OPTIONS", options: OPTIONS, passthrough: PASSTHROUGH }
}

// The option values of [`MODES`], [`ENGINES`] and [`CASES`] as enums (a test keeps
// them equal).
sluice_catalog::text_enum! {
    /// What a sync moves: the tables once, their changes from now on, or both.
    SyncMode {
        Full => "full",
        Cdc => "cdc",
        FullCdc => "full+cdc",
    }
}

sluice_catalog::text_enum! {
    /// What runs a sync's pipeline.
    SyncEngine {
        Flink => "flink",
        SeaTunnel => "seatunnel",
        FlinkCdc => "flink-cdc",
        /// The Flink SQL pipeline run by the `local` target.
        Local => "local",
    }
}

sluice_catalog::text_enum! {
    /// The case of sink table names.
    TableCase {
        Keep => "keep",
        Lower => "lower",
        Upper => "upper",
    }
}

/// Option `option`'s validated value `text` as its enum, else 22023 naming the option.
fn variant<T: std::str::FromStr<Err = String>>(option: &str, text: &str) -> crate::error::Result<T> {
    text.parse().map_err(|e| crate::error::SluiceError::InvalidOption {
        message: format!("invalid value for option \"{option}\" of syncs: {e}"),
        hint: None,
    })
}

/// How a sync maps tables and what runs it: validated options with defaults.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub mode: SyncMode,
    /// Given, or `None` to choose.
    pub engine: Option<SyncEngine>,
    pub target: Option<String>,
    pub table_prefix: String,
    pub table_suffix: String,
    pub table_case: TableCase,
    pub table_mapping: Vec<(String, String)>,
    pub route: Option<(regex::Regex, String)>,
    pub create_tables: bool,
    /// The column that records each row's source table, when given.
    pub origin_column: Option<String>,
    /// Whether the origin column joins the primary key.
    pub origin_key: bool,
    /// What a source schema change does, when given (else the engine's own behaviour).
    pub schema_change: Option<String>,
    pub skip_unsupported: bool,
    pub parallelism: String,
    pub batch_size: Option<String>,
    pub workers: Option<String>,
}

impl SyncSettings {
    pub fn new(options: &ResolvedOptions) -> crate::error::Result<SyncSettings> {
        let text = |key: &str| match options.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            _ => OPTIONS.iter().find(|o| o.name == key).and_then(|o| o.default).map(str::to_owned),
        };
        let invalid = |message: String| crate::error::SluiceError::InvalidOption { message, hint: None };
        let mut table_mapping = Vec::new();
        for pair in text("table_mapping").unwrap_or_default().split(',').filter(|p| !p.trim().is_empty()) {
            match pair.split_once(':') {
                Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                    table_mapping.push((from.trim().to_owned(), to.trim().to_owned()))
                }
                _ => {
                    return Err(invalid(format!(
                        "invalid value for option \"table_mapping\" of syncs: expected 'source_table:sink_table,…', got '{pair}'"
                    )));
                }
            }
        }
        let route = match (text("route_pattern"), text("route_replacement")) {
            (Some(pattern), Some(replacement)) => Some((anchored(&pattern, "route_pattern")?, replacement)),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "options \"route_pattern\" and \"route_replacement\" of syncs go together".into(),
                ));
            }
        };
        let parallelism = text("parallelism").unwrap_or_else(|| "1".into());
        if parallelism.parse::<u32>().map_or(true, |p| p == 0) {
            return Err(invalid(
                "invalid value for option \"parallelism\" of syncs: it must be at least 1".into(),
            ));
        }
        let origin_column = text("origin_column");
        let origin_key = text("origin_key").as_deref() == Some("true");
        if origin_key && origin_column.is_none() {
            return Err(invalid("option \"origin_key\" of syncs needs option \"origin_column\"".into()));
        }
        if origin_column.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(invalid(
                "invalid value for option \"origin_column\" of syncs: a column name is needed".into(),
            ));
        }
        Ok(SyncSettings {
            mode: variant("mode", &text("mode").unwrap_or_default())?,
            engine: text("engine").map(|e| variant("engine", &e)).transpose()?,
            target: text("target"),
            table_prefix: text("table_prefix").unwrap_or_default(),
            table_suffix: text("table_suffix").unwrap_or_default(),
            table_case: variant("table_case", &text("table_case").unwrap_or_default())?,
            table_mapping,
            route,
            create_tables: text("create_tables").as_deref() != Some("false"),
            origin_column,
            origin_key,
            schema_change: text("schema_change"),
            skip_unsupported: text("unsupported_types").as_deref() == Some("skip"),
            parallelism,
            batch_size: text("batch_size"),
            workers: text("workers"),
        })
    }

    /// Whether the sync streams changes (cdc, full+cdc).
    pub fn streaming(&self) -> bool {
        self.mode != SyncMode::Full
    }
}

/// A regular expression that must match a whole table name.
pub fn anchored(pattern: &str, what: &str) -> crate::error::Result<regex::Regex> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| crate::error::SluiceError::InvalidOption {
        message: format!("invalid regular expression in {what}: {e}"),
        hint: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_lists_exactly_the_typed_values() {
        assert_eq!(SyncMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(), MODES);
        assert_eq!(SyncEngine::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>(), ENGINES);
        assert_eq!(TableCase::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(), CASES);
        assert_eq!(SyncMode::FullCdc.to_string(), "full+cdc");
        let err = variant::<SyncEngine>("engine", "spark").expect_err("unknown engine");
        assert_eq!(err.sqlstate().code(), "22023");
        assert!(err.to_string().contains("\"engine\" of syncs: unknown SyncEngine 'spark'"), "{err}");
    }
}
