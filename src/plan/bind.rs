//! Checking a pipeline body with DataFusion before anything is stored: every table
//! exists, every column and expression type-checks, each query's output fits its sink
//! (count and assignable types), and each sink can be written. The same binding, with
//! live tables instead of schemas, is what PREVIEW runs.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::datasource::view::ViewTable;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    ObjectName, Query, SelectItem, SetExpr, Spanned, Statement as SqlStatement,
};

use super::PlanCtx;
use super::context::planning_context;
use super::options::Settings;
use super::resolve::{Presets, TablePath, TableUse, parts, relations, resolve};
use super::types::{arrow_type, assignable, flink_type};
use crate::connectors::validate::{Schema as OptionSchema, validate_with};
use crate::connectors::{Engine, ResolvedOptions};
use crate::engine::sources::GatewayCatalogs;
use crate::error::{Result, SluiceError, SourcePos, SqlState};
use crate::notice::Notice;
use crate::sql::ast::options::SqlOption;
use crate::sql::ast::pipeline::BodyStatement;
use sluice_catalog::ColumnRecord;

/// A checked pipeline.
pub struct Bound {
    pub options: ResolvedOptions,
    pub settings: Settings,
    pub tables: Vec<TableUse>,
    pub views: Vec<BoundView>,
    pub inserts: Vec<BoundInsert>,
    /// The DataFusion context the body was planned in (its tables, the Flink functions).
    pub planner: SessionContext,
    /// Flink CDC's `schema.change.behavior`, for a sync's pipeline.
    pub schema_change: Option<String>,
    /// The tables a sync's change stream captures by pattern.
    pub capture: Option<super::resolve::Capture>,
}

impl Bound {
    /// Every source the body names, as a source or a sink, once each, by name.
    pub fn source_names(&self) -> Vec<String> {
        let mut sources: Vec<String> = self.tables.iter().map(|t| t.path.source.clone()).collect();
        sources.sort();
        sources.dedup();
        sources
    }
}

/// A `CREATE TEMPORARY VIEW` of the body.
#[derive(Debug)]
pub struct BoundView {
    pub name: String,
    /// Column names given after the view's name (may be empty).
    pub columns: Vec<String>,
    /// The query as written (Flink SQL).
    pub query: Query,
    /// Indexes into [`Bound::tables`] of what it reads.
    pub reads: Vec<usize>,
    /// Views (by name) it reads.
    pub views: Vec<String>,
    pub schema: SchemaRef,
    /// Window functions (TUMBLE, HOP …) it uses.
    pub windows: Vec<String>,
}

/// An `INSERT` of the body.
#[derive(Debug)]
pub struct BoundInsert {
    pub sink: usize,
    /// The sink columns written, in order.
    pub columns: Vec<String>,
    /// The query as written (Flink SQL).
    pub query: Query,
    pub reads: Vec<usize>,
    /// Views (by name) it reads.
    pub views: Vec<String>,
    /// The query's output, named as the sink's columns.
    pub schema: SchemaRef,
    pub plan: LogicalPlan,
    /// Window functions (TUMBLE, HOP …) it uses, itself or through views.
    pub windows: Vec<String>,
}

/// Where tables' rows come from when planning.
pub enum Tables<'a> {
    /// Schemas only: enough to type-check.
    Schemas,
    /// The live tables of the sources, read by DataFusion with filters and limits pushed
    /// to each scan (local runs).
    Live(&'a GatewayCatalogs),
    /// The live tables of the sources, each query's part over one source pushed to it
    /// whole (PREVIEW).
    Federated(&'a GatewayCatalogs),
}

/// The pipeline option schema.
pub fn option_schema() -> OptionSchema<'static> {
    OptionSchema {
        owner: "pipelines",
        listing: "DESCRIBE PIPELINE OPTIONS",
        options: super::options::OPTIONS,
        passthrough: super::options::PASSTHROUGH,
    }
}

/// Checks options and body; see the module documentation.
pub async fn bind(
    ctx: &mut PlanCtx<'_>,
    options: &[SqlOption],
    body: &[BodyStatement],
    tables: Tables<'_>,
) -> Result<Bound> {
    let options = validate_with(option_schema(), &ResolvedOptions::default(), options)?;
    bind_resolved(ctx, options, body, tables).await
}

/// [`bind`] with options already validated (as stored).
pub async fn bind_resolved(
    ctx: &mut PlanCtx<'_>,
    options: ResolvedOptions,
    body: &[BodyStatement],
    tables: Tables<'_>,
) -> Result<Bound> {
    bind_with(ctx, options, body, tables, &Presets::default()).await
}

/// [`bind_resolved`] for a sync's pipeline: its sink tables and read options preset.
pub async fn bind_with(
    ctx: &mut PlanCtx<'_>,
    options: ResolvedOptions,
    body: &[BodyStatement],
    tables: Tables<'_>,
    presets: &Presets,
) -> Result<Bound> {
    let settings = Settings::new(&options)?;
    if settings.parallelism == 0 {
        return Err(SluiceError::InvalidOption {
            message: "invalid value for option \"parallelism\" of pipelines: it must be at least 1".into(),
            hint: None,
        });
    }
    if !body.iter().any(|s| matches!(s, BodyStatement::Insert { .. })) {
        return Err(SluiceError::Syntax {
            message: "a pipeline body needs at least one INSERT INTO … SELECT …".into(),
            pos: None,
        });
    }
    let substituted = crate::sql::placeholders::substitute(body, presets.interval.as_ref())?;
    let body: &[BodyStatement] = &substituted;
    let mut used = resolve(ctx, body, presets).await?;
    check_engine(&settings, &used, body)?;
    let index = TableIndex::new(&used);
    let read = read_tables(&index, body);
    check_readable(&used, &read, body)?;
    super::unreadable::notices(&used, &read, ctx.notices);
    let planner = planning_context(&used, &read, &tables).await?;
    let mut views: Vec<BoundView> = Vec::new();
    let mut inserts = Vec::new();
    for statement in body {
        let view_names: Vec<String> = views.iter().map(|v| v.name.clone()).collect();
        match statement {
            BodyStatement::View { name, columns, query } => {
                let view = bind_view(&planner, &index, &view_names, name, columns, query)
                    .await
                    .map_err(|e| super::unreadable::explain(e, &used))?;
                views.push(view);
            }
            BodyStatement::Insert { sink, columns, query } => {
                let sink = Sink { name: sink, columns, query };
                let insert = bind_insert(ctx, &planner, &index, &mut used, &views, sink).await;
                inserts.push(insert.map_err(|e| super::unreadable::explain(e, &used))?);
            }
        }
    }
    Ok(Bound {
        options,
        settings,
        tables: used,
        views,
        inserts,
        planner,
        schema_change: presets.schema_change.clone(),
        capture: presets.capture.clone(),
    })
}

/// Refuses a body that reads a table of a write-only source type (print, blackhole …).
fn check_readable(used: &[TableUse], read: &[usize], body: &[BodyStatement]) -> Result<()> {
    if let Some(&i) = read.iter().find(|&&i| !used[i].source_type.can_read) {
        let table = &used[i];
        let pos = body.iter().find_map(|s| {
            let query = match s {
                BodyStatement::View { query, .. } | BodyStatement::Insert { query, .. } => query,
            };
            relations(query).into_iter().find(|n| spells(n, table)).and_then(|n| pos_of_name(&n))
        });
        return Err(SluiceError::Query {
            state: SqlState::WrongObjectType,
            message: format!(
                "cannot read from {}: sources of type {} can only be written",
                table.path, table.source_type.name
            ),
            hint: None,
            pos,
        });
    }
    Ok(())
}

/// A view of the body, planned and registered with the planner for what follows.
async fn bind_view(
    planner: &SessionContext,
    index: &TableIndex,
    view_names: &[String],
    name: &crate::sql::ast::Ident,
    columns: &[datafusion::sql::sqlparser::ast::Ident],
    query: &Query,
) -> Result<BoundView> {
    if view_names.iter().any(|v| v == name.as_str()) {
        return Err(SluiceError::DuplicateObject { kind: "view", name: name.as_str().to_owned() });
    }
    check_supported(query)?;
    let plan = plan_query(planner, query).await?;
    let columns: Vec<String> = columns.iter().map(normalise).collect();
    let plan = if columns.is_empty() { plan } else { rename_columns(plan, &columns, name.as_str())? };
    let schema = Arc::new(plan.schema().as_arrow().clone());
    planner.register_table(name.as_str(), Arc::new(ViewTable::new(plan, None))).map_err(SluiceError::from)?;
    Ok(BoundView {
        name: name.as_str().to_owned(),
        columns,
        query: query.clone(),
        reads: reads_of(index, query, view_names),
        views: views_read(query, view_names),
        schema,
        windows: super::rewrite::windows(query),
    })
}

/// An `INSERT INTO sink [(columns)] query` of the body.
struct Sink<'a> {
    name: &'a ObjectName,
    columns: &'a [datafusion::sql::sqlparser::ast::Ident],
    query: &'a Query,
}

/// An INSERT of the body: its sink written (a new sink's columns taken from the query),
/// its query planned and checked against the sink's columns.
async fn bind_insert(
    ctx: &mut PlanCtx<'_>,
    planner: &SessionContext,
    index: &TableIndex,
    used: &mut [TableUse],
    views: &[BoundView],
    sink: Sink<'_>,
) -> Result<BoundInsert> {
    let Sink { name: sink, columns, query } = sink;
    let view_names: Vec<String> = views.iter().map(|v| v.name.clone()).collect();
    if let [single] = parts(sink).as_slice()
        && view_names.contains(single)
    {
        return Err(SluiceError::Query {
            state: SqlState::WrongObjectType,
            message: format!("cannot insert into view \"{single}\""),
            hint: Some("Pipelines write to tables of sources: source.database.table.".into()),
            pos: pos_of_name(sink),
        });
    }
    let sink_index = index.of(sink)?;
    let plan = plan_query(planner, query).await?;
    if used[sink_index].create && used[sink_index].columns.is_empty() {
        used[sink_index].columns = new_columns(columns, &plan);
        super::keys::inherit(used, sink_index, &plan);
        let t = &used[sink_index];
        let shown: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("{} {}", crate::sql::ast::Ident::new(c.name.clone()), c.data_type))
            .collect();
        ctx.notices.push(Notice::notice(format!(
            "table {} does not exist: it will be created as ({}) when the pipeline starts",
            t.path,
            shown.join(", ")
        )));
    }
    let table = &used[sink_index];
    if !table.source_type.can_write {
        return Err(SluiceError::Query {
            state: SqlState::WrongObjectType,
            message: format!(
                "cannot write to {}: sources of type {} can only be read",
                table.path, table.source_type.name
            ),
            hint: None,
            pos: pos_of_name(sink),
        });
    }
    check_supported(query)?;
    let target = sink_columns(table, columns)?;
    check_output(table, &target, &plan, query)?;
    let mut windows = super::rewrite::windows(query);
    for view in views.iter().filter(|v| views_read(query, &view_names).contains(&v.name)) {
        windows.extend(view.windows.iter().cloned());
    }
    let schema = Arc::new(Schema::new(
        plan.schema()
            .fields()
            .iter()
            .zip(&target)
            .map(|(f, name)| Field::new(name, f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    Ok(BoundInsert {
        sink: sink_index,
        columns: target,
        query: query.clone(),
        reads: reads_of(index, query, &view_names),
        views: views_read(query, &view_names),
        schema,
        plan,
        windows,
    })
}

/// The columns of a sink created by its INSERT: named by the column list, or as the
/// query's output; typed as the query's output in Flink SQL.
fn new_columns(columns: &[datafusion::sql::sqlparser::ast::Ident], plan: &LogicalPlan) -> Vec<ColumnRecord> {
    plan.schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| ColumnRecord {
            ordinal: i as i64 + 1,
            name: columns.get(i).map(normalise).unwrap_or_else(|| f.name().clone()),
            data_type: flink_type(f.data_type()),
            source_type: flink_type(f.data_type()),
            nullable: true,
            is_key: false,
        })
        .collect()
}

fn normalise(c: &datafusion::sql::sqlparser::ast::Ident) -> String {
    if c.quote_style.is_some() { c.value.clone() } else { c.value.to_lowercase() }
}

/// `CREATE TEMPORARY VIEW v (a, b)`: the query's columns renamed.
fn rename_columns(plan: LogicalPlan, columns: &[String], view: &str) -> Result<LogicalPlan> {
    use datafusion::logical_expr::{LogicalPlanBuilder, col};
    let fields = plan.schema().columns();
    if fields.len() != columns.len() {
        return Err(SluiceError::Syntax {
            message: format!(
                "view \"{view}\" names {} columns but its query has {}",
                columns.len(),
                fields.len()
            ),
            pos: None,
        });
    }
    let exprs: Vec<_> = fields.into_iter().zip(columns).map(|(f, name)| col(f).alias(name)).collect();
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

fn views_read(query: &Query, views: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in relations(query) {
        if let [single] = parts(&name).as_slice()
            && views.contains(single)
            && !out.contains(single)
        {
            out.push(single.clone());
        }
    }
    out
}

/// Every table's source type must run on the pipeline's engine.
fn check_engine(settings: &Settings, tables: &[TableUse], body: &[BodyStatement]) -> Result<()> {
    let engine = Engine::of_pipeline(settings.engine);
    for table in tables {
        let usable = table.source_type.engines.contains(&engine)
            && (engine != Engine::SeaTunnel || !table.source_type.seatunnel_plugin.is_empty());
        if !usable {
            let pos = body.iter().find_map(|s| {
                let names = match s {
                    BodyStatement::Insert { sink, query, .. } => {
                        let mut n = vec![sink.clone()];
                        n.extend(relations(query));
                        n
                    }
                    BodyStatement::View { query, .. } => relations(query),
                };
                names.into_iter().find(|n| spells(n, table)).and_then(|n| pos_of_name(&n))
            });
            let engines: Vec<String> = table.source_type.engines.iter().map(|e| e.to_string()).collect();
            return Err(SluiceError::Query {
                state: SqlState::FeatureNotSupported,
                message: format!(
                    "engine {} cannot use {}: sources of type {} run on {}",
                    settings.engine,
                    table.path,
                    table.source_type.name,
                    engines.join(", ")
                ),
                hint: Some("Choose another engine: WITH (engine = '…').".into()),
                pos,
            });
        }
    }
    Ok(())
}

/// Constructs Flink SQL has no counterpart for.
fn check_supported(query: &Query) -> Result<()> {
    if let Some(with) = &query.with
        && with.recursive
    {
        let span = query.span();
        return Err(SluiceError::Query {
            state: SqlState::FeatureNotSupported,
            message: "WITH RECURSIVE is not supported in pipelines: Flink SQL has no recursive queries"
                .into(),
            hint: None,
            pos: (span.start.line > 0)
                .then_some(SourcePos { line: span.start.line, column: span.start.column }),
        });
    }
    Ok(())
}

fn pos_of_name(name: &ObjectName) -> Option<SourcePos> {
    let span = name.span();
    (span.start.line > 0).then_some(SourcePos { line: span.start.line, column: span.start.column })
}

/// Whether `name` spells the path of `table`.
fn spells(name: &ObjectName, table: &TableUse) -> bool {
    TablePath::named(name).is_some_and(|p| p == table.path)
}

/// The position of each resolved table by its path (a pipeline may name thousands).
struct TableIndex(std::collections::HashMap<TablePath, usize>);

impl TableIndex {
    fn new(tables: &[TableUse]) -> TableIndex {
        TableIndex(tables.iter().enumerate().map(|(i, t)| (t.path.clone(), i)).collect())
    }

    fn get(&self, name: &ObjectName) -> Option<usize> {
        TablePath::named(name).and_then(|path| self.0.get(&path).copied())
    }

    fn of(&self, name: &ObjectName) -> Result<usize> {
        self.get(name)
            .ok_or_else(|| SluiceError::UndefinedTable { name: name.to_string(), pos: pos_of_name(name) })
    }
}

fn reads_of(index: &TableIndex, query: &Query, views: &[String]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for name in relations(query) {
        if matches!(parts(&name).as_slice(), [single] if views.contains(single)) {
            continue;
        }
        if let Some(i) = index.get(&name)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

/// The sink columns an INSERT writes: its column list, or every physical column.
fn sink_columns(table: &TableUse, columns: &[datafusion::sql::sqlparser::ast::Ident]) -> Result<Vec<String>> {
    if columns.is_empty() {
        return Ok(table.physical_columns().map(|c| c.name.clone()).collect());
    }
    columns
        .iter()
        .map(|c| {
            let name = if c.quote_style.is_some() { c.value.clone() } else { c.value.to_lowercase() };
            if table.physical_columns().any(|col| col.name == name) {
                Ok(name)
            } else {
                let span = c.span;
                Err(SluiceError::Query {
                    state: SqlState::UndefinedColumn,
                    message: format!("column \"{name}\" of sink {} does not exist", table.path),
                    hint: None,
                    pos: (span.start.line > 0)
                        .then_some(SourcePos { line: span.start.line, column: span.start.column }),
                })
            }
        })
        .collect()
}

/// The query's columns fit the sink's: as many, and each assignable.
fn check_output(table: &TableUse, target: &[String], plan: &LogicalPlan, query: &Query) -> Result<()> {
    let fields = plan.schema().fields();
    let query_pos = {
        let span = query.body.span();
        (span.start.line > 0).then_some(SourcePos { line: span.start.line, column: span.start.column })
    };
    if fields.len() != target.len() {
        let message = if fields.len() > target.len() {
            format!(
                "INSERT has more expressions than target columns: {} for the {} columns of {}",
                fields.len(),
                target.len(),
                table.path
            )
        } else {
            format!(
                "INSERT has more target columns than expressions: {} columns of {} for {} expressions",
                target.len(),
                table.path,
                fields.len()
            )
        };
        return Err(SluiceError::Syntax { message, pos: query_pos });
    }
    let items: Option<&Vec<SelectItem>> = match query.body.as_ref() {
        SetExpr::Select(select) => Some(&select.projection),
        _ => None,
    };
    for (i, (field, column)) in fields.iter().zip(target).enumerate() {
        let Some(sink) = table.columns.iter().find(|c| c.name == *column) else { continue };
        let Some(sink_type) = arrow_type(&sink.data_type) else { continue };
        if !assignable(field.data_type(), &sink_type) {
            let pos = items
                .filter(|items| items.len() == fields.len())
                .map(|items| items[i].span())
                .filter(|s| s.start.line > 0)
                .map(|s| SourcePos { line: s.start.line, column: s.start.column })
                .or(query_pos);
            return Err(SluiceError::Query {
                state: SqlState::DatatypeMismatch,
                message: format!(
                    "column \"{column}\" of {} is of type {} but expression is of type {}",
                    table.path,
                    sink.data_type,
                    flink_type(field.data_type())
                ),
                hint: Some("Cast the expression: CAST(… AS type).".into()),
                pos,
            });
        }
    }
    Ok(())
}

/// Plans `query` (with Flink spellings rewritten for DataFusion).
async fn plan_query(planner: &SessionContext, query: &Query) -> Result<LogicalPlan> {
    let mut query = query.clone();
    super::rewrite::rewrite(&mut query);
    let statement = DfStatement::Statement(Box::new(SqlStatement::Query(Box::new(query))));
    Ok(planner.state().statement_to_plan(statement).await?)
}

/// Indexes of the tables some query of `body` reads (not only writes).
fn read_tables(index: &TableIndex, body: &[BodyStatement]) -> Vec<usize> {
    let mut views: Vec<String> = Vec::new();
    let mut out: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for statement in body {
        let query = match statement {
            BodyStatement::View { query, .. } | BodyStatement::Insert { query, .. } => query,
        };
        for i in reads_of(index, query, &views) {
            if seen.insert(i) {
                out.push(i);
            }
        }
        if let BodyStatement::View { name, .. } = statement {
            views.push(name.as_str().to_owned());
        }
    }
    out
}
