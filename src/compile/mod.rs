//! From a [`PipelinePlan`] to each engine's artifacts: a Flink SQL script
//! ([`flink_sql`]), a SeaTunnel job config ([`seatunnel`]), a Flink CDC pipeline definition
//! ([`flink_cdc`]), Flink Kubernetes Operator resources ([`kubernetes`]), and pictures of
//! the DAG ([`diagram`]). Compiling is pure: no I/O, no secret values.

pub mod diagram;
pub mod dialect;
pub mod flink_cdc;
pub mod flink_sql;
pub mod hocon;
pub mod kubernetes;
pub mod seatunnel;
mod seatunnel_multi;

use datafusion::sql::sqlparser::ast::{
    ObjectName, Query, Select, SetExpr, SetOperator, SetQuantifier, TableFactor,
};

pub use crate::connectors::render::Secrets;
use sluice_catalog::PipelineEngine;

use crate::error::Result;
use crate::plan::PipelinePlan;
use crate::plan::TablePath;
use crate::sql::ast::pipeline::ExplainFormat;

/// One file of a compiled pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// A file name: `orders.sql`, `orders-flinkdeployment.yaml` …
    pub name: String,
    pub content: String,
}

/// Compiles `plan` into `format`'s artifacts; `kubernetes` settings apply to that format.
pub fn compile(
    plan: &PipelinePlan,
    format: ExplainFormat,
    k8s: &kubernetes::Settings,
) -> Result<Vec<Artifact>> {
    let name = &plan.name;
    let one = |suffix: &str, content: String| vec![Artifact { name: format!("{name}{suffix}"), content }];
    Ok(match format {
        ExplainFormat::Text => one(".txt", diagram::text(plan)),
        ExplainFormat::FlinkSql => one(".sql", flink_sql::compile(plan, &mut Secrets::default())?),
        ExplainFormat::SeaTunnel => one(".conf", seatunnel::compile(plan, &mut Secrets::default())?),
        ExplainFormat::FlinkCdc => one(".yaml", flink_cdc::compile(plan, &mut Secrets::default())?),
        ExplainFormat::Kubernetes => kubernetes::compile(plan, k8s)?,
        ExplainFormat::Dot => one(".dot", diagram::dot(plan)),
        ExplainFormat::Mermaid => one(".mmd", diagram::mermaid(plan)),
        ExplainFormat::Json => one(".json", diagram::json(plan)),
    })
}

/// Compiles `plan` for its own engine and drops the result: a body that engine cannot
/// run is refused as the pipeline is stored, not at its first START.
pub fn check_engine(plan: &PipelinePlan) -> Result<()> {
    let secrets = &mut Secrets::default();
    match plan.settings().engine {
        PipelineEngine::Flink => flink_sql::compile(plan, secrets).map(drop),
        PipelineEngine::SeaTunnel => seatunnel::compile(plan, secrets).map(drop),
        PipelineEngine::FlinkCdc => flink_cdc::compile(plan, secrets).map(drop),
    }
}

/// The index in `plan`'s tables of the table `name` refers to.
pub fn table_of(plan: &PipelinePlan, name: &ObjectName) -> Option<usize> {
    let path = TablePath::named(name)?;
    plan.bound.tables.iter().position(|t| t.path == path)
}

/// The SELECTs of `query` when it is one SELECT or a UNION ALL of SELECTs (no ORDER
/// BY, LIMIT or WITH), each with the table it reads alone; `None` for any other shape.
/// Merged sync tables are such unions (one SELECT per source table), which the
/// multi-table engines write as a table each.
pub fn union_branches<'a>(plan: &PipelinePlan, query: &'a Query) -> Option<Vec<(&'a Select, usize)>> {
    if query.order_by.is_some() || query.limit_clause.is_some() || query.with.is_some() {
        return None;
    }
    fn collect<'a>(plan: &PipelinePlan, body: &'a SetExpr, out: &mut Vec<(&'a Select, usize)>) -> Option<()> {
        match body {
            SetExpr::Select(select) => {
                let [from] = select.from.as_slice() else { return None };
                let TableFactor::Table { name, .. } = &from.relation else { return None };
                if !from.joins.is_empty() {
                    return None;
                }
                out.push((select.as_ref(), table_of(plan, name)?));
                Some(())
            }
            SetExpr::SetOperation {
                op: SetOperator::Union,
                set_quantifier: SetQuantifier::All,
                left,
                right,
            } => {
                collect(plan, left, out)?;
                collect(plan, right, out)
            }
            _ => None,
        }
    }
    let mut out = Vec::new();
    collect(plan, &query.body, &mut out)?;
    Some(out)
}

/// One name per table for an engine: `source_database_table` in letters, digits and `_`,
/// made unique.
pub fn engine_names(plan: &PipelinePlan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in &plan.bound.tables {
        let base = crate::connectors::render::plain_name(&if t.path.database.is_empty() {
            format!("{}_{}", t.path.source, t.path.table)
        } else {
            format!("{}_{}_{}", t.path.source, t.path.database, t.path.table)
        });
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}
