//! Federated reads (datafusion-federation): the largest part of a query that reads only
//! one source's tables — projection, filters, sorts, limits, aggregates, joins and unions
//! among them — is unparsed into one SQL statement in the source's dialect and runs there;
//! the rest runs in DataFusion. A query over several sources pushes each side separately.
//!
//! The live table providers of datafusion-table-providers are federation-aware already
//! (`FederatedTableProviderAdaptor`); what makes a plan federated is the optimizer rule,
//! which replaces such a sub-plan with a federated node, and the query planner, which
//! turns that node into one execution against the source (`EXPLAIN` shows its SQL).
//!
//! Sluice runs the rule last, once filters and projections sit in every scan, so that in
//! a query over several sources each side goes down with its own filters (placed early, as
//! datafusion-federation places it by default, a scan is federated before any filter
//! reaches it). Two things are settled on the way:
//! - a scan that needs no column (`count(*)`, one side of a cross join) reads the first
//!   one: `SELECT FROM t` is no SQL a source accepts;
//! - a plan the rule cannot federate (a correlated `IN (subquery)` it refuses) is left to
//!   DataFusion, which reads the source's tables with filters and limits pushed down.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::logical_expr::{LogicalPlan, TableScan, TableScanBuilder};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion_federation::{FederatedQueryPlanner, FederationOptimizerRule, get_table_source};

/// `rules` with the federation rule last.
pub fn optimizer_rules(
    rules: &[Arc<dyn OptimizerRule + Send + Sync>],
) -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules = rules.to_vec();
    rules.push(Arc::new(Federation { inner: Some(FederationOptimizerRule::new()) }));
    rules
}

/// `rules` for a context that reads sources without federating (a pipeline's body, for
/// PREVIEW and local runs: the unparser cannot yet express the projections binding adds
/// onto a body, see the closing notes of issue 19): only the scans that need no column
/// are given one.
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
        "sluice_federation"
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        if !reads_a_source(&plan) {
            return Ok(Transformed::no(plan));
        }
        let scanned = scan_a_column(plan)?;
        let Some(inner) = &self.inner else { return Ok(scanned) };
        match inner.rewrite(scanned.data.clone(), config) {
            Ok(federated) if federated.transformed => Ok(Transformed::yes(federated.data)),
            Ok(_) => Ok(scanned),
            Err(e) => {
                tracing::debug!(error = %e, "query not federated; DataFusion reads its sources");
                Ok(scanned)
            }
        }
    }
}

/// Whether `plan` scans a federation-aware (live source) table.
fn reads_a_source(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && matches!(get_table_source(&scan.source), Ok(Some(_)))
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
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
