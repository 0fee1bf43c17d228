//! Federated reads (datafusion-federation): the largest part of a query that reads only
//! one source's tables — projection, filters, sorts, limits, aggregates, joins and unions
//! among them — is unparsed into one SQL statement in the source's dialect and runs there;
//! the rest runs in DataFusion. A query over several sources is joined in DataFusion,
//! each side's single-source part run at its source. A prepared statement's plan is
//! federated once its parameters are bound (see `handler/query.rs`).
//!
//! PREVIEW is federated like any query: its bounded SELECT writes the sink's names and
//! types into the body's SELECT list (`plan/query.rs`). Local runs are not (`plan/
//! context.rs`); their scans keep their filters and limits pushed. A plan reading a
//! column that a SELECT or UNION below computes without a name (`SELECT 'a' UNION …`,
//! named `Utf8("a")`) is not federated: the unparser writes it as a derived table whose
//! columns the source names otherwise.
//!
//! The live table providers of datafusion-table-providers are federation-aware already
//! (`FederatedTableProviderAdaptor`); what makes a plan federated is the optimizer rule,
//! which replaces such a sub-plan with a federated node, and the query planner, which
//! turns that node into one execution against the source (`EXPLAIN` shows its SQL).
//!
//! The rule sits where datafusion-federation places it (after scalar subqueries became
//! joins, before the rest of the optimizer): the unparser writes SQL from the plan as
//! planned, which it handles best (from a fully optimized plan it writes, for instance, a
//! projection over a derived `LIMIT` table that names the base table). Sluice federates
//! there a query whose source tables all belong to one source connection. In a query
//! over several sources, federating each side that early would read whole tables (its
//! filters still sit above the join), so such a query is federated late, once filters
//! are in the scans: each side's largest single-source part (a join or aggregate of one
//! source's tables, a filtered scan) becomes one statement at its source. A late plan
//! with a `LIMIT` below a join or union is not federated (the unparser's derived-limit
//! shape above). Last in the optimizer, a scan that needs no column (`count(*)` not
//! federated, one side of a cross join) is given one: `SELECT FROM t` is no SQL a source
//! accepts. A plan the rule refuses (a correlated `IN (subquery)`), or with a projection
//! right on a `LIMIT` (which the unparser writes as a derived table its columns do not
//! name), is left to DataFusion.
//!
//! Only a query whose every expression both MySQL and PostgreSQL evaluate as DataFusion
//! does is federated (see [`super::portable`]); one using anything else (a PostgreSQL or
//! Flink function, a window, `LIKE`) is evaluated by DataFusion over the scans, which
//! still take their portable filters to the source.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, TableScan, TableScanBuilder};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion_federation::{FederatedQueryPlanner, FederationOptimizerRule, get_table_source};

use super::portable::{self, Dialect};

/// `rules` with the federation rules (single-source queries where datafusion-federation
/// places it, queries over several sources late) and the scan widening last.
pub fn optimizer_rules(
    rules: &[Arc<dyn OptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules = rules.to_vec();
    let at = rules.iter().position(|r| r.name() == "scalar_subquery_to_join").map_or(0, |p| p + 1);
    rules.insert(at, Arc::new(Federation::new(Mode::OneSource)));
    rules.push(Arc::new(Federation::new(Mode::EachSide)));
    rules.push(Arc::new(Federation::new(Mode::WidenScans)));
    rules
}

/// `rules` for a context that reads sources without federating (a pipeline's body, for
/// PREVIEW and local runs): only the scans that need no column are given one.
pub fn unfederated_rules(
    rules: &[Arc<dyn OptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules = rules.to_vec();
    rules.push(Arc::new(Federation::new(Mode::WidenScans)));
    rules
}

/// The query planner that runs federated sub-plans at their source.
pub fn query_planner() -> Arc<FederatedQueryPlanner> {
    Arc::new(FederatedQueryPlanner::new())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Early: a query over one source connection, whole.
    OneSource,
    /// Late: each side of a query over several sources.
    EachSide,
    /// Last: scans that need no column read one.
    WidenScans,
}

#[derive(Debug)]
struct Federation {
    mode: Mode,
    rule: FederationOptimizerRule,
}

impl Federation {
    fn new(mode: Mode) -> Federation {
        Federation { mode, rule: FederationOptimizerRule::new() }
    }
}

impl OptimizerRule for Federation {
    fn name(&self) -> &str {
        match self.mode {
            Mode::OneSource => "sluice_federation",
            Mode::EachSide => "sluice_federation_each_side",
            Mode::WidenScans => "sluice_scan_a_column",
        }
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let connections = source_connections(&plan);
        let federate = match self.mode {
            _ if connections == 0 => false,
            Mode::WidenScans => return scan_a_column(plan),
            Mode::OneSource => connections == 1 && !projection_over_limit(&plan),
            Mode::EachSide => connections > 1 && !limit_below_join(&plan),
        } && !names_an_unnamed_column(&plan);
        // a prepared statement's plan keeps its parameters visible (Describe reads their
        // types); it is federated once they are bound
        let unbound = plan.get_parameter_types().map_or(true, |p| !p.is_empty());
        if !federate || unbound || !portable::plan(&plan, Dialect::Any) {
            return Ok(Transformed::no(plan));
        }
        match self.rule.rewrite(plan.clone(), config) {
            Ok(federated) => Ok(federated),
            Err(e) => {
                tracing::debug!(error = %e, "query not federated; DataFusion reads its source");
                Ok(Transformed::no(plan))
            }
        }
    }
}

/// Whether a projection sits right on a `LIMIT` in `plan`: the unparser writes it as a
/// derived table that the projection's columns do not name (`missing FROM-clause entry`).
fn projection_over_limit(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        found |=
            matches!(node, LogicalPlan::Projection(p) if matches!(p.input.as_ref(), LogicalPlan::Limit(_)));
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// Whether a node of `plan` reads a column that a SELECT or UNION below it computes
/// without naming it (`SELECT 'a' UNION …` is `Utf8("a")`): the unparser writes that
/// SELECT as a derived table, whose column the source names otherwise. (A sort or limit
/// right over a SELECT list is written into the same SELECT, and is fine.)
fn names_an_unnamed_column(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        let same_select = matches!(node, LogicalPlan::Sort(_) | LogicalPlan::Limit(_));
        for input in node.inputs() {
            if same_select && !matches!(input, LogicalPlan::Union(_)) {
                continue;
            }
            let unnamed = unnamed_columns(input);
            if unnamed.is_empty() {
                continue;
            }
            let _ = node.apply_expressions(|e| {
                e.apply(|e| {
                    found |= matches!(e, Expr::Column(c) if unnamed.contains(&c.name));
                    Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
                })
            });
        }
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// The output columns of `plan` that a SELECT list (of a UNION's first SELECT, under any
/// alias) computes with no name.
fn unnamed_columns(plan: &LogicalPlan) -> Vec<String> {
    match plan {
        LogicalPlan::Projection(p) => p
            .expr
            .iter()
            .zip(p.schema.fields())
            .filter(|(e, _)| !matches!(e, Expr::Column(_) | Expr::Alias(_)))
            .map(|(_, f)| f.name().clone())
            .collect(),
        LogicalPlan::Union(u) => u.inputs.first().map(|i| unnamed_columns(i)).unwrap_or_default(),
        LogicalPlan::SubqueryAlias(a) => unnamed_columns(&a.input),
        _ => Vec::new(),
    }
}

/// Whether a `LIMIT` sits below a join or union of `plan`.
fn limit_below_join(plan: &LogicalPlan) -> bool {
    fn walk(node: &LogicalPlan, below_join: bool) -> bool {
        let below = below_join || matches!(node, LogicalPlan::Join(_) | LogicalPlan::Union(_));
        if below_join && matches!(node, LogicalPlan::Limit(_)) {
            return true;
        }
        node.inputs().into_iter().any(|input| walk(input, below))
    }
    walk(plan, false)
}

/// How many source connections (federation providers: one per source pool) the
/// federation-aware tables that `plan` scans belong to.
fn source_connections(plan: &LogicalPlan) -> usize {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(Some(source)) = get_table_source(&scan.source)
        {
            let provider = source.federation_provider();
            let key = (provider.name().to_owned(), provider.compute_context());
            if !seen.contains(&key) {
                seen.push(key);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    seen.len()
}

/// Source scans that need no column read their first one; the plans above them are
/// given their new schemas.
fn scan_a_column(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let widened = plan.transform_up_with_subqueries(|node| match node {
        LogicalPlan::TableScan(scan)
            if scan.projection.as_ref().is_some_and(Vec::is_empty)
                && !scan.source.schema().fields().is_empty()
                && matches!(get_table_source(&scan.source), Ok(Some(_))) =>
        {
            let TableScan { table_name, source, filters, fetch, .. } = scan;
            let scan = TableScanBuilder::new(table_name, source)
                .with_projection(Some(vec![0]))
                .with_filters(filters)
                .with_fetch(fetch)
                .build()?;
            Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
        }
        other => Ok(Transformed::no(other)),
    })?;
    if !widened.transformed {
        return Ok(widened);
    }
    widened.data.transform_up_with_subqueries(|node| node.recompute_schema().map(Transformed::yes))
}
