//! Federated reads (datafusion-federation): the largest part of a query that reads only
//! one source's tables — projection, filters, sorts, limits, aggregates, joins and unions
//! among them — is unparsed into one SQL statement in the source's dialect and runs there;
//! the rest runs in DataFusion. A query over several sources is joined in DataFusion,
//! each scan with its filters and limit pushed to its source.
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
//! only a query whose source tables all belong to one source connection: in a query
//! over several sources, federating each side that early would read whole tables, so
//! DataFusion plans it as before and each scan keeps its pushed filters and limit.
//! Last in the optimizer, a scan that needs no column (`count(*)` not federated, one
//! side of a cross join) is given one: `SELECT FROM t` is no SQL a source accepts. A plan
//! the rule refuses (a correlated `IN (subquery)`) is left to DataFusion.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::logical_expr::{LogicalPlan, TableScan, TableScanBuilder};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion_federation::{FederatedQueryPlanner, FederationOptimizerRule, get_table_source};

/// `rules` with the federation rule where datafusion-federation places it, and the
/// scan widening last.
pub fn optimizer_rules(
    rules: &[Arc<dyn OptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules = rules.to_vec();
    let at = rules.iter().position(|r| r.name() == "scalar_subquery_to_join").map_or(0, |p| p + 1);
    rules.insert(at, Arc::new(Federation { inner: Some(FederationOptimizerRule::new()) }));
    rules.push(Arc::new(Federation { inner: None }));
    rules
}

/// `rules` for a context that reads sources without federating (a pipeline's body, for
/// PREVIEW and local runs, not federated yet): only the scans that need no column are
/// given one.
pub fn unfederated_rules(
    rules: &[Arc<dyn OptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules = rules.to_vec();
    rules.push(Arc::new(Federation { inner: None }));
    rules
}

/// The query planner that runs federated sub-plans at their source.
pub fn query_planner() -> Arc<FederatedQueryPlanner> {
    Arc::new(FederatedQueryPlanner::new())
}

#[derive(Debug)]
struct Federation {
    inner: Option<FederationOptimizerRule>,
}

impl OptimizerRule for Federation {
    fn name(&self) -> &str {
        if self.inner.is_some() { "sluice_federation" } else { "sluice_scan_a_column" }
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let connections = source_connections(&plan);
        match (&self.inner, connections) {
            (_, 0) => Ok(Transformed::no(plan)),
            (None, _) => scan_a_column(plan),
            (Some(_), 2..) => Ok(Transformed::no(plan)),
            // a prepared statement's plan keeps its parameters visible (Describe reads
            // their types); it is federated once they are bound
            (Some(_), _) if plan.get_parameter_types().map_or(true, |p| !p.is_empty()) => {
                Ok(Transformed::no(plan))
            }
            (Some(inner), _) => match inner.rewrite(plan.clone(), config) {
                Ok(federated) => Ok(federated),
                Err(e) => {
                    tracing::debug!(error = %e, "query not federated; DataFusion reads its source");
                    Ok(Transformed::no(plan))
                }
            },
        }
    }
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
