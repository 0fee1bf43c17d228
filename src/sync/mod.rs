//! Whole-database syncs: from a source database's metadata to one pipeline.
//!
//! Planning selects the source's tables (INCLUDING / EXCLUDING regular expressions over
//! whole names), names each sink table (table_mapping, then the route, prefix, suffix and
//! case), maps every column's type for the `(source, sink)` pair ([`mapping`], with each
//! type's side in its connector folder), renders
//! the sink's `CREATE TABLE IF NOT EXISTS` ([`ddl`]), and writes the pipeline body: one
//! `INSERT INTO sink (columns) SELECT columns FROM source` per table. The pipeline is then
//! bound and stored like any other, so EXPLAIN, PREVIEW, START and STOP work on it.

pub mod ddl;
pub mod mapping;
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
}

/// One table a sync moves.
#[derive(Debug, Clone)]
pub struct SyncTable {
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

    pub fn record(&self) -> sluice_catalog::SyncTableRecord {
        sluice_catalog::SyncTableRecord {
            source_table: self.source_table.clone(),
            sink_table: self.sink_table.clone(),
            columns: serde_json::to_string(&self.columns).unwrap_or_else(|_| "[]".into()),
            ddl: self.ddl.clone(),
        }
    }

    /// The tables of sync `sync` as stored; columns that do not read back are a corrupt
    /// catalog, not an empty table.
    pub fn from_records(sync: &str, records: &[sluice_catalog::SyncTableRecord]) -> Result<Vec<SyncTable>> {
        records
            .iter()
            .map(|r| {
                let part = format!("columns of {}", r.source_table);
                let columns = SluiceError::stored_json(&r.columns, "sync", sync, &part)?;
                Ok(SyncTable {
                    source_table: r.source_table.clone(),
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
/// so that no setting is silently ignored. Flink CDC applies every behaviour; Flink SQL,
/// SeaTunnel and the local target move the columns planned when the sync was made —
/// columns added to the source later are left out, which is `ignore`.
pub fn check_schema_change(settings: &SyncSettings, engine: PipelineEngine, target: Option<&str>) -> Result<()> {
    let Some(given) = settings.schema_change.as_deref() else { return Ok(()) };
    if engine == PipelineEngine::FlinkCdc || given == "ignore" {
        return Ok(());
    }
    let name = if target == Some(crate::deploy::targets::LOCAL) { "local" } else { engine.as_str() };
    Err(SluiceError::not_supported(
        format!(
            "engine {name} cannot honour schema_change = '{given}': it moves the columns planned when the sync \
             was made, and columns added to the source later are left out"
        ),
        Some("Leave schema_change out (or set it to 'ignore'), or use engine flink-cdc, which applies schema changes."),
    ))
}

/// The sink table name of source table `table`.
pub fn sink_name(settings: &SyncSettings, table: &str) -> String {
    if let Some((_, to)) = settings.table_mapping.iter().find(|(from, _)| from == table) {
        return to.clone();
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
        interval: None,
    }
}

/// The presets of the pipeline called `name`, when a sync of that name made it.
pub async fn presets_of(store: &sluice_catalog::Store, name: &str) -> Result<Option<Presets>> {
    let Some(sync) = store.sync(name).await? else { return Ok(None) };
    let options = crate::connectors::ResolvedOptions::from_stored(&sync.options, "sync", name)?;
    let settings = SyncSettings::new(&options)?;
    let tables = SyncTable::from_records(name, &store.sync_tables(name).await?)?;
    Ok(Some(presets(&sync, &tables, &settings)))
}

/// The pipeline body: one INSERT per table, every name quoted.
pub fn body(
    source: &str,
    source_db: &str,
    sink: &str,
    sink_db: Option<&str>,
    tables: &[SyncTable],
) -> String {
    use crate::sql::ast::quote_ident as q;
    let mut out = String::from("BEGIN\n");
    for t in tables {
        let columns = t.columns.iter().map(|c| q(&c.name)).collect::<Vec<_>>().join(", ");
        let sink_name = match sink_db {
            Some(db) => format!("{}.{}.{}", q(sink), q(db), q(&t.sink_table)),
            None => format!("{}.{}", q(sink), q(&t.sink_table)),
        };
        let select = if t.every_column { "*" } else { columns.as_str() };
        out.push_str(&format!(
            "  INSERT INTO {sink_name} ({columns}) SELECT {select} FROM {}.{}.{};\n",
            q(source),
            q(source_db),
            q(&t.source_table)
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
        assert_eq!(sink_name(&s, "users"), "people");
        assert_eq!(sink_name(&s, "order_7"), "ods_orders_p7_v1");
        assert_eq!(sink_name(&s, "UserEvents"), "ods_userevents_v1");
        // the route matches whole names only
        assert_eq!(sink_name(&s, "x_order_7"), "ods_x_order_7_v1");
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
