//! A bound pipeline's lineage: for each sink, the tables its rows are read from, and for
//! each of its columns the source columns it is computed from — traced through the
//! DataFusion plan of the INSERT's query (projections, joins, aggregates, unions and the
//! body's views). A column whose expression cannot be followed (a scalar subquery, an
//! operator the trace does not know) has no column edge; its table edges stay.

use std::collections::{BTreeSet, HashMap};

use datafusion::common::JoinConstraint;
use datafusion::common::TableReference;
use datafusion::datasource::{ViewTable, source_as_provider};
use datafusion::logical_expr::utils::grouping_set_to_exprlist;
use datafusion::logical_expr::{Distinct, Expr, Join, JoinType, LogicalPlan, Window};
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
    let trace = Trace { tables: &tables };
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
            for (read, input_column) in trace.origins(&insert.plan, i, 0) {
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

/// Follows output columns down a plan to the body's tables.
struct Trace<'a> {
    tables: &'a TableNames,
}

impl Trace<'_> {
    /// The source columns output column `i` of `plan` is computed from.
    fn origins(&self, plan: &LogicalPlan, i: usize, depth: usize) -> Origins {
        if depth > MAX_DEPTH || i >= plan.schema().fields().len() {
            return Origins::new();
        }
        let depth = depth + 1;
        match plan {
            LogicalPlan::TableScan(scan) => {
                if let Some(t) = self.tables.of(&scan.table_name) {
                    return [(t, scan.projected_schema.field(i).name().clone())].into();
                }
                let Ok(provider) = source_as_provider(&scan.source) else { return Origins::new() };
                match provider.downcast_ref::<ViewTable>() {
                    Some(view) => {
                        let j = scan.projection.as_ref().and_then(|p| p.get(i).copied()).unwrap_or(i);
                        self.origins(view.logical_plan(), j, depth)
                    }
                    None => Origins::new(),
                }
            }
            LogicalPlan::Projection(p) => {
                p.expr.get(i).map(|e| self.of_expr(e, &p.input, depth)).unwrap_or_default()
            }
            LogicalPlan::Aggregate(a) => {
                let groups = grouping_set_to_exprlist(&a.group_expr).unwrap_or_default();
                let first_aggregate = a.schema.fields().len() - a.aggr_expr.len();
                if let Some(e) = groups.get(i) {
                    self.of_expr(e, &a.input, depth)
                } else if i >= first_aggregate {
                    self.of_expr(&a.aggr_expr[i - first_aggregate], &a.input, depth)
                } else {
                    Origins::new()
                }
            }
            LogicalPlan::Window(w) => self.window(w, i, depth),
            LogicalPlan::Join(j) => self.join(j, i, depth),
            LogicalPlan::Union(u) => {
                u.inputs.iter().flat_map(|input| self.origins(input, i, depth)).collect()
            }
            LogicalPlan::Distinct(Distinct::On(d)) => {
                d.select_expr.get(i).map(|e| self.of_expr(e, &d.input, depth)).unwrap_or_default()
            }
            // the same columns as their input
            LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::Distinct(_) => match plan.inputs().as_slice() {
                [input] => self.origins(input, i, depth),
                _ => Origins::new(),
            },
            _ => Origins::new(),
        }
    }

    /// The source columns of the columns `expr` reads from `input`.
    fn of_expr(&self, expr: &Expr, input: &LogicalPlan, depth: usize) -> Origins {
        expr.column_refs()
            .into_iter()
            .filter_map(|c| input.schema().index_of_column(c).ok())
            .flat_map(|j| self.origins(input, j, depth))
            .collect()
    }

    /// A window's input columns pass through; a window function's column comes from its
    /// arguments, not its PARTITION BY / ORDER BY (as group keys and join keys are not a
    /// column's origin).
    fn window(&self, w: &Window, i: usize, depth: usize) -> Origins {
        let Some(k) = i.checked_sub(w.input.schema().fields().len()) else {
            return self.origins(&w.input, i, depth);
        };
        let expr = match w.window_expr.get(k) {
            Some(Expr::Alias(a)) => Some(a.expr.as_ref()),
            other => other,
        };
        match expr {
            Some(Expr::WindowFunction(f)) => {
                f.params.args.iter().flat_map(|a| self.of_expr(a, &w.input, depth)).collect()
            }
            Some(other) => self.of_expr(other, &w.input, depth),
            None => Origins::new(),
        }
    }

    /// A join's columns are its left input's, then its right's (one side only for semi,
    /// anti and mark joins). With `USING (k)` / NATURAL the one `k` a query sees is the
    /// left's, which a RIGHT or FULL join fills from the right: both sides are its origin.
    fn join(&self, j: &Join, i: usize, depth: usize) -> Origins {
        let left = j.left.schema().fields().len();
        let mut found = match j.join_type {
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => self.origins(&j.left, i, depth),
            JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => {
                self.origins(&j.right, i, depth)
            }
            _ if i < left => self.origins(&j.left, i, depth),
            _ => self.origins(&j.right, i - left, depth),
        };
        if j.join_constraint == JoinConstraint::Using && i < left {
            let key = |e: &Expr, side: &LogicalPlan| match e {
                Expr::Column(c) => side.schema().index_of_column(c).ok(),
                _ => None,
            };
            for (l, r) in &j.on {
                if key(l, &j.left) == Some(i)
                    && let Some(k) = key(r, &j.right)
                {
                    found.extend(self.origins(&j.right, k, depth));
                }
            }
        }
        found
    }
}
