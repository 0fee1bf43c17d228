//! Whole-database syncs: from a source database's metadata to one pipeline.
//!
//! Planning selects the source's tables (in one database, or in every database matching a
//! pattern; INCLUDING / EXCLUDING regular expressions over whole table names), names each
//! sink table (table_mapping, then the route, prefix, suffix and case), maps every
//! column's type for the `(source, sink)` pair ([`mapping`], with each type's side in its
//! connector folder), merges the tables that get one sink name ([`merge`]: their common
//! columns, an origin column), renders the sink's `CREATE TABLE IF NOT EXISTS` ([`ddl`]),
//! and writes the pipeline body: per sink table one `INSERT INTO sink (columns) SELECT
//! columns FROM source`, the SELECTs of merged tables joined by UNION ALL. The pipeline is then
//! bound and stored like any other, so EXPLAIN, PREVIEW, START and STOP work on it.

pub mod ddl;
pub mod evolve;
pub mod mapping;
pub mod merge;
pub mod options;

use serde::{Deserialize, Serialize};
use sluice_catalog::ColumnRecord;

use crate::connectors::{SOURCE_TYPES, SourceType};
use crate::error::{Result, SluiceError};
use crate::notice::Notice;
use crate::plan::{Presets, TablePath};
use options::{SyncEngine, SyncMode, SyncSettings, TableCase};
use sluice_catalog::PipelineEngine;

pub use mapping::map_columns;

/// Source types a sync can read (their databases' metadata is introspected).
pub fn source_types() -> impl Iterator<Item = &'static SourceType> {
    SOURCE_TYPES.iter().copied().filter(|t| t.sync.read.is_some())
}

/// Sink types a sync can write (with a mapping from every source type).
pub fn sink_types() -> impl Iterator<Item = &'static SourceType> {
    SOURCE_TYPES.iter().copied().filter(|t| t.sync.write.is_some())
}

/// Whether a streaming sync into `sink_type` runs on Flink CDC unless told otherwise.
fn flink_cdc_sink(sink_type: &SourceType) -> bool {
    sink_type.sync.write.is_some_and(|w| w.flink_cdc)
}

/// One column of a sync table, as `DESCRIBE SYNC` shows it and `sync_tables` stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncColumn {
    pub name: String,
    pub source_type: String,
    pub sink_type: String,
    /// The type the engine carries values in (Flink SQL).
    pub flink_type: String,
    pub nullable: bool,
    pub key: bool,
    /// The origin column (option `origin_column`): each row's source table, written by
    /// the sync, read from no source column.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub origin: bool,
}

/// One table a sync moves.
#[derive(Debug, Clone)]
pub struct SyncTable {
    /// The database (PostgreSQL: schema) it is read from, when the sync reads several;
    /// `None` for the sync's one database.
    pub source_database: Option<String>,
    /// Its name in that database.
    pub source_table: String,
    pub sink_table: String,
    pub columns: Vec<SyncColumn>,
    pub ddl: String,
    /// Whether every source column is moved (none skipped), so the pipeline may read
    /// `SELECT *` — which engines' multi-table modes need.
    pub every_column: bool,
}

impl SyncTable {
    /// The sink table's columns as the catalog describes columns (for binding).
    pub fn column_records(&self) -> Vec<ColumnRecord> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColumnRecord {
                ordinal: i as i64 + 1,
                name: c.name.clone(),
                data_type: c.flink_type.clone(),
                source_type: c.sink_type.clone(),
                nullable: c.nullable,
                is_key: c.key,
            })
            .collect()
    }

    /// How messages and `DESCRIBE SYNC` name it: `database.table` when the sync reads
    /// several databases.
    pub fn source_name(&self) -> String {
        match &self.source_database {
            Some(db) => format!("{db}.{}", self.source_table),
            None => self.source_table.clone(),
        }
    }

    /// The value of its origin column: `database.table` (`schema.table`), with
    /// `database` the sync's when it reads one.
    pub fn origin(&self, sync_database: &str) -> String {
        format!("{}.{}", self.source_database.as_deref().unwrap_or(sync_database), self.source_table)
    }

    pub fn record(&self) -> sluice_catalog::SyncTableRecord {
        sluice_catalog::SyncTableRecord {
            source_table: self.source_name(),
            sink_table: self.sink_table.clone(),
            columns: serde_json::to_string(&self.columns).unwrap_or_else(|_| "[]".into()),
            ddl: self.ddl.clone(),
        }
    }

    /// The tables of sync `sync` as stored; columns that do not read back are a corrupt
    /// catalog, not an empty table. A sync of several databases names its tables
    /// `database.table` (database names have no dot there; see [`merge::check_database`]).
    pub fn from_records(
        sync: &sluice_catalog::SyncRecord,
        records: &[sluice_catalog::SyncTableRecord],
    ) -> Result<Vec<SyncTable>> {
        records
            .iter()
            .map(|r| {
                let part = format!("columns of {}", r.source_table);
                let columns = SluiceError::stored_json(&r.columns, "sync", &sync.name, &part)?;
                let (source_database, source_table) = match r.source_table.split_once('.') {
                    Some((db, table)) if sync.source_database_pattern => {
                        (Some(db.to_owned()), table.to_owned())
                    }
                    _ => (None, r.source_table.clone()),
                };
                Ok(SyncTable {
                    source_database,
                    source_table,
                    sink_table: r.sink_table.clone(),
                    columns,
                    ddl: r.ddl.clone(),
                    every_column: false,
                })
            })
            .collect()
    }
}

/// The engine a sync runs on, given or chosen: `(pipeline engine, target override)`.
/// `local` is the Flink SQL pipeline run by the `local` target.
pub fn engine(
    settings: &SyncSettings,
    sink_type: &SourceType,
    notices: &mut Vec<Notice>,
) -> Result<(PipelineEngine, Option<String>)> {
    match settings.engine {
        Some(SyncEngine::Local) => {
            if settings.streaming() {
                return Err(SluiceError::not_supported(
                    format!("the local engine copies tables once; it cannot run mode {}", settings.mode),
                    Some("Use mode = 'full', or engine flink / flink-cdc for change streams."),
                ));
            }
            if let Some(target) = settings.target.as_deref().filter(|t| *t != "local") {
                return Err(SluiceError::InvalidOption {
                    message: format!("engine local runs on the local target, not on target {target}"),
                    hint: Some("Leave out target, or choose engine flink.".into()),
                });
            }
            Ok((PipelineEngine::Flink, Some(crate::deploy::targets::LOCAL.into())))
        }
        Some(SyncEngine::FlinkCdc) if !flink_cdc_sink(sink_type) => Err(SluiceError::not_supported(
            format!("Flink CDC has no {} pipeline sink", sink_type.name),
            Some("Use engine flink (Flink SQL with CDC sources) for this sink."),
        )),
        Some(SyncEngine::FlinkCdc) if !settings.streaming() => Err(SluiceError::not_supported(
            "Flink CDC pipelines stream changes; mode full has no change stream".to_owned(),
            Some("Use mode = 'full+cdc', or engine flink / local for a one-time copy."),
        )),
        Some(SyncEngine::Flink) => Ok((PipelineEngine::Flink, settings.target.clone())),
        Some(SyncEngine::SeaTunnel) => Ok((PipelineEngine::SeaTunnel, settings.target.clone())),
        Some(SyncEngine::FlinkCdc) => Ok((PipelineEngine::FlinkCdc, settings.target.clone())),
        None => {
            let chosen = if settings.streaming() && flink_cdc_sink(sink_type) {
                PipelineEngine::FlinkCdc
            } else {
                PipelineEngine::Flink
            };
            notices.push(Notice::notice(format!(
                "engine {chosen} chosen for mode {} into a {} sink (set option engine to choose another)",
                settings.mode, sink_type.name
            )));
            Ok((chosen, settings.target.clone()))
        }
    }
}

/// Refuses a `schema_change` the sync's engine cannot honour (0A000 naming the engine),
/// so that no setting is silently ignored. A full sync's START applies every behaviour
/// itself before the copy runs ([`evolve`]), whatever the engine; of the engines that
/// stream changes, Flink CDC applies every behaviour, while Flink SQL and SeaTunnel jobs
/// move the columns planned when they started — `ignore`.
pub fn check_schema_change(
    settings: &SyncSettings,
    engine: PipelineEngine,
    target: Option<&str>,
) -> Result<()> {
    let Some(given) = settings.schema_change.as_deref() else { return Ok(()) };
    if !settings.streaming() || engine == PipelineEngine::FlinkCdc || given == "ignore" {
        return Ok(());
    }
    let name = if target == Some(crate::deploy::targets::LOCAL) { "local" } else { engine.as_str() };
    Err(SluiceError::not_supported(
        format!(
            "engine {name} cannot honour schema_change = '{given}' in mode {}: its job moves the columns planned \
             when it started, and columns added to the source later are left out",
            settings.mode
        ),
        Some(
            "Leave schema_change out (or set it to 'ignore'), use engine flink-cdc, or sync with mode = 'full', whose START applies schema changes.",
        ),
    ))
}

/// The sink table name of source table `table` (of `database`, when the sync reads
/// several: table_mapping may name it `database.table`; routes see the table's name).
pub fn sink_name(settings: &SyncSettings, database: Option<&str>, table: &str) -> String {
    let qualified = database.map(|db| format!("{db}.{table}"));
    let mapped =
        |name: &str| settings.table_mapping.iter().find(|(from, _)| from == name).map(|(_, to)| to.clone());
    if let Some(to) = qualified.as_deref().and_then(mapped).or_else(|| mapped(table)) {
        return to;
    }
    let base = match &settings.route {
        Some((pattern, replacement)) if pattern.is_match(table) => {
            pattern.replace(table, replacement.as_str()).into_owned()
        }
        _ => table.to_owned(),
    };
    let name = format!("{}{base}{}", settings.table_prefix, settings.table_suffix);
    match settings.table_case {
        TableCase::Lower => name.to_lowercase(),
        TableCase::Upper => name.to_uppercase(),
        TableCase::Keep => name,
    }
}

/// Source read options for a sync mode: where CDC reads start.
pub fn read_options(mode: SyncMode) -> crate::connectors::ResolvedOptions {
    use crate::connectors::StoredValue;
    let start = match mode {
        SyncMode::Cdc => "latest-offset",
        SyncMode::FullCdc => "initial",
        SyncMode::Full => return crate::connectors::ResolvedOptions::default(),
    };
    crate::connectors::ResolvedOptions([("startup_mode".to_owned(), StoredValue::Text(start.into()))].into())
}

/// What binding the pipeline of `sync` needs from its plan (see [`Presets`]).
pub fn presets(sync: &sluice_catalog::SyncRecord, tables: &[SyncTable], settings: &SyncSettings) -> Presets {
    // without create_tables, the sink tables must exist: nothing is preset
    let creates = if settings.create_tables { tables } else { &[] };
    let sinks = creates
        .iter()
        .map(|t| {
            let path = TablePath {
                source: sync.sink.clone(),
                database: sync.sink_database.clone(),
                table: t.sink_table.clone(),
            };
            (path, (t.column_records(), t.ddl.clone()))
        })
        .collect();
    Presets {
        sinks,
        read_options: read_options(settings.mode),
        schema_change: settings
            .streaming()
            .then(|| settings.schema_change.as_deref().unwrap_or("lenient").to_uppercase()),
        capture: capture(sync, settings),
        interval: None,
    }
}

/// The tables a streaming sync captures as Flink CDC patterns, so that a table created
/// later that INCLUDING matches is picked up, with a route naming its sink table as the
/// sync names them (prefix and suffix). `None` where a table created later could not be
/// written as the sync writes its tables: a route_pattern or table_case renames them, an
/// origin column is added (by a transform per table), or a pattern holds a literal dot
/// or a comma (Flink CDC's separators).
pub fn capture(
    sync: &sluice_catalog::SyncRecord,
    settings: &SyncSettings,
) -> Option<crate::plan::resolve::Capture> {
    if !settings.streaming()
        || settings.route.is_some()
        || settings.table_case != TableCase::Keep
        || settings.origin_column.is_some()
    {
        return None;
    }
    // a Java regular expression as one part of a Flink CDC name: its any-character dots escaped
    let part = |regex: &str| -> Option<String> {
        // Flink CDC and Debezium read the parts as Java expressions within a full name:
        // anchors, a literal dot, a comma (its separator) or (?…) groups do not carry over
        if regex.contains("\\.") || regex.contains([',', '^', '$']) || regex.contains("(?") {
            return None;
        }
        Some(format!("({})", regex.replace('.', "\\.")))
    };
    let database = if sync.source_database_pattern {
        part(&sync.source_database)?
    } else if sync.source_database.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        sync.source_database.clone()
    } else {
        return None;
    };
    let table = match &sync.including {
        Some(r) => part(r)?,
        None => "\\.*".to_owned(),
    };
    let exclude = match &sync.excluding {
        Some(r) => Some(format!("{database}.{}", part(r)?)),
        None => None,
    };
    let tables = format!("{database}.{table}");
    let sink_db =
        if sync.sink_database.is_empty() { String::new() } else { format!("{}.", sync.sink_database) };
    Some(crate::plan::resolve::Capture {
        route_from: tables.clone(),
        tables,
        exclude,
        route_to: format!("{sink_db}{}<>{}", settings.table_prefix, settings.table_suffix),
    })
}

/// The presets of the pipeline called `name`, when a sync of that name made it.
pub async fn presets_of(store: &sluice_catalog::Store, name: &str) -> Result<Option<Presets>> {
    let Some(sync) = store.sync(name).await? else { return Ok(None) };
    let options = crate::connectors::ResolvedOptions::from_stored(&sync.options, "sync", name)?;
    let settings = SyncSettings::new(&options)?;
    let tables = SyncTable::from_records(&sync, &store.sync_tables(name).await?)?;
    Ok(Some(presets(&sync, &tables, &settings)))
}

/// The pipeline body: one INSERT per sink table, every name quoted; the SELECTs of
/// tables merged into one sink table are joined by UNION ALL, and an origin column is
/// written as its table's `database.table` literal.
pub fn body(
    source: &str,
    source_db: &str,
    sink: &str,
    sink_db: Option<&str>,
    tables: &[SyncTable],
) -> String {
    use crate::sql::ast::quote_ident as q;
    let mut out = String::from("BEGIN\n");
    for group in merge::groups(tables) {
        let first = group[0];
        let columns = first.columns.iter().map(|c| q(&c.name)).collect::<Vec<_>>().join(", ");
        let sink_name = match sink_db {
            Some(db) => format!("{}.{}.{}", q(sink), q(db), q(&first.sink_table)),
            None => format!("{}.{}", q(sink), q(&first.sink_table)),
        };
        let selects: Vec<String> = group
            .iter()
            .map(|t| {
                let select = if t.every_column && group.len() == 1 && !t.columns.iter().any(|c| c.origin) {
                    "*".to_owned()
                } else {
                    let origin = crate::sql::ast::quote_literal(&t.origin(source_db));
                    let items: Vec<String> = t
                        .columns
                        .iter()
                        .map(|c| if c.origin { origin.clone() } else { q(&c.name) })
                        .collect();
                    items.join(", ")
                };
                let db = t.source_database.as_deref().unwrap_or(source_db);
                format!("SELECT {select} FROM {}.{}.{}", q(source), q(db), q(&t.source_table))
            })
            .collect();
        out.push_str(&format!(
            "  INSERT INTO {sink_name} ({columns}) {};\n",
            selects.join("\n    UNION ALL ")
        ));
    }
    out.push_str("END");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::ResolvedOptions;
    use crate::connectors::validate::validate_with;
    use crate::sql::ast::options::{OptionValue, SqlOption};

    fn settings(options: &[(&str, &str)]) -> SyncSettings {
        let given: Vec<SqlOption> = options
            .iter()
            .map(|(k, v)| SqlOption { key: (*k).into(), value: OptionValue::String((*v).into()) })
            .collect();
        let resolved = validate_with(options::schema(), &ResolvedOptions::default(), &given).expect("valid");
        SyncSettings::new(&resolved).expect("settings")
    }

    #[test]
    fn sink_names_apply_mapping_route_prefix_suffix_and_case() {
        let s = settings(&[
            ("table_prefix", "ods_"),
            ("table_suffix", "_v1"),
            ("table_case", "lower"),
            ("table_mapping", "users:people"),
            ("route_pattern", "order_(\\d+)"),
            ("route_replacement", "orders_p$1"),
        ]);
        assert_eq!(sink_name(&s, None, "users"), "people");
        assert_eq!(sink_name(&s, None, "order_7"), "ods_orders_p7_v1");
        assert_eq!(sink_name(&s, None, "UserEvents"), "ods_userevents_v1");
        // the route matches whole names only
        assert_eq!(sink_name(&s, None, "x_order_7"), "ods_x_order_7_v1");
        // in a sync of several databases, a mapping may name the database too
        let s = settings(&[("table_mapping", "shop_1.users:users_1")]);
        assert_eq!(sink_name(&s, Some("shop_1"), "users"), "users_1");
        assert_eq!(sink_name(&s, Some("shop_2"), "users"), "users");
    }

    #[test]
    fn unknown_and_malformed_options_are_refused() {
        let given = vec![SqlOption { key: "table_prefx".into(), value: OptionValue::String("x".into()) }];
        let err = validate_with(options::schema(), &ResolvedOptions::default(), &given).expect_err("unknown");
        match err {
            SluiceError::InvalidOption { message, hint } => {
                assert!(message.contains("table_prefx"), "{message}");
                assert!(hint.unwrap_or_default().contains("table_prefix"));
            }
            other => panic!("{other:?}"),
        }
        let given = vec![SqlOption { key: "table_mapping".into(), value: OptionValue::String("a-b".into()) }];
        let resolved = validate_with(options::schema(), &ResolvedOptions::default(), &given).expect("valid");
        assert!(SyncSettings::new(&resolved).is_err());
    }
}
