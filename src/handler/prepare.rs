//! The extended query protocol: Parse prepares a statement once; Bind/Execute run it
//! again and again with parameters (pgjdbc switches to this after a few executions;
//! asyncpg and tokio-postgres always use it).

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ParamValues;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use super::{Ctx, Output, query};
use crate::engine::{CachedPlan, ConstantResult, plan_statement};
use crate::error::{Result, SluiceError};
use crate::sql::ast::pipeline::PipelineInfo;
use crate::sql::ast::source::SourceInfo;
use crate::sql::{GatewayStatement, Parsed, Statement, parameters, parse};

/// A prepared statement.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The statement's text.
    pub text: String,
    /// The whole Parse message text, against which error positions are counted.
    pub source: String,
    pub parsed: Parsed,
    pub body: Body,
    /// Result columns; `None` for statements that return no rows.
    pub fields: Option<SchemaRef>,
}

/// How a prepared statement runs.
#[derive(Debug, Clone)]
pub enum Body {
    /// A query planned by DataFusion; `params[i]` is the inferred type of `$i+1`.
    /// `epoch` and `generation` say when it was planned (see `Store::epoch` and
    /// `Session::generation`).
    Query { plan: Arc<CachedPlan>, params: Vec<Option<DataType>>, epoch: u64, generation: u64 },
    /// A constant result, known at Parse time (no parameters), for the time zone named.
    Constant { result: Arc<ConstantResult>, time_zone: String },
    /// A gateway statement with parameters: `params[i]` is the type reported for `$i+1`.
    /// PREVIEW's body takes the values as its plan's (`in_plan`); any other statement has
    /// them written into its text at Execute (see [`super::gateway_params`]).
    Gateway { params: Vec<Option<DataType>>, in_plan: bool },
    /// Anything else runs through the statement handlers at Execute.
    Other,
}

impl Prepared {
    /// Types of the parameters, as inferred (None where DataFusion could not tell).
    pub fn param_types(&self) -> &[Option<DataType>] {
        match &self.body {
            Body::Query { params, .. } | Body::Gateway { params, .. } => params,
            _ => &[],
        }
    }
}

/// Parses and plans `text` for later execution.
pub async fn prepare(ctx: &mut Ctx<'_>, source: &str) -> Result<Option<Prepared>> {
    let Some((parsed, standing)) = parse_one(source)? else { return Ok(None) };
    let text = &source[parsed.range.clone()];
    if let Statement::Gateway(_) = &parsed.statement
        && parameters::count(text) > 0
    {
        return prepare_gateway(ctx, source, parsed, standing).await.map(Some);
    }
    let (body, fields) = match &parsed.statement {
        Statement::Query(df) if is_query(df) => {
            if let Some(hit) = ctx.rt.constants.get(ctx.session.time_zone(), text) {
                let fields = hit.schema.clone();
                (Body::Constant { result: hit, time_zone: ctx.session.time_zone().to_owned() }, Some(fields))
            } else {
                let state = ctx.session.state(ctx.rt);
                let epoch = ctx.rt.store.epoch();
                let plan = match ctx.session.plans.get(text, epoch) {
                    Some(cached) => cached,
                    None => {
                        let plan = plan_statement(&ctx.rt.engine, &state, df).await?;
                        let cached = query::prepare_plan(&state, plan)?;
                        ctx.session.plans.insert(text, epoch, cached.clone());
                        cached
                    }
                };
                let params = parameter_types(&plan.plan)?;
                let fields = Arc::new(plan.plan.schema().as_arrow().clone());
                let generation = ctx.session.generation();
                (Body::Query { plan, params, epoch, generation }, Some(fields))
            }
        }
        Statement::Query(df) => (Body::Other, describe_other(ctx, df)?),
        Statement::Gateway(g) => (Body::Other, describe_gateway(ctx, &parsed, g, text).await?),
    };
    Ok(Some(Prepared { text: text.to_owned(), source: source.to_owned(), parsed, body, fields }))
}

/// The one statement of `source`, if any, and whether it parsed only with `NULL` for its
/// parameters (a gateway statement whose grammar takes a literal where the client put `$n`).
pub(super) fn parse_one(source: &str) -> Result<Option<(Parsed, bool)>> {
    let parsed = match parse(source) {
        Ok(parsed) => parsed,
        Err(e) if parameters::count(source) > 0 => match parse(&parameters::with_nulls(source)).as_deref() {
            Ok([one]) if matches!(one.statement, Statement::Gateway(_)) => {
                let start = source.len() - source.trim_start().len();
                let end = source.trim_end().trim_end_matches(';').trim_end().len().max(start);
                return Ok(Some((Parsed { statement: one.statement.clone(), range: start..end }, true)));
            }
            _ => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    if parsed.len() > 1 {
        return Err(SluiceError::Syntax {
            message: "cannot insert multiple commands into a prepared statement".into(),
            pos: None,
        });
    }
    Ok(parsed.into_iter().next().map(|p| (p, false)))
}

/// A gateway statement with parameters: PREVIEW is described with them, to infer their
/// types; any other statement with `NULL` for each. It runs with the values written in.
async fn prepare_gateway(
    ctx: &mut Ctx<'_>,
    source: &str,
    parsed: Parsed,
    standing: bool,
) -> Result<Prepared> {
    let text = source[parsed.range.clone()].to_owned();
    let count = parameters::count(&text);
    let in_plan = !standing
        && matches!(
            &parsed.statement,
            Statement::Gateway(GatewayStatement::PipelineInfo(PipelineInfo::Preview { .. }))
        );
    let (inferred, fields) = match &parsed.statement {
        Statement::Gateway(GatewayStatement::PipelineInfo(PipelineInfo::Preview { target, .. }))
            if in_plan =>
        {
            super::preview::describe_with_parameters(ctx, target).await?
        }
        _ => {
            let nulls = parameters::with_nulls(&text);
            let fields = match parse_one(&nulls)? {
                Some((described, _)) => match &described.statement {
                    Statement::Gateway(g) => {
                        describe_gateway(ctx, &described, g, &nulls[described.range.clone()]).await?
                    }
                    Statement::Query(_) => None,
                },
                None => None,
            };
            (Default::default(), fields)
        }
    };
    let params = super::gateway_params::reported(count, &inferred);
    Ok(Prepared { text, source: source.to_owned(), parsed, body: Body::Gateway { params, in_plan }, fields })
}

/// Runs a prepared statement with bound parameter values.
pub async fn execute(ctx: &mut Ctx<'_>, prepared: &Prepared, values: ParamValues) -> Result<Output> {
    if ctx.tx == super::TxState::Failed && !matches!(prepared.body, Body::Other) {
        return Err(SluiceError::InFailedTransaction);
    }
    match &prepared.body {
        Body::Constant { result, time_zone } if time_zone == ctx.session.time_zone() => {
            Ok(Output::batches("SELECT", result.schema.clone(), result.batches.clone()))
        }
        Body::Constant { .. } => super::handle(ctx, &prepared.parsed, &prepared.text).await,
        Body::Query { plan, params, epoch, generation } => {
            let state = ctx.session.state(ctx.rt);
            if *epoch != ctx.rt.store.epoch() || *generation != ctx.session.generation() {
                // The catalog or the planning settings changed since Parse: plan again from
                // the text, as PostgreSQL does.
                if let Statement::Query(df) = &prepared.parsed.statement {
                    let fresh = plan_statement(&ctx.rt.engine, &state, df).await?;
                    let fresh = query::prepare_plan(&state, fresh)?;
                    if fresh.plan.schema().as_arrow() != plan.plan.schema().as_arrow() {
                        return Err(SluiceError::not_supported(
                            "cached plan must not change result type",
                            None,
                        ));
                    }
                    return run_with(ctx, &state, &fresh, params, values, &prepared.text).await;
                }
            }
            run_with(ctx, &state, plan, params, values, &prepared.text).await
        }
        Body::Gateway { in_plan: true, params } => match &prepared.parsed.statement {
            Statement::Gateway(GatewayStatement::PipelineInfo(PipelineInfo::Preview { target, limit })) => {
                super::preview::handle_bound(ctx, target, *limit, coerce(values, params)?).await
            }
            _ => Err(SluiceError::Internal("a prepared statement binding its plan is not a PREVIEW".into())),
        },
        Body::Gateway { .. } => super::gateway_params::execute(ctx, &prepared.text, values).await,
        Body::Other => super::handle(ctx, &prepared.parsed, &prepared.text).await,
    }
}

async fn run_with(
    ctx: &mut Ctx<'_>,
    state: &datafusion::execution::context::SessionState,
    plan: &CachedPlan,
    params: &[Option<DataType>],
    values: ParamValues,
    text: &str,
) -> Result<Output> {
    if params.is_empty() {
        return query::run(ctx, state, plan, Some(text)).await;
    }
    let values = coerce(values, params)?;
    let bound = plan.plan.clone().replace_params_with_values(&values)?;
    // An optimized plan stays optimized with values in place of its placeholders.
    let bound = if plan.optimized {
        Arc::new(CachedPlan { plan: bound, optimized: true, constant: false, sources: plan.sources.clone() })
    } else {
        query::prepare_plan(state, bound)?
    };
    query::run(ctx, state, &bound, None).await
}

/// Casts bound values to the types the plan expects.
fn coerce(values: ParamValues, types: &[Option<DataType>]) -> Result<ParamValues> {
    let ParamValues::List(mut list) = values else { return Ok(values) };
    for (i, item) in list.iter_mut().enumerate() {
        if let Some(Some(target)) = types.get(i)
            && item.value.data_type() != *target
            && !item.value.is_null()
        {
            item.value = item.value.cast_to(target).map_err(|e| SluiceError::InvalidValue {
                name: format!("parameter ${}", i + 1),
                message: e.strip_backtrace(),
                hint: None,
            })?;
        }
    }
    Ok(ParamValues::List(list))
}

/// `$1`, `$2` … in order, with the type DataFusion inferred (or a cast gives).
fn parameter_types(plan: &LogicalPlan) -> Result<Vec<Option<DataType>>> {
    let mut by_index: BTreeMap<usize, Option<DataType>> = BTreeMap::new();
    for (name, ty) in plan.get_parameter_types()? {
        if let Some(i) = name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
            by_index.insert(i, ty);
        }
    }
    // `$1::int` leaves the placeholder itself untyped; take the cast's type.
    let _ = plan.apply_with_subqueries(|node| {
        let _ = node.apply_expressions(|expr| {
            let _ = expr.apply(|e| {
                if let Expr::Cast(cast) = e
                    && let Expr::Placeholder(p) = cast.expr.as_ref()
                    && let Some(i) = p.id.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
                {
                    let slot = by_index.entry(i).or_insert(None);
                    if slot.is_none() {
                        *slot = Some(cast.field.data_type().clone());
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            });
            Ok(TreeNodeRecursion::Continue)
        });
        Ok(TreeNodeRecursion::Continue)
    });
    let count = by_index.keys().max().copied().unwrap_or(0);
    Ok((1..=count).map(|i| by_index.get(&i).cloned().flatten()).collect())
}

fn is_query(df: &DfStatement) -> bool {
    match df {
        DfStatement::Statement(s) => !matches!(
            s.as_ref(),
            SqlStatement::Set(_)
                | SqlStatement::ShowVariable { .. }
                | SqlStatement::StartTransaction { .. }
                | SqlStatement::Commit { .. }
                | SqlStatement::Rollback { .. }
                | SqlStatement::Savepoint { .. }
                | SqlStatement::ReleaseSavepoint { .. }
                | SqlStatement::Deallocate { .. }
                | SqlStatement::Discard { .. }
        ),
        DfStatement::Explain(_) => true,
        _ => false,
    }
}

/// Result columns of gateway statements, known at Parse as PostgreSQL knows a utility
/// statement's: static for TEST SOURCE, the bound sink's for PREVIEW, and for the other
/// read-only statements (SHOW, DESCRIBE, EXPLAIN) those of running them, which changes
/// nothing. Statements that change the catalog return no rows.
async fn describe_gateway(
    ctx: &mut Ctx<'_>,
    parsed: &Parsed,
    g: &GatewayStatement,
    text: &str,
) -> Result<Option<SchemaRef>> {
    match g {
        GatewayStatement::SourceInfo(SourceInfo::TestSource(_))
        | GatewayStatement::TargetInfo(crate::sql::ast::target::TargetInfo::TestTarget(_)) => {
            let fields: Vec<Field> =
                super::test_source::COLUMNS.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect();
            Ok(Some(Arc::new(Schema::new(fields))))
        }
        GatewayStatement::SourceInfo(SourceInfo::RefreshSource { .. }) => Ok(None),
        // known without planning (which APPLY would also run)
        GatewayStatement::Apply(_) => Ok(Some(super::apply::schema())),
        GatewayStatement::PipelineInfo(PipelineInfo::Preview { target, .. }) => {
            super::preview::describe(ctx, target).await
        }
        GatewayStatement::SourceInfo(_)
        | GatewayStatement::PipelineInfo(_)
        | GatewayStatement::TargetInfo(_)
        | GatewayStatement::ShowCreate(_)
        | GatewayStatement::ExplainLineage(_) => match super::handle(ctx, parsed, text).await? {
            Output::Rows { schema, .. } => Ok(Some(schema)),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Result columns of session statements (only SHOW returns rows).
fn describe_other(ctx: &mut Ctx<'_>, df: &DfStatement) -> Result<Option<SchemaRef>> {
    match df {
        DfStatement::Statement(s) => match s.as_ref() {
            SqlStatement::ShowVariable { variable } => {
                Ok(Some(super::show::describe(ctx.session, variable)?))
            }
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}
