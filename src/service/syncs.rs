//! Whole-database syncs: CREATE SYNC DATABASE plans every selected table from the
//! source's metadata (read fresh, [`super::sync_plan`]) and stores the sync, its tables and
//! the pipeline it compiles into in one transaction; REFRESH SYNC plans again and stores
//! what changed; the START of a full sync plans again too, applies `schema_change` to the
//! sink tables ([`crate::sync::evolve`]) and then runs the new plan.

use sluice_catalog::StoreError;
use sluice_catalog::privileges::ObjectKind;

use super::Actor;
use super::sync_plan::{self, Planned};
use crate::connectors::ResolvedOptions;
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::runtime::Runtime;
use crate::sql::ast::sync::{CreateSync, Including, SourceDatabases};
use crate::sync::options::SyncSettings;
use crate::sync::{self, SyncTable};

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
    let draft = sync_plan::draft(rt, statement, notices).await?;
    let planned = sync_plan::finish(rt, &actor.role, draft, notices).await?;
    match store(rt, &planned, statement.or_replace, &actor.role).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists { kind: "sync", .. }) if statement.if_not_exists => {
            notices.push(skipping(name));
            return Ok(());
        }
        Err(e) => return Err(already_exists(name, e)),
    }
    let record = &planned.record;
    notices.push(Notice::notice(format!(
        "sync {name}: {} tables from {}.{} into {}{}, as pipeline {name} (engine {})",
        planned.tables.len(),
        record.source,
        if record.source_database_pattern {
            crate::sql::ast::quote_literal(&record.source_database)
        } else {
            record.source_database.clone()
        },
        record.sink,
        Some(&record.sink_database).filter(|d| !d.is_empty()).map(|d| format!(".{d}")).unwrap_or_default(),
        planned.engine,
    )));
    Ok(())
}

async fn store(
    rt: &Runtime,
    planned: &Planned,
    replace: bool,
    actor: &str,
) -> std::result::Result<(), StoreError> {
    let rows: Vec<_> = planned.tables.iter().map(SyncTable::record).collect();
    rt.store.put_sync(&planned.record, &rows, &planned.pipeline, replace, actor).await
}

/// One change `REFRESH SYNC` made to a sync's tables.
pub struct TableChange {
    /// `+` added, `-` gone, `~` columns changed.
    pub change: &'static str,
    pub source_table: String,
    pub sink_table: String,
}

/// The statement sync `record` was made with (as CREATE OR REPLACE).
pub fn statement_of(record: &sluice_catalog::SyncRecord, options: &ResolvedOptions) -> CreateSync {
    let ident = |s: &str| crate::sql::ast::Ident::new(s.to_owned());
    CreateSync {
        name: ident(&record.name),
        or_replace: true,
        if_not_exists: false,
        source: ident(&record.source),
        source_database: if record.source_database_pattern {
            SourceDatabases::Matching(record.source_database.clone())
        } else {
            SourceDatabases::Named(ident(&record.source_database))
        },
        including: record.including.clone().map_or(Including::All, Including::Tables),
        excluding: record.excluding.clone(),
        sink: ident(&record.sink),
        sink_database: (!record.sink_database.is_empty()).then(|| ident(&record.sink_database)),
        options: options.to_sql_with(crate::sync::options::OPTIONS),
    }
}

/// Plans sync `name` again from its source's current metadata, with the statement and
/// options it was made with (as CREATE OR REPLACE would), stores it when a table changed
/// (its pipeline gets a new version), and returns what changed.
pub async fn refresh(
    rt: &Runtime,
    actor: &Actor,
    name: &str,
    notices: &mut Vec<Notice>,
) -> Result<Vec<TableChange>> {
    let Some(record) = rt.store.sync(name).await? else {
        return Err(SluiceError::UndefinedObject { kind: "sync", name: name.to_owned() });
    };
    let rights = actor.rights(rt).await?;
    rights.require_owner(ObjectKind::Sync, name).await?;
    rights.require_usage_of_sources([record.source.as_str(), record.sink.as_str()]).await?;
    let before = SyncTable::from_records(&record, &rt.store.sync_tables(name).await?)?;
    let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
    let draft = sync_plan::draft(rt, &statement_of(&record, &options), notices).await?;
    let planned = sync_plan::finish(rt, &record.owner, draft, notices).await?;
    let changed = changes(&before, &planned.tables);
    if !changed.is_empty() {
        store(rt, &planned, true, &actor.role).await.map_err(|e| already_exists(name, e))?;
    }
    let streaming = SyncSettings::new(&options)?.streaming();
    for c in changed.iter().filter(|c| c.change == "~") {
        notices.push(if streaming && planned.engine != sluice_catalog::PipelineEngine::FlinkCdc {
            Notice::warning(
                format!(
                    "the columns of {} changed: sink table {} keeps its own until it is changed",
                    c.source_table, c.sink_table
                ),
                Some(
                    "ALTER the sink table to match (DESCRIBE SYNC shows the mapping) before the next START.",
                ),
            )
        } else {
            Notice::notice(format!(
                "the columns of {} changed: the next START applies them to sink table {} (schema_change)",
                c.source_table, c.sink_table
            ))
        });
    }
    Ok(changed)
}

/// Before the START of pipeline `name`: when a full sync made it, plans the sync again
/// (a full run always reads the source's tables as they are now), brings the sink tables
/// to it per `schema_change`, and stores the new plan when a table changed — so that
/// START runs it. Nothing for other pipelines and streaming syncs. Returns whether a new
/// plan was stored. Runs under the catalog lock (START itself does not take it): a sync
/// dropped or replaced meanwhile is not stored again.
pub async fn before_start(rt: &Runtime, name: &str, notices: &mut Vec<Notice>) -> Result<bool> {
    let Some(record) = rt.store.sync(name).await? else { return Ok(false) };
    let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
    if SyncSettings::new(&options)?.streaming() {
        return Ok(false);
    }
    // the sync reads and writes with its owner's rights, as its pipeline does
    let owner = Actor::new(record.owner.clone()).rights(rt).await?;
    owner.require_usage_of_sources([record.source.as_str(), record.sink.as_str()]).await?;
    let lock = rt.store.catalog_lock().await?;
    let replanned = replan(rt, name, notices).await;
    lock.release().await;
    replanned
}

async fn replan(rt: &Runtime, name: &str, notices: &mut Vec<Notice>) -> Result<bool> {
    let Some(record) = rt.store.sync(name).await? else { return Ok(false) };
    let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
    if SyncSettings::new(&options)?.streaming() {
        return Ok(false);
    }
    let active = rt.store.deployments(Some(name)).await?.iter().any(|d| d.state.is_active());
    if active {
        // START refuses it; the sink tables are not touched under a running copy
        return Ok(false);
    }
    let before = SyncTable::from_records(&record, &rt.store.sync_tables(name).await?)?;
    // planning's own notices (introspected, engine chosen, no key …) are said again only
    // when the plan changed
    let mut planning = Vec::new();
    let mut draft = sync_plan::draft(rt, &statement_of(&record, &options), &mut planning).await?;
    let sink_db = draft.sink_db.clone();
    let alters = sync::evolve::reconcile(
        &draft.settings,
        draft.sink.source_type,
        sink_db.as_deref(),
        &mut draft.tables,
        &draft.existing,
        notices,
    )?;
    for alter in alters.into_iter().filter(|a| !a.statements.is_empty()) {
        let statements: Vec<(String, String)> = alter
            .statements
            .iter()
            .map(|s| (format!("{}.{}", sink_db.as_deref().unwrap_or_default(), alter.sink_table), s.clone()))
            .collect();
        let endpoint = draft.sink.endpoint();
        let Some(done) = draft.sink.source_type.connector.run_ddl(&endpoint, &statements).await else {
            continue;
        };
        match done {
            Ok(()) => {
                // the binding of a sink START does not create reads its columns from the catalog
                if let Some(db) = &sink_db {
                    crate::connectors::access::introspect(
                        &rt.store,
                        &draft.sink,
                        db,
                        Some(&alter.sink_table),
                    )
                    .await?;
                }
            }
            Err(e) if alter.fallback => {
                notices.push(Notice::warning(
                    format!("sink table {} was not changed ({e}): copied with the columns it has", alter.sink_table),
                    Some("schema_change = 'try_evolve' copies a table the sink will not change as 'ignore' would."),
                ));
                if let Some(current) = draft.existing.get(&alter.sink_table).cloned() {
                    sync::evolve::narrow(&mut draft.tables, &alter.sink_table, &current, notices);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let planned = sync_plan::finish(rt, &record.owner, draft, &mut planning).await?;
    let changed = changes(&before, &planned.tables);
    if changed.is_empty() {
        return Ok(false);
    }
    notices.append(&mut planning);
    for c in &changed {
        notices.push(Notice::notice(format!(
            "sync {name}: {} {} (sink table {}) since it was last planned",
            c.source_table,
            match c.change {
                "+" => "added",
                "-" => "gone",
                _ => "changed",
            },
            c.sink_table
        )));
    }
    store(rt, &planned, true, &record.owner).await.map_err(|e| already_exists(name, e))?;
    Ok(true)
}

/// Each table of sync `name` as planned, and as its source is now: `planned` (unchanged),
/// `changed` (its columns map differently now; shown as they are now), `gone` (no longer
/// on the source), `new` (matches INCLUDING now, not planned: REFRESH SYNC or a full
/// sync's START plans it). When the source cannot be read (or `actor` may not use it),
/// the planned tables with no state and a WARNING saying why.
pub async fn tables_now(
    rt: &Runtime,
    actor: &Actor,
    name: &str,
    notices: &mut Vec<Notice>,
) -> Result<Vec<(SyncTable, Option<&'static str>)>> {
    let Some(record) = rt.store.sync(name).await? else {
        return Err(SluiceError::UndefinedObject { kind: "sync", name: name.to_owned() });
    };
    let planned = SyncTable::from_records(&record, &rt.store.sync_tables(name).await?)?;
    let now = async {
        let rights = actor.rights(rt).await?;
        rights.require_usage_of_sources([record.source.as_str(), record.sink.as_str()]).await?;
        let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
        let mut ignored = Vec::new();
        Ok::<_, SluiceError>(
            sync_plan::draft(rt, &statement_of(&record, &options), &mut ignored).await?.tables,
        )
    }
    .await;
    let now = match now {
        Ok(tables) => tables,
        Err(e) => {
            notices.push(Notice::warning(
                format!("the tables of sync {name} as planned only: its source was not read ({e})"),
                None,
            ));
            return Ok(planned.into_iter().map(|t| (t, None)).collect());
        }
    };
    let find =
        |tables: &[SyncTable], t: &SyncTable| tables.iter().position(|o| o.source_name() == t.source_name());
    let mut out: Vec<(SyncTable, Option<&'static str>)> = Vec::with_capacity(planned.len());
    for t in &planned {
        out.push(match find(&now, t) {
            None => (t.clone(), Some("gone")),
            Some(i) if now[i].columns != t.columns || now[i].sink_table != t.sink_table => {
                (now[i].clone(), Some("changed"))
            }
            Some(_) => (t.clone(), Some("planned")),
        });
    }
    out.extend(now.iter().filter(|t| find(&planned, t).is_none()).map(|t| (t.clone(), Some("new"))));
    Ok(out)
}

/// The tables added (`+`), gone (`-`) and with changed columns (`~`) from `before` to
/// `after`, in that order, each by source table name.
fn changes(before: &[SyncTable], after: &[SyncTable]) -> Vec<TableChange> {
    let find = |tables: &[SyncTable], name: &str| tables.iter().position(|t| t.source_name() == name);
    let change = |change, t: &SyncTable| TableChange {
        change,
        source_table: t.source_name(),
        sink_table: t.sink_table.clone(),
    };
    let mut out: Vec<TableChange> =
        after.iter().filter(|t| find(before, &t.source_name()).is_none()).map(|t| change("+", t)).collect();
    out.extend(before.iter().filter(|t| find(after, &t.source_name()).is_none()).map(|t| change("-", t)));
    out.extend(after.iter().filter_map(|t| {
        let old = &before[find(before, &t.source_name())?];
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
