//! A bound pipeline's lineage: for each sink, the tables its rows are read from, and for
//! each of its columns the source columns it is computed from — traced through the
//! DataFusion plan of the INSERT's query (projections, joins, aggregates, unions and the
//! body's views). A column whose expression cannot be followed (a scalar subquery, an
//! operator the trace does not know) has no column edge; its table edges stay.

use std::collections::{BTreeSet, HashMap};

use datafusion::common::TableReference;
use datafusion::datasource::{ViewTable, source_as_provider};
use datafusion::logical_expr::utils::grouping_set_to_exprlist;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan};
use sluice_catalog::{LineageEdge, LineageTable};

use super::bind::Bound;
use super::resolve::TablePath;

/// How deep the trace follows a column (plans nest views and subqueries; a bound body's
/// plans are far shallower).
const MAX_DEPTH: usize = 256;

/// Source columns, as (index into [`Bound::tables`], column name).
type Origins = BTreeSet<(usize, String)>;

/// Every edge of `bound`: per INSERT, one edge per table it reads (directly or through
/// views) without columns, then one per (sink column, source column) the trace finds,
/// in the sink's column order. No edge repeats.
pub fn edges(bound: &Bound) -> Vec<LineageEdge> {
    let tables = TableNames::new(bound);
    let mut out: Vec<LineageEdge> = Vec::new();
    let mut seen: BTreeSet<LineageEdge> = BTreeSet::new();
    let mut push = |edge: LineageEdge| {
        if seen.insert(edge.clone()) {
            out.push(edge);
        }
    };
    for insert in &bound.inserts {
        let output = table(&bound.tables[insert.sink].path);
        for read in reads(bound, insert.reads.clone(), &insert.views) {
            push(LineageEdge {
                input: table(&bound.tables[read].path),
                input_column: None,
                output: output.clone(),
                output_column: None,
            });
        }
        for (i, column) in insert.columns.iter().enumerate() {
            for (read, input_column) in origins(&insert.plan, i, &tables, 0) {
                push(LineageEdge {
                    input: table(&bound.tables[read].path),
                    input_column: Some(input_column),
                    output: output.clone(),
                    output_column: Some(column.clone()),
                });
            }
        }
    }
    out
}

fn table(path: &TablePath) -> LineageTable {
    LineageTable { source: path.source.clone(), database: path.database.clone(), table: path.table.clone() }
}

/// The tables a statement reads: `reads`, and those of the views it reads, transitively.
fn reads(bound: &Bound, mut reads: Vec<usize>, views: &[String]) -> Vec<usize> {
    let mut pending: Vec<&str> = views.iter().map(String::as_str).collect();
    let mut visited: BTreeSet<&str> = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !visited.insert(name) {
            continue;
        }
        if let Some(view) = bound.views.iter().find(|v| v.name == name) {
            reads.extend(&view.reads);
            pending.extend(view.views.iter().map(String::as_str));
        }
    }
    let mut seen = BTreeSet::new();
    reads.retain(|r| seen.insert(*r));
    reads
}

/// The body's tables by the name the planning context registered them under
/// (`source.database.table`, or `pipeline.source.table`).
struct TableNames(HashMap<(String, String, String), usize>);

impl TableNames {
    fn new(bound: &Bound) -> TableNames {
        let names = bound.tables.iter().enumerate().map(|(i, t)| {
            let p = &t.path;
            let key = if p.database.is_empty() {
                ("pipeline".to_owned(), p.source.clone(), p.table.clone())
            } else {
                (p.source.clone(), p.database.clone(), p.table.clone())
            };
            (key, i)
        });
        TableNames(names.collect())
    }

    fn of(&self, name: &TableReference) -> Option<usize> {
        let r = name.clone().resolve("pipeline", "default");
        self.0.get(&(r.catalog.to_string(), r.schema.to_string(), r.table.to_string())).copied()
    }
}

/// The source columns output column `i` of `plan` is computed from.
fn origins(plan: &LogicalPlan, i: usize, tables: &TableNames, depth: usize) -> Origins {
    if depth > MAX_DEPTH || i >= plan.schema().fields().len() {
        return Origins::new();
    }
    let deeper = |input: &LogicalPlan, j: usize| origins(input, j, tables, depth + 1);
    let of_expr = |expr: &Expr, input: &LogicalPlan| -> Origins {
        expr.column_refs()
            .into_iter()
            .filter_map(|c| input.schema().index_of_column(c).ok())
            .flat_map(|j| deeper(input, j))
            .collect()
    };
    match plan {
        LogicalPlan::TableScan(scan) => {
            if let Some(t) = tables.of(&scan.table_name) {
                return [(t, scan.projected_schema.field(i).name().clone())].into();
            }
            let Ok(provider) = source_as_provider(&scan.source) else { return Origins::new() };
            match provider.downcast_ref::<ViewTable>() {
                Some(view) => {
                    let j = scan.projection.as_ref().and_then(|p| p.get(i).copied()).unwrap_or(i);
                    deeper(view.logical_plan(), j)
                }
                None => Origins::new(),
            }
        }
        LogicalPlan::Projection(p) => p.expr.get(i).map(|e| of_expr(e, &p.input)).unwrap_or_default(),
        LogicalPlan::Aggregate(a) => {
            let groups = grouping_set_to_exprlist(&a.group_expr).unwrap_or_default();
            let first_aggregate = a.schema.fields().len() - a.aggr_expr.len();
            if let Some(e) = groups.get(i) {
                of_expr(e, &a.input)
            } else if i >= first_aggregate {
                of_expr(&a.aggr_expr[i - first_aggregate], &a.input)
            } else {
                Origins::new()
            }
        }
        LogicalPlan::Window(w) => {
            let width = w.input.schema().fields().len();
            match i.checked_sub(width) {
                None => deeper(&w.input, i),
                Some(k) => w.window_expr.get(k).map(|e| of_expr(e, &w.input)).unwrap_or_default(),
            }
        }
        LogicalPlan::Join(j) => {
            let left = j.left.schema().fields().len();
            match j.join_type {
                JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => deeper(&j.left, i),
                JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => deeper(&j.right, i),
                _ if i < left => deeper(&j.left, i),
                _ => deeper(&j.right, i - left),
            }
        }
        LogicalPlan::Union(u) => u.inputs.iter().flat_map(|input| deeper(input, i)).collect(),
        LogicalPlan::Distinct(datafusion::logical_expr::Distinct::On(d)) => {
            d.select_expr.get(i).map(|e| of_expr(e, &d.input)).unwrap_or_default()
        }
        // the same columns as their input
        LogicalPlan::SubqueryAlias(_)
        | LogicalPlan::Filter(_)
        | LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_)
        | LogicalPlan::Repartition(_)
        | LogicalPlan::Distinct(_) => match plan.inputs().as_slice() {
            [input] => deeper(input, i),
            _ => Origins::new(),
        },
        _ => Origins::new(),
    }
}
