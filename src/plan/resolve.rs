//! Finding the tables a pipeline body names: `source.database.table` (`source.table` for
//! sources without databases), with their columns from the catalog (cached metadata, read
//! live when not cached yet) — and the views the body defines.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{ObjectName, Query, Spanned, visit_relations};
use sluice_catalog::{ColumnRecord, TableRecord};

use super::PlanCtx;
use crate::connectors::access::{self, Found, LoadedSource};
use crate::connectors::definition::TableDefinition;
use crate::connectors::{ResolvedOptions, SourceType};
use crate::error::{Result, SluiceError, SourcePos};
use crate::sql::ast::pipeline::BodyStatement;

/// `source`, `database` (`""` without databases), `table`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TablePath {
    pub source: String,
    pub database: String,
    pub table: String,
}

impl TablePath {
    /// The path `name` spells: `source.database.table`, or `source.table` (no database).
    pub fn named(name: &ObjectName) -> Option<TablePath> {
        match parts(name).as_slice() {
            [s, d, t] => Some(TablePath { source: s.clone(), database: d.clone(), table: t.clone() }),
            [s, t] => Some(TablePath { source: s.clone(), database: String::new(), table: t.clone() }),
            _ => None,
        }
    }
}

impl std::fmt::Display for TablePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.database.is_empty() {
            write!(f, "{}.{}", self.source, self.table)
        } else {
            write!(f, "{}.{}.{}", self.source, self.database, self.table)
        }
    }
}

/// A table the pipeline reads or writes.
#[derive(Debug, Clone)]
pub struct TableUse {
    pub path: TablePath,
    pub source_type: &'static SourceType,
    pub source_options: ResolvedOptions,
    pub columns: Vec<ColumnRecord>,
    /// Its definition as stored: a declared table's options, watermark and key; what an
    /// introspected table's connector keeps of it.
    pub definition: Option<TableDefinition>,
    /// A sink that does not exist yet: created with the columns its INSERT writes.
    pub create: bool,
    /// For a created sink, the exact DDL that creates it (a sync's, in the sink's dialect).
    pub ddl: Option<String>,
}

/// What is fixed before binding: for a sync's pipeline, the columns and DDL of the sink
/// tables it creates, the options its source tables are read with, and how schema
/// changes are treated; for a schedule run, the logical interval of `${interval_start}`
/// and `${interval_end}`.
#[derive(Debug, Clone, Default)]
pub struct Presets {
    pub sinks: HashMap<TablePath, (Vec<ColumnRecord>, String)>,
    pub read_options: ResolvedOptions,
    /// Flink CDC's `schema.change.behavior` (upper case).
    pub schema_change: Option<String>,
    /// The tables a sync's change stream takes as patterns, so that tables created later
    /// are picked up (Flink CDC).
    pub capture: Option<Capture>,
    /// The run's interval (`None`: the default, see [`crate::sql::placeholders`]).
    pub interval: Option<crate::sql::placeholders::Interval>,
}

/// What a streaming sync captures by pattern, in Flink CDC's terms: its source's `tables`
/// and `tables.exclude` (the dot separates database and table; `\.` is any character), and
/// a last route for tables created later (`<>` stands for the table's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub tables: String,
    pub exclude: Option<String>,
    pub route_from: String,
    pub route_to: String,
}

impl TableUse {
    /// Columns that hold data (not computed).
    pub fn physical_columns(&self) -> impl Iterator<Item = &ColumnRecord> {
        self.columns.iter().filter(|c| c.data_type != "COMPUTED")
    }
}

/// The normalised parts of a name (unquoted parts fold to lower case).
pub fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() })
        .collect()
}

fn pos_of(name: &ObjectName) -> Option<SourcePos> {
    let span = name.span();
    (span.start.line > 0).then_some(SourcePos { line: span.start.line, column: span.start.column })
}

/// Every relation a query reads, in order of appearance.
pub fn relations(query: &Query) -> Vec<ObjectName> {
    let mut out = Vec::new();
    let _ = visit_relations(query, |name| {
        out.push(name.clone());
        ControlFlow::<()>::Continue(())
    });
    out
}

/// Resolves the tables of `body` (views excluded) to [`TableUse`]s, loading metadata.
pub async fn resolve(
    ctx: &mut PlanCtx<'_>,
    body: &[BodyStatement],
    presets: &Presets,
) -> Result<Vec<TableUse>> {
    let mut views: Vec<String> = Vec::new();
    // (name, whether it is written)
    let mut names: Vec<(ObjectName, bool)> = Vec::new();
    for statement in body {
        match statement {
            BodyStatement::View { name, query, .. } => {
                names
                    .extend(relations(query).into_iter().filter(|n| !is_view(&views, n)).map(|n| (n, false)));
                views.push(name.as_str().to_owned());
            }
            BodyStatement::Insert { sink, query, .. } => {
                // writing a view is refused when binding, with its own error
                if !is_view(&views, sink) {
                    names.push((sink.clone(), true));
                }
                names
                    .extend(relations(query).into_iter().filter(|n| !is_view(&views, n)).map(|n| (n, false)));
            }
        }
    }
    let mut lookup = Lookup::default();
    let mut paths: Vec<(TablePath, ObjectName, bool)> = Vec::new();
    let mut seen: HashMap<TablePath, usize> = HashMap::new();
    for (name, written) in names {
        let path = table_path(ctx, &mut lookup, &name).await?;
        match seen.get(&path) {
            Some(&i) => paths[i].2 &= written,
            None => {
                seen.insert(path.clone(), paths.len());
                paths.push((path, name, written));
            }
        }
    }
    lookup.prefetch(ctx, &paths).await?;
    let mut tables: Vec<TableUse> = Vec::with_capacity(paths.len());
    for (path, name, only_written) in paths {
        let mut table = match presets.sinks.get(&path) {
            Some((columns, ddl)) if only_written => preset_sink(ctx, &lookup, path, columns, ddl).await?,
            _ => load(ctx, &lookup, path, &name, only_written).await?,
        };
        // a sync reads its source tables with its options (declared tables keep their own)
        if !only_written && !presets.read_options.0.is_empty() {
            let definition = table.definition.get_or_insert_with(TableDefinition::default);
            if !definition.is_declared() {
                definition.options = presets.read_options.clone();
            }
        }
        tables.push(table);
    }
    Ok(tables)
}

/// Databases with at least this many tables named have their cached tables and columns
/// read in two queries.
const PREFETCH_FROM: usize = 16;

/// A table's catalog record and columns.
type Known = (TableRecord, Vec<ColumnRecord>);

/// What resolving reads more than once: each source (loaded once), and the cached
/// tables of databases many of whose tables are named (a sync's pipeline).
#[derive(Default)]
struct Lookup {
    sources: HashMap<String, LoadedSource>,
    tables: HashMap<(String, String), HashMap<String, Known>>,
}

impl Lookup {
    fn source(&self, name: &str) -> Result<&LoadedSource> {
        self.sources.get(name).ok_or_else(|| SluiceError::Internal(format!("source {name} was not loaded")))
    }

    async fn prefetch(&mut self, ctx: &PlanCtx<'_>, paths: &[(TablePath, ObjectName, bool)]) -> Result<()> {
        let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
        for (p, ..) in paths {
            *counts.entry((p.source.as_str(), p.database.as_str())).or_default() += 1;
        }
        for ((source, database), n) in counts {
            if n >= PREFETCH_FROM {
                let mut columns = ctx.store.columns_in(source, database).await?;
                let tables = ctx.store.tables(source, Some(database)).await?;
                let known = tables
                    .into_iter()
                    .map(|t| {
                        let c = columns.remove(&t.name).unwrap_or_default();
                        (t.name.clone(), (t, c))
                    })
                    .collect();
                self.tables.insert((source.to_owned(), database.to_owned()), known);
            }
        }
        Ok(())
    }

    /// `Some` when `path`'s database was prefetched: its record and columns when cached
    /// (`None` inside when not).
    fn cached(&self, path: &TablePath) -> Option<Option<&Known>> {
        self.tables.get(&(path.source.clone(), path.database.clone())).map(|tables| tables.get(&path.table))
    }
}

fn is_view(views: &[String], name: &ObjectName) -> bool {
    matches!(parts(name).as_slice(), [single] if views.contains(single))
}

fn undefined(name: &ObjectName, why: Option<String>) -> SluiceError {
    match why {
        Some(hint) => SluiceError::Query {
            state: crate::error::SqlState::UndefinedTable,
            message: format!("relation \"{name}\" does not exist"),
            hint: Some(hint),
            pos: pos_of(name),
        },
        None => SluiceError::UndefinedTable { name: name.to_string(), pos: pos_of(name) },
    }
}

/// `source.database.table` or `source.table`, checked against the source's kind (the
/// source loaded into `lookup`).
async fn table_path(ctx: &PlanCtx<'_>, lookup: &mut Lookup, name: &ObjectName) -> Result<TablePath> {
    let parts = parts(name);
    let no_source = || {
        undefined(name, Some("Pipelines read and write tables of sources: source.database.table, or source.table for Kafka-like sources.".into()))
    };
    let Some(source_name) = parts.first() else { return Err(no_source()) };
    if !lookup.sources.contains_key(source_name) {
        let loaded = match access::load(ctx.store, ctx.master_key, source_name).await {
            Err(SluiceError::UndefinedObject { kind: "source", .. }) => return Err(no_source()),
            other => other?,
        };
        lookup.sources.insert(source_name.clone(), loaded);
    }
    let source_type = lookup.source(source_name)?.source_type;
    match TablePath::named(name) {
        // three parts exactly for sources with databases, two for the others
        Some(path) if path.database.is_empty() != source_type.has_databases => Ok(path),
        _ => {
            let expected = if source_type.has_databases { "source.database.table" } else { "source.table" };
            Err(undefined(
                name,
                Some(format!("Tables of {} sources are named {expected}.", source_type.name)),
            ))
        }
    }
}

async fn load(
    ctx: &mut PlanCtx<'_>,
    lookup: &Lookup,
    path: TablePath,
    name: &ObjectName,
    only_written: bool,
) -> Result<TableUse> {
    let source = lookup.source(&path.source)?;
    let found = match lookup.cached(&path).flatten() {
        Some((record, columns)) => Found::Table(record.clone(), columns.clone()),
        None => access::table(ctx.store, source, &path.database, &path.table).await?,
    };
    let (record, columns) = match found {
        Found::Table(record, columns) => (record, columns),
        _ if only_written && source.source_type.creates_tables => {
            return Ok(TableUse {
                path,
                source_type: source.source_type,
                source_options: source.options.clone(),
                columns: Vec::new(),
                definition: None,
                create: true,
                ddl: None,
            });
        }
        missing => return Err(undefined(name, missing.hint(source, &path.to_string()))),
    };
    let definition = record
        .definition
        .as_deref()
        .map(|d| TableDefinition::from_stored(d, &path.to_string()))
        .transpose()?;
    Ok(TableUse {
        path,
        source_type: source.source_type,
        source_options: source.options.clone(),
        columns,
        definition,
        create: false,
        ddl: None,
    })
}

/// A sink table a sync plans: as cached when it exists (no live lookup per table: the
/// sync refreshed the sink database before), else created with the sync's columns and DDL.
async fn preset_sink(
    ctx: &PlanCtx<'_>,
    lookup: &Lookup,
    path: TablePath,
    columns: &[ColumnRecord],
    ddl: &str,
) -> Result<TableUse> {
    let source = lookup.source(&path.source)?;
    let cached = match lookup.cached(&path) {
        Some(known) => known.map(|(_, columns)| columns.clone()).unwrap_or_default(),
        None => ctx.store.columns(&path.source, &path.database, &path.table).await?,
    };
    let create = cached.is_empty();
    Ok(TableUse {
        path,
        source_type: source.source_type,
        source_options: source.options.clone(),
        columns: if create { columns.to_vec() } else { cached },
        definition: None,
        create,
        ddl: (create && !ddl.is_empty()).then(|| ddl.to_owned()),
    })
}
