//! Planning a whole-database sync: the source's tables selected (in one database or in
//! every database matching a pattern) and read fresh, each mapped to its sink table
//! ([`Draft`]), then written as the pipeline it compiles into, bound ([`Planned`]).
//! CREATE SYNC, REFRESH SYNC and the START of a full sync plan through here.

use std::collections::HashMap;

use regex::Regex;
use sluice_catalog::{ColumnRecord, NewPipeline, PipelineEngine, SyncRecord, TableRecord};

use crate::connectors::access::{self, LoadedSource};
use crate::connectors::definition::TableDefinition;
use crate::connectors::validate::validate_with;
use crate::connectors::{ResolvedOptions, SourceType};
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::plan::stored::new_pipeline;
use crate::plan::{PlanCtx, Tables, bind_with};
use crate::runtime::Runtime;
use crate::sql::ast::options::{OptionValue, SqlOption};
use crate::sql::ast::sync::{CreateSync, Including, SourceDatabases};
use crate::sync::options::{SyncSettings, anchored, schema};
use crate::sync::{self, SyncTable};

/// Tables between two progress NOTICEs.
const PROGRESS_EVERY: usize = 500;

/// The tables of the source databases the sync reads, with their columns: the database
/// is named when the sync reads several.
type Selected = Vec<(Option<String>, TableRecord, Vec<ColumnRecord>)>;

/// A sync's tables planned from the source's metadata, before its pipeline is written.
pub struct Draft {
    pub name: String,
    pub options: ResolvedOptions,
    pub settings: SyncSettings,
    pub source: LoadedSource,
    pub sink: LoadedSource,
    /// The database named, or the pattern of the databases read.
    pub source_db: String,
    pub pattern: bool,
    pub including: Option<String>,
    pub excluding: Option<String>,
    pub sink_db: Option<String>,
    pub engine: PipelineEngine,
    pub target: Option<String>,
    pub tables: Vec<SyncTable>,
    /// The columns of the sink's tables as they are now, by table name (read while
    /// planning; empty for sinks Sluice cannot introspect).
    pub existing: HashMap<String, Vec<ColumnRecord>>,
}

/// A sync planned whole: its record, tables and the pipeline it compiles into.
pub struct Planned {
    pub record: SyncRecord,
    pub tables: Vec<SyncTable>,
    pub pipeline: NewPipeline,
    pub engine: PipelineEngine,
}

/// Selects and maps the tables `statement` describes, reading the source's and the
/// sink's metadata fresh.
pub async fn draft(rt: &Runtime, statement: &CreateSync, notices: &mut Vec<Notice>) -> Result<Draft> {
    let options = validate_with(schema(), &ResolvedOptions::default(), &statement.options)?;
    let settings = SyncSettings::new(&options)?;
    let source = super::sources::load(rt, statement.source.as_str()).await?;
    let sink = super::sources::load(rt, statement.sink.as_str()).await?;
    check_kinds(statement, &source, &sink)?;
    let (source_db, pattern) = match &statement.source_database {
        SourceDatabases::Named(db) => (db.as_str().to_owned(), false),
        SourceDatabases::Matching(regex) => (regex.clone(), true),
    };
    let sink_db = statement.sink_database.as_ref().map(|d| d.as_str().to_owned());
    let (engine, target) = sync::engine(&settings, sink.source_type, notices)?;
    sync::check_schema_change(&settings, engine, target.as_deref())?;
    let selected = select_tables(rt, statement, &source, notices).await?;
    // Existing sink tables are read once here, so binding needs no lookup per table (a
    // sink Sluice cannot introspect, such as a Paimon warehouse on S3, has its tables
    // created by the engine).
    let mut existing = HashMap::new();
    if let Some(db) = &sink_db
        && sink.source_type.introspects
        && let Some(tables) = access::introspect(&rt.store, &sink, db, None).await?
    {
        existing = tables.into_iter().map(|(t, columns)| (t.name, columns)).collect();
    }
    // a one-time copy on a Flink cluster reads a PostgreSQL source through Flink's JDBC connector
    let flink_jdbc = engine == PipelineEngine::Flink
        && target.as_deref() != Some(crate::deploy::targets::LOCAL)
        && !settings.streaming()
        && source.source_type.name == "postgres";
    let readable = |c: &ColumnRecord| !flink_jdbc || crate::connectors::postgres::sync::flink_jdbc_reads(c);
    let tables = plan_tables(&settings, &source, &sink, sink_db.as_deref(), &selected, &readable, notices)?;
    Ok(Draft {
        name: statement.name.as_str().to_owned(),
        options,
        settings,
        source,
        sink,
        source_db,
        pattern,
        including: match &statement.including {
            Including::All => None,
            Including::Tables(r) => Some(r.clone()),
        },
        excluding: statement.excluding.clone(),
        sink_db,
        engine,
        target,
        tables,
        existing,
    })
}

/// Writes the pipeline of `draft` and binds it (owned by `owner`).
pub async fn finish(rt: &Runtime, owner: &str, draft: Draft, notices: &mut Vec<Notice>) -> Result<Planned> {
    let Draft {
        name,
        options,
        settings,
        source,
        sink,
        source_db,
        pattern,
        sink_db,
        engine,
        target,
        tables,
        ..
    } = draft;
    let record = SyncRecord {
        name: name.clone(),
        source: source.record.name.clone(),
        source_database: source_db.clone(),
        source_database_pattern: pattern,
        including: draft.including,
        excluding: draft.excluding,
        sink: sink.record.name.clone(),
        sink_database: sink_db.clone().unwrap_or_default(),
        options: options.to_json(),
        owner: owner.to_owned(),
        created_at: 0,
        updated_at: 0,
    };
    let body_sql = sync::body(&record.source, &source_db, &record.sink, sink_db.as_deref(), &tables);
    let body = crate::sql::parse_pipeline_body(&body_sql)?;
    let pipeline_options = validate_with(
        crate::plan::bind::option_schema(),
        &ResolvedOptions::default(),
        &pipeline_options(&settings, &options, engine, target.as_deref()),
    )?;
    let presets = sync::presets(&record, &tables, &settings);
    let mut ctx = PlanCtx { store: &rt.store, master_key: &rt.master_key, notices: &mut *notices };
    let bound = bind_with(&mut ctx, pipeline_options, &body, Tables::Schemas, &presets).await?;
    let plan = super::pipelines::checked_plan(rt, &name, bound).await?;
    let pipeline = new_pipeline(&name, &plan.bound, &body);
    Ok(Planned { record, tables, pipeline, engine })
}

/// The base tables of the source databases that INCLUDING / EXCLUDING select, read fresh.
async fn select_tables(
    rt: &Runtime,
    statement: &CreateSync,
    source: &LoadedSource,
    notices: &mut Vec<Notice>,
) -> Result<Selected> {
    let including = match &statement.including {
        Including::All => None,
        Including::Tables(regex) => Some(anchored(regex, "INCLUDING TABLES")?),
    };
    let excluding: Option<Regex> =
        statement.excluding.as_deref().map(|r| anchored(r, "EXCLUDING TABLES")).transpose()?;
    let databases = source_databases(rt, statement, source).await?;
    let several = matches!(statement.source_database, SourceDatabases::Matching(_));
    let mut selected: Selected = Vec::new();
    for source_db in &databases {
        let introspected = access::refresh(&rt.store, source, source_db, None).await?;
        notices.push(Notice::notice(format!(
            "introspected {} tables of {}.{source_db}",
            introspected.len(),
            source.record.name
        )));
        for (table, columns) in introspected {
            let chosen = including.as_ref().is_none_or(|r| r.is_match(&table.name))
                && excluding.as_ref().is_none_or(|r| !r.is_match(&table.name));
            if chosen && is_base_table(&table)? {
                selected.push((several.then(|| source_db.clone()), table, columns));
            }
        }
    }
    if selected.is_empty() {
        return Err(SluiceError::Query {
            state: SqlState::UndefinedTable,
            message: format!(
                "no table of {}.{} matches the sync's INCLUDING / EXCLUDING",
                source.record.name,
                databases.join(", ")
            ),
            hint: None,
            pos: None,
        });
    }
    Ok(selected)
}

/// The databases the sync reads: the one named (3D000 when the source has none of that
/// name), or every one matching the pattern (3D000 when none does).
async fn source_databases(
    rt: &Runtime,
    statement: &CreateSync,
    source: &LoadedSource,
) -> Result<Vec<String>> {
    let all = access::databases(&rt.store, source).await?;
    let missing = |message: String| SluiceError::Query {
        state: SqlState::InvalidCatalogName,
        message,
        hint: Some(format!("SHOW DATABASES FROM {} lists them.", source.record.name)),
        pos: None,
    };
    match &statement.source_database {
        SourceDatabases::Named(db) => {
            if !all.iter().any(|d| d == db.as_str()) {
                return Err(missing(format!(
                    "database \"{db}\" of source {} does not exist",
                    source.record.name
                )));
            }
            Ok(vec![db.as_str().to_owned()])
        }
        SourceDatabases::Matching(regex) => {
            let pattern = anchored(regex, "DATABASES")?;
            let matching: Vec<String> = all.into_iter().filter(|d| pattern.is_match(d)).collect();
            if matching.is_empty() {
                return Err(missing(format!(
                    "no database of source {} matches '{regex}'",
                    source.record.name
                )));
            }
            for db in &matching {
                sync::merge::check_database(&source.record.name, db)?;
            }
            Ok(matching)
        }
    }
}

/// Each selected table's sink table: its name, mapped columns (tables with one sink name
/// merged) and DDL.
fn plan_tables(
    settings: &SyncSettings,
    source: &LoadedSource,
    sink: &LoadedSource,
    sink_db: Option<&str>,
    selected: &Selected,
    readable: &dyn Fn(&ColumnRecord) -> bool,
    notices: &mut Vec<Notice>,
) -> Result<Vec<SyncTable>> {
    let mut tables: Vec<SyncTable> = Vec::with_capacity(selected.len());
    for (i, (database, table, columns)) in selected.iter().enumerate() {
        let sink_table = sync::sink_name(settings, database.as_deref(), &table.name);
        let shown = match database {
            Some(db) => format!("{db}.{}", table.name),
            None => table.name.clone(),
        };
        let read = engine_reads(&shown, columns, readable, settings, notices)?;
        let mapped =
            sync::map_columns(source.source_type, sink.source_type, &shown, &read, settings, notices)?;
        if !mapped.iter().any(|c| c.key) {
            if settings.streaming() {
                return Err(SluiceError::not_supported(
                    format!(
                        "table {shown} has no primary key: its changes cannot be applied to {sink_table}"
                    ),
                    Some("Exclude it with EXCLUDING TABLES, or sync it with mode = 'full'."),
                ));
            }
            notices.push(Notice::warning(
                format!("table {shown} has no primary key: it is copied append-only"),
                Some("Each START of a full sync replaces the sink table's rows (write_mode overwrite)."),
            ));
        }
        let every_column = mapped.len() == columns.iter().filter(|c| c.data_type != "COMPUTED").count();
        tables.push(SyncTable {
            source_database: database.clone(),
            source_table: table.name.clone(),
            sink_table,
            columns: mapped,
            ddl: String::new(),
            every_column,
        });
        if selected.len() > PROGRESS_EVERY && (i + 1) % PROGRESS_EVERY == 0 {
            notices.push(Notice::notice(format!("planned {}/{} tables", i + 1, selected.len())));
        }
    }
    sync::merge::merge(settings, sink.source_type, sink_db, tables, notices)
}

/// The columns of `table` the engine can read: one it cannot is an error naming it (0A000),
/// or left out with a NOTICE under `unsupported_types = 'skip'`.
fn engine_reads(
    table: &str,
    columns: &[ColumnRecord],
    readable: &dyn Fn(&ColumnRecord) -> bool,
    settings: &SyncSettings,
    notices: &mut Vec<Notice>,
) -> Result<Vec<ColumnRecord>> {
    let mut out = Vec::with_capacity(columns.len());
    for c in columns {
        if readable(c) {
            out.push(c.clone());
        } else if settings.skip_unsupported {
            notices.push(Notice::notice(format!(
                "column {table}.{} of type {} cannot be read by Flink's JDBC connector: skipped",
                c.name, c.source_type
            )));
        } else {
            return Err(SluiceError::not_supported(
                format!(
                    "column {table}.{} has type {}, which Flink's JDBC connector cannot read",
                    c.name, c.source_type
                ),
                Some(
                    "Set unsupported_types = 'skip' to leave such columns out, exclude the table, or copy it with engine = 'local' or 'seatunnel'.",
                ),
            ));
        }
    }
    Ok(out)
}

/// A sync reads a database of a MySQL or PostgreSQL source and writes a sink it maps
/// types into; DATABASE after the sink exactly when the sink has databases.
fn check_kinds(statement: &CreateSync, source: &LoadedSource, sink: &LoadedSource) -> Result<()> {
    let wrong = |message: String, hint: &str| SluiceError::Query {
        state: SqlState::WrongObjectType,
        message,
        hint: Some(hint.to_owned()),
        pos: None,
    };
    let names = |types: &mut dyn Iterator<Item = &'static SourceType>| {
        types.map(|t| t.name).collect::<Vec<_>>().join(", ")
    };
    if source.source_type.sync.read.is_none() {
        return Err(wrong(
            format!(
                "cannot sync from {}: sources of type {} have no databases to introspect",
                source.record.name, source.source_type.name
            ),
            &format!(
                "Syncs read {} sources; write a pipeline for other sources.",
                names(&mut sync::source_types())
            ),
        ));
    }
    if sink.source_type.sync.write.is_none() {
        return Err(wrong(
            format!(
                "cannot sync into {}: Sluice maps no types into sources of type {}",
                sink.record.name, sink.source_type.name
            ),
            &format!("Syncs write {}.", names(&mut sync::sink_types())),
        ));
    }
    match (sink.source_type.has_databases, &statement.sink_database) {
        (true, None) => Err(SluiceError::Syntax {
            message: format!(
                "sink {} of type {} needs DATABASE after its name",
                sink.record.name, sink.source_type.name
            ),
            pos: None,
        }),
        (false, Some(_)) => Err(SluiceError::Syntax {
            message: format!(
                "sink {} of type {} has no databases: leave out DATABASE",
                sink.record.name, sink.source_type.name
            ),
            pos: None,
        }),
        _ => Ok(()),
    }
}

/// Introspected tables keep their kind in the definition; views are not synced.
fn is_base_table(table: &TableRecord) -> Result<bool> {
    match table.definition.as_deref() {
        Some(d) => Ok(TableDefinition::from_stored(d, &table.name)?.is_base_table()),
        None => Ok(true),
    }
}

/// The options of the sync's pipeline.
fn pipeline_options(
    settings: &SyncSettings,
    given: &ResolvedOptions,
    engine: PipelineEngine,
    target: Option<&str>,
) -> Vec<SqlOption> {
    let text =
        |key: &str, value: &str| SqlOption { key: key.into(), value: OptionValue::String(value.into()) };
    let mut out = vec![
        text("engine", engine.as_str()),
        text("mode", if settings.streaming() { "streaming" } else { "batch" }),
        text("parallelism", &settings.parallelism),
    ];
    if !settings.streaming() {
        // each table is replaced on its own: a run that fails leaves every table as it
        // was or fully copied, and holds one sink connection per worker
        out.push(text("write_mode", "overwrite"));
        out.push(text("transaction", "table"));
    }
    if let Some(target) = target {
        out.push(text("target", target));
    }
    if let Some(batch_size) = &settings.batch_size {
        out.push(text("batch_size", batch_size));
    }
    if let Some(workers) = &settings.workers {
        out.push(text("workers", workers));
    }
    for (key, value) in &given.0 {
        if let (true, crate::connectors::StoredValue::Text(v)) =
            (key.starts_with("flink.") || key.starts_with("seatunnel."), value)
        {
            out.push(text(key, v));
        }
    }
    out
}
