//! Subqueries DataFusion cannot decorrelate, answered as PostgreSQL answers every
//! subquery it does not pull up: a *SubPlan*, run for each distinct set of values the
//! outer row gives it.
//!
//! DataFusion turns a subquery into a join when it can (an equality ties the inner rows
//! to the outer row, the subquery's FROM is its own). Catalog queries of real tools go
//! further — an array of the outer row unnested inside the subquery (pgcli's
//! `(SELECT array_agg(attname) FROM (SELECT unnest(fk.confkey) …) x JOIN pg_attribute …)`),
//! a key taken from it by an index of the inner query (Sigma's `con.conkey[i]`), an
//! `IN (subquery)` in ORDER BY (Grafana) — and the optimizer leaves those subqueries in
//! the plan, where nothing can run them. [`physical_plan`] finds what is left and
//! replaces each subquery by a call of a [`SubPlan`] function whose arguments are the
//! outer columns the subquery reads: per row it binds their values in place of the outer
//! references (as parameters, the way a prepared statement is bound) and runs the
//! subquery, remembering the answer for each distinct set of values.
//!
//! The answers are PostgreSQL's: a scalar subquery gives its one value (NULL over no
//! rows; more than one row is an error), `EXISTS` whether there is a row, `x IN (…)`
//! true on a match, NULL when there is none but `x` or a row is NULL, false otherwise.
//! Catalog queries meet few distinct outer values, which is where this shape is cheap;
//! for a subquery DataFusion decorrelates, nothing changes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, DataFusionError, ParamValues, ScalarValue};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::expr::{Exists, InSubquery, Placeholder};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Subquery,
    TypeSignature, Volatility,
};
use datafusion::physical_plan::{ExecutionPlan, collect};

type DfResult<T> = datafusion::common::Result<T>;

/// The physical plan of `plan` (optimized already when `optimized`), with the subqueries
/// the optimizer left running as SubPlans.
pub async fn physical_plan(
    state: &SessionState,
    plan: &LogicalPlan,
    optimized: bool,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let fresh;
    let optimized = if optimized {
        plan
    } else {
        fresh = state.optimize(plan)?;
        &fresh
    };
    if !has_subqueries(optimized) {
        return state.query_planner().create_physical_plan(optimized, state).await;
    }
    let shared = Arc::new(state.clone());
    let planned = optimized.clone().transform_up(|node| as_subplans(&shared, node))?.data;
    state.query_planner().create_physical_plan(&planned, state).await
}

/// Whether a subquery expression is left anywhere in `plan` (outside subquery plans).
fn has_subqueries(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply(|node| {
        let _ = node.apply_expressions(|e| {
            found |= is_or_has_subquery(e);
            Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        });
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// Whether `expr` is or holds a subquery (scalar, EXISTS or IN).
pub(super) fn is_or_has_subquery(expr: &Expr) -> bool {
    expr.exists(|e| Ok(matches!(e, Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_))))
        .unwrap_or(false)
}

/// Replaces the subqueries in the expressions of `node` by SubPlan calls, keeping the
/// names its expressions give their columns.
fn as_subplans(state: &Arc<SessionState>, node: LogicalPlan) -> DfResult<Transformed<LogicalPlan>> {
    if !node.expressions().iter().any(is_or_has_subquery) {
        return Ok(Transformed::no(node));
    }
    // The outer row: whatever the node reads.
    let mut outer = DFSchema::empty();
    for input in node.inputs() {
        outer.merge(input.schema());
    }
    let names = NamePreserver::new(&node);
    let transformed = node.map_expressions(|expr| {
        let saved = names.save(&expr);
        let replaced = expr.transform_up(|e| subplan_call(state, &outer, e))?;
        Ok(replaced.update_data(|e| saved.restore(e)))
    })?;
    transformed.map_data(LogicalPlan::recompute_schema)
}

fn subplan_call(state: &Arc<SessionState>, outer: &DFSchema, expr: Expr) -> DfResult<Transformed<Expr>> {
    let (kind, subquery, probe) = match expr {
        Expr::ScalarSubquery(subquery) => (Kind::Scalar, subquery, None),
        Expr::Exists(Exists { subquery, negated }) => (Kind::Exists { negated }, subquery, None),
        Expr::InSubquery(InSubquery { expr, subquery, negated }) => {
            (Kind::In { negated }, subquery, Some(*expr))
        }
        other => return Ok(Transformed::no(other)),
    };
    let (plan, columns) = parameterized(&subquery, outer)?;
    let return_type = match kind {
        Kind::Scalar => plan.schema().field(0).data_type().clone(),
        Kind::Exists { .. } | Kind::In { .. } => DataType::Boolean,
    };
    let function = SubPlan {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        kind,
        plan,
        state: state.clone(),
        signature: Signature::one_of(
            vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
            Volatility::Volatile,
        ),
        return_type,
        answers: Mutex::new(HashMap::new()),
    };
    let args = probe.into_iter().chain(columns.into_iter().map(Expr::Column)).collect();
    Ok(Transformed::yes(ScalarUDF::new_from_impl(function).call(args)))
}

/// The subquery's plan with `$1`, `$2` … in place of its references to `outer`'s
/// columns (in nested subqueries too), and those columns in order.
fn parameterized(subquery: &Subquery, outer: &DFSchema) -> DfResult<(LogicalPlan, Vec<Column>)> {
    let mut columns: Vec<Column> = Vec::new();
    let plan = subquery
        .subquery
        .as_ref()
        .clone()
        .transform_up_with_subqueries(|node| {
            // a relation of the subquery that read the outer row (`FROM unnest(t.arr)`)
            // reads parameters now: it is a plain relation
            let node = node.map_children(|child| match child {
                LogicalPlan::Subquery(inner) if !reads_outer(&inner.subquery, outer) => {
                    Ok(Transformed::yes(Arc::unwrap_or_clone(inner.subquery)))
                }
                other => Ok(Transformed::no(other)),
            })?;
            node.transform_data(|node| {
                let names = NamePreserver::new(&node);
                node.map_expressions(|expr| {
                    let saved = names.save(&expr);
                    let replaced = expr.transform_up(|e| match e {
                        Expr::OuterReferenceColumn(field, column) if outer.has_column(&column) => {
                            let index = match columns.iter().position(|c| *c == column) {
                                Some(i) => i,
                                None => {
                                    columns.push(column);
                                    columns.len() - 1
                                }
                            };
                            let field = Arc::new(Field::new(field.name(), field.data_type().clone(), true));
                            let id = format!("${}", index + 1);
                            Ok(Transformed::yes(Expr::Placeholder(Placeholder { id, field: Some(field) })))
                        }
                        Expr::ScalarSubquery(s) => {
                            Ok(Transformed::yes(Expr::ScalarSubquery(only_inner(s, outer))))
                        }
                        Expr::Exists(Exists { subquery, negated }) => {
                            Ok(Transformed::yes(Expr::Exists(Exists {
                                subquery: only_inner(subquery, outer),
                                negated,
                            })))
                        }
                        Expr::InSubquery(InSubquery { expr, subquery, negated }) => {
                            let subquery = only_inner(subquery, outer);
                            Ok(Transformed::yes(Expr::InSubquery(InSubquery { expr, subquery, negated })))
                        }
                        other => Ok(Transformed::no(other)),
                    })?;
                    Ok(replaced.update_data(|e| saved.restore(e)))
                })
            })
        })?
        .data;
    Ok((plan, columns))
}

/// Whether `plan` still refers to a column of `outer`.
fn reads_outer(plan: &LogicalPlan, outer: &DFSchema) -> bool {
    let mut reads = false;
    let _ = plan.apply_with_subqueries(|node| {
        reads = node.expressions().iter().any(|e| {
            e.exists(|x| Ok(matches!(x, Expr::OuterReferenceColumn(_, c) if outer.has_column(c))))
                .unwrap_or(true)
        });
        Ok(if reads { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    reads
}

/// A nested subquery keeps as outer references only those that are not parameters now.
fn only_inner(mut subquery: Subquery, outer: &DFSchema) -> Subquery {
    subquery
        .outer_ref_columns
        .retain(|e| !matches!(e, Expr::OuterReferenceColumn(_, c) if outer.has_column(c)));
    subquery
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Scalar,
    Exists { negated: bool },
    In { negated: bool },
}

/// One subquery, run per distinct set of outer values (its arguments; for `IN`, the
/// value compared comes first).
struct SubPlan {
    id: usize,
    kind: Kind,
    plan: LogicalPlan,
    state: Arc<SessionState>,
    signature: Signature,
    return_type: DataType,
    /// The first column of the subquery's rows, by the outer values they were run with.
    answers: Mutex<HashMap<Vec<ScalarValue>, Arc<Vec<ScalarValue>>>>,
}

impl std::fmt::Debug for SubPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubPlan").field("id", &self.id).field("kind", &self.kind).finish()
    }
}

impl PartialEq for SubPlan {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for SubPlan {}

impl Hash for SubPlan {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

impl ScalarUDFImpl for SubPlan {
    fn name(&self) -> &str {
        "subplan"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(rows)).collect::<DfResult<_>>()?;
        let (probe, outer) = match self.kind {
            Kind::In { .. } => (arrays.first(), arrays.get(1..).unwrap_or_default()),
            _ => (None, &arrays[..]),
        };
        let mut values = Vec::with_capacity(rows);
        for row in 0..rows {
            let key =
                outer.iter().map(|a| ScalarValue::try_from_array(a, row)).collect::<DfResult<Vec<_>>>()?;
            let answer = self.answer(key)?;
            let probe = probe.map(|p| ScalarValue::try_from_array(p, row)).transpose()?;
            values.push(self.value(&answer, probe)?);
        }
        if values.is_empty() {
            return Ok(ColumnarValue::Array(datafusion::arrow::array::new_empty_array(&self.return_type)));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(values)?))
    }
}

impl SubPlan {
    /// The subquery's rows for one set of outer values, run once per set.
    fn answer(&self, key: Vec<ScalarValue>) -> DfResult<Arc<Vec<ScalarValue>>> {
        if let Some(found) = self.answers.lock().ok().and_then(|a| a.get(&key).cloned()) {
            return Ok(found);
        }
        let bound = self
            .plan
            .clone()
            .replace_params_with_values(&ParamValues::List(key.iter().cloned().map(Into::into).collect()))?;
        let state = self.state.clone();
        let rows = Arc::new(block_on(async move {
            let physical = physical_plan(&state, &bound, false).await?;
            let batches = collect(physical, state.task_ctx()).await?;
            let mut rows = Vec::new();
            for batch in &batches {
                for row in 0..batch.num_rows() {
                    rows.push(ScalarValue::try_from_array(batch.column(0), row)?);
                }
            }
            Ok::<_, DataFusionError>(rows)
        })?);
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert(key, rows.clone());
        }
        Ok(rows)
    }

    /// What the subquery's expression is, given its rows.
    fn value(&self, rows: &[ScalarValue], probe: Option<ScalarValue>) -> DfResult<ScalarValue> {
        match self.kind {
            Kind::Scalar => match rows {
                [] => ScalarValue::try_from(&self.return_type),
                [one] => Ok(one.clone()),
                _ => Err(DataFusionError::Execution(
                    "more than one row returned by a subquery used as an expression".into(),
                )),
            },
            Kind::Exists { negated } => Ok(ScalarValue::Boolean(Some(rows.is_empty() == negated))),
            Kind::In { negated } => {
                let probe = probe.unwrap_or(ScalarValue::Null);
                let found = if rows.iter().any(|r| !r.is_null() && !probe.is_null() && *r == probe) {
                    Some(true)
                } else if rows.is_empty() {
                    Some(false)
                } else if probe.is_null() || rows.iter().any(ScalarValue::is_null) {
                    None
                } else {
                    Some(false)
                };
                Ok(ScalarValue::Boolean(found.map(|f| f != negated)))
            }
        }
    }
}

/// Runs `future` to completion from inside a (synchronous) function evaluation: on the
/// server's multi-threaded runtime the worker hands its other tasks on while it waits;
/// elsewhere (a single-threaded test runtime) on a thread of its own.
fn block_on<T: Send>(future: impl std::future::Future<Output = DfResult<T>> + Send) -> DfResult<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(future))
        }
        _ => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                    runtime.block_on(future)
                })
                .join()
                .map_err(|_| DataFusionError::Internal("a subquery's evaluation panicked".into()))?
        }),
    }
}
