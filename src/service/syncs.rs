//! Creating a whole-database sync (`CREATE SYNC DATABASE`): every selected table is
//! planned from the source's metadata (read fresh), the pipeline it compiles into is
//! bound, and the sync, its tables and the pipeline are stored in one transaction.

use std::collections::HashMap;

use regex::Regex;
use sluice_catalog::{ColumnRecord, PipelineEngine, StoreError, SyncRecord, TableRecord};

use sluice_catalog::privileges::ObjectKind;

use super::Actor;
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
use crate::sql::ast::sync::{CreateSync, Including};
use crate::sync::options::{SyncSettings, anchored, schema};
use crate::sync::{self, SyncTable};

/// Tables between two progress NOTICEs.
const PROGRESS_EVERY: usize = 500;

/// The tables of the source database the sync reads, with their columns.
type Selected = Vec<(TableRecord, Vec<ColumnRecord>)>;

/// Plans and stores the sync `statement` describes (see the module documentation).
pub async fn create(
    rt: &Runtime,
    actor: &Actor,
    statement: &CreateSync,
    notices: &mut Vec<Notice>,
) -> Result<()> {
    let name = statement.name.as_str();
    let rights = actor.rights(rt).await?;
    let replaces = statement.or_replace.then_some(name);
    rights.require_create("syncs")?;
    if let Some(name) = replaces {
        rights.require_owner(ObjectKind::Sync, name).await?;
    }
    rights.require_usage_of_sources([statement.source.as_str(), statement.sink.as_str()]).await?;
    if statement.if_not_exists && rt.store.sync(name).await?.is_some() {
        notices.push(skipping(name));
        return Ok(());
    }
    let options = validate_with(schema(), &ResolvedOptions::default(), &statement.options)?;
    let settings = SyncSettings::new(&options)?;
    let source = super::sources::load(rt, statement.source.as_str()).await?;
    let sink = super::sources::load(rt, statement.sink.as_str()).await?;
    check_kinds(statement, &source, &sink)?;
    let source_db = statement.source_database.as_str();
    let sink_db = statement.sink_database.as_ref().map(|d| d.as_str().to_owned());
    let (engine, target) = sync::engine(&settings, sink.source_type, notices)?;
    sync::check_schema_change(&settings, engine, target.as_deref())?;
    let selected = select_tables(rt, statement, &source, notices).await?;
    // Existing sink tables are read once here, so binding needs no lookup per table (a
    // sink Sluice cannot introspect, such as a Paimon warehouse on S3, has its tables
    // created by the engine).
    if let Some(db) = &sink_db
        && sink.source_type.introspects
    {
        access::introspect(&rt.store, &sink, db, None).await?;
    }
    // a one-time copy on a Flink cluster reads a PostgreSQL source through Flink's JDBC connector
    let flink_jdbc = engine == PipelineEngine::Flink
        && target.as_deref() != Some(crate::deploy::targets::LOCAL)
        && !settings.streaming()
        && source.source_type.name == "postgres";
    let readable = |c: &ColumnRecord| !flink_jdbc || crate::connectors::postgres::sync::flink_jdbc_reads(c);
    let tables = plan_tables(&settings, &source, &sink, sink_db.as_deref(), &selected, &readable, notices)?;

    let record = SyncRecord {
        name: name.to_owned(),
        source: source.record.name.clone(),
        source_database: source_db.to_owned(),
        including: match &statement.including {
            Including::All => None,
            Including::Tables(r) => Some(r.clone()),
        },
        excluding: statement.excluding.clone(),
        sink: sink.record.name.clone(),
        sink_database: sink_db.clone().unwrap_or_default(),
        options: options.to_json(),
        owner: actor.role.clone(),
        created_at: 0,
        updated_at: 0,
    };
    let body_sql = sync::body(&record.source, source_db, &record.sink, sink_db.as_deref(), &tables);
    let body = crate::sql::parse_pipeline_body(&body_sql)?;
    let pipeline_options = validate_with(
        crate::plan::bind::option_schema(),
        &ResolvedOptions::default(),
        &pipeline_options(&settings, &options, engine, target.as_deref()),
    )?;
    let presets = sync::presets(&record, &tables, &settings);
    let mut ctx = PlanCtx { store: &rt.store, master_key: &rt.master_key, notices: &mut *notices };
    let bound = bind_with(&mut ctx, pipeline_options, &body, Tables::Schemas, &presets).await?;
    crate::deploy::targets::check_exists(&rt.store, bound.settings.target.as_deref()).await?;
    let pipeline = new_pipeline(name, &bound, &body);
    let rows: Vec<_> = tables.iter().map(SyncTable::record).collect();
    match rt.store.put_sync(&record, &rows, &pipeline, statement.or_replace, &actor.role).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists { kind: "sync", .. }) if statement.if_not_exists => {
            notices.push(skipping(name));
            return Ok(());
        }
        Err(e) => return Err(already_exists(name, e)),
    }
    notices.push(Notice::notice(format!(
        "sync {name}: {} tables from {}.{source_db} into {}{}, as pipeline {name} (engine {engine})",
        tables.len(),
        record.source,
        record.sink,
        sink_db.map(|d| format!(".{d}")).unwrap_or_default(),
    )));
    Ok(())
}

/// One change `REFRESH SYNC` made to a sync's tables.
pub struct TableChange {
    /// `+` added, `-` gone, `~` columns changed.
    pub change: &'static str,
    pub source_table: String,
    pub sink_table: String,
}

/// Plans sync `name` again from its source's current metadata, with the statement and
/// options it was made with (as CREATE OR REPLACE would), and returns what changed.
pub async fn refresh(rt: &Runtime, actor: &Actor, name: &str, notices: &mut Vec<Notice>) -> Result<Vec<TableChange>> {
    let Some(record) = rt.store.sync(name).await? else {
        return Err(SluiceError::UndefinedObject { kind: "sync", name: name.to_owned() });
    };
    let before = SyncTable::from_records(name, &rt.store.sync_tables(name).await?)?;
    let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
    let ident = |s: &str| crate::sql::ast::Ident::new(s.to_owned());
    let statement = CreateSync {
        name: ident(name),
        or_replace: true,
        if_not_exists: false,
        source: ident(&record.source),
        source_database: ident(&record.source_database),
        including: record.including.clone().map_or(Including::All, Including::Tables),
        excluding: record.excluding.clone(),
        sink: ident(&record.sink),
        sink_database: (!record.sink_database.is_empty()).then(|| ident(&record.sink_database)),
        options: options.to_sql_with(crate::sync::options::OPTIONS),
    };
    create(rt, actor, &statement, notices).await?;
    let after = SyncTable::from_records(name, &rt.store.sync_tables(name).await?)?;
    let changed = changes(&before, &after);
    for c in changed.iter().filter(|c| c.change == "~") {
        notices.push(Notice::warning(
            format!("the columns of {} changed: sink table {} keeps its own until it is changed", c.source_table, c.sink_table),
            Some("ALTER the sink table to match (DESCRIBE SYNC shows the mapping), or drop it for START to create it again."),
        ));
    }
    Ok(changed)
}

/// The tables added (`+`), gone (`-`) and with changed columns (`~`) from `before` to
/// `after`, in that order, each by source table name.
fn changes(before: &[SyncTable], after: &[SyncTable]) -> Vec<TableChange> {
    let find = |tables: &[SyncTable], name: &str| tables.iter().position(|t| t.source_table == name);
    let change = |change, t: &SyncTable| TableChange {
        change,
        source_table: t.source_table.clone(),
        sink_table: t.sink_table.clone(),
    };
    let mut out: Vec<TableChange> =
        after.iter().filter(|t| find(before, &t.source_table).is_none()).map(|t| change("+", t)).collect();
    out.extend(before.iter().filter(|t| find(after, &t.source_table).is_none()).map(|t| change("-", t)));
    out.extend(after.iter().filter_map(|t| {
        let old = &before[find(before, &t.source_table)?];
        (old.columns != t.columns || old.sink_table != t.sink_table).then(|| change("~", t))
    }));
    out
}

fn skipping(name: &str) -> Notice {
    Notice::notice(format!("sync \"{name}\" already exists, skipping"))
}

/// A sync, or the pipeline of the sync's name, exists already.
fn already_exists(name: &str, e: StoreError) -> SluiceError {
    match e {
        StoreError::AlreadyExists { kind: "sync", .. } => {
            SluiceError::DuplicateObject { kind: "sync", name: name.to_owned() }
        }
        StoreError::AlreadyExists { .. } => SluiceError::Query {
            state: SqlState::DuplicateObject,
            message: format!("pipeline \"{name}\" already exists"),
            hint: Some("A sync compiles into a pipeline of its own name; choose another name.".into()),
            pos: None,
        },
        other => other.into(),
    }
}

/// The base tables of the source database that INCLUDING / EXCLUDING select, read fresh.
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
    let source_db = statement.source_database.as_str();
    if !access::databases(&rt.store, source).await?.iter().any(|d| d == source_db) {
        return Err(SluiceError::Query {
            state: SqlState::InvalidCatalogName,
            message: format!("database \"{source_db}\" of source {} does not exist", source.record.name),
            hint: Some(format!("SHOW DATABASES FROM {} lists them.", source.record.name)),
            pos: None,
        });
    }
    let introspected = access::refresh(&rt.store, source, source_db, None).await?;
    notices.push(Notice::notice(format!(
        "introspected {} tables of {}.{source_db}",
        introspected.len(),
        source.record.name
    )));
    let mut bases = Vec::with_capacity(introspected.len());
    for (table, columns) in introspected {
        if is_base_table(&table)? {
            bases.push((table, columns));
        }
    }
    let selected: Selected = bases
        .into_iter()
        .filter(|(t, _)| including.as_ref().is_none_or(|r| r.is_match(&t.name)))
        .filter(|(t, _)| excluding.as_ref().is_none_or(|r| !r.is_match(&t.name)))
        .collect();
    if selected.is_empty() {
        return Err(SluiceError::Query {
            state: SqlState::UndefinedTable,
            message: format!(
                "no table of {}.{source_db} matches the sync's INCLUDING / EXCLUDING",
                source.record.name
            ),
            hint: None,
            pos: None,
        });
    }
    Ok(selected)
}

/// Each selected table's sink table: its name, mapped columns and DDL.
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
    let mut sink_names: HashMap<String, usize> = HashMap::new();
    for (i, (table, columns)) in selected.iter().enumerate() {
        let sink_table = sync::sink_name(settings, &table.name);
        if let Some(&other) = sink_names.get(&sink_table) {
            return Err(SluiceError::DuplicateObject {
                kind: "sink table",
                name: format!("{sink_table} (from both {} and {})", tables[other].source_table, table.name),
            });
        }
        sink_names.insert(sink_table.clone(), i);
        let read = engine_reads(&table.name, columns, readable, settings, notices)?;
        let mapped =
            sync::map_columns(source.source_type, sink.source_type, &table.name, &read, settings, notices)?;
        if !mapped.iter().any(|c| c.key) {
            if settings.streaming() {
                return Err(SluiceError::not_supported(
                    format!(
                        "table {} has no primary key: its changes cannot be applied to {sink_table}",
                        table.name
                    ),
                    Some("Exclude it with EXCLUDING TABLES, or sync it with mode = 'full'."),
                ));
            }
            notices.push(Notice::warning(
                format!("table {} has no primary key: it is copied append-only", table.name),
                Some("Each START of a full sync replaces the sink table's rows (write_mode overwrite)."),
            ));
        }
        let ddl = match sink_db {
            Some(db) => sync::ddl::create_table(sink.source_type, db, &sink_table, &mapped),
            None => String::new(),
        };
        let every_column = mapped.len() == columns.iter().filter(|c| c.data_type != "COMPUTED").count();
        tables.push(SyncTable {
            source_table: table.name.clone(),
            sink_table,
            columns: mapped,
            ddl,
            every_column,
        });
        if selected.len() > PROGRESS_EVERY && (i + 1) % PROGRESS_EVERY == 0 {
            notices.push(Notice::notice(format!("planned {}/{} tables", i + 1, selected.len())));
        }
    }
    Ok(tables)
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
