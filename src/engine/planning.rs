//! Turning a parsed statement into a DataFusion logical plan.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Spanned;

use super::Engine;
use crate::error::{Result, SluiceError, SourcePos};

/// Plans `statement` in `state`.
///
/// The statement is first rewritten by datafusion-pg-catalog's rules (pg_catalog
/// operators, `::regclass` casts, `ANY(array)` …; see [`super::compat`]) and Sluice's
/// own (oid alias output, catalog lookups, set-returning functions, output names, …),
/// keeping its source spans, so errors point into the client's text. No statement is
/// recognised by its text: what DataFusion cannot plan is an error.
pub async fn plan_statement(
    engine: &Engine,
    state: &SessionState,
    statement: &DfStatement,
) -> Result<LogicalPlan> {
    let rewritten = match statement {
        DfStatement::Statement(s) => {
            let mut s = (**s).clone();
            super::reg_output::rewrite(&mut s);
            let mut s = engine.compat().rewrite(s);
            super::sql_functions::inline(&mut s);
            super::rewrite::rewrite(&mut s);
            super::output_names::rewrite(&mut s);
            let table_functions = state.table_functions().keys().cloned().collect();
            super::set_functions::rewrite(&mut s, &table_functions);
            DfStatement::Statement(Box::new(s))
        }
        other => other.clone(),
    };
    check_tables_exist(state, &rewritten)?;
    let plan = state.statement_to_plan(rewritten).await?;
    Ok(super::literals::int4_literals(plan))
}

/// Reports the first relation of `statement` that does not exist, with its position.
fn check_tables_exist(state: &SessionState, statement: &DfStatement) -> Result<()> {
    let DfStatement::Statement(ast) = statement else {
        return Ok(());
    };
    // Only reads: the target of CREATE TABLE or INSERT is not expected to exist (and is
    // refused with its own message).
    if !matches!(ast.as_ref(), datafusion::sql::sqlparser::ast::Statement::Query(_)) {
        return Ok(());
    }
    let Ok(references) = state.resolve_table_references(statement) else {
        return Ok(());
    };
    for reference in references {
        if reference.schema().is_none() && state.table_functions().contains_key(reference.table()) {
            continue;
        }
        let catalog = &state.config().options().catalog;
        let resolved = reference.clone().resolve(&catalog.default_catalog, &catalog.default_schema);
        let exists = state
            .schema_for_ref(resolved.clone())
            .map(|schema| schema.table_exist(&resolved.table))
            .unwrap_or(false);
        if !exists {
            let name = reference.to_string();
            let pos = find_relation_span(ast, &reference.table().to_lowercase());
            return Err(SluiceError::UndefinedTable { name, pos });
        }
    }
    Ok(())
}

fn find_relation_span(ast: &datafusion::sql::sqlparser::ast::Statement, table: &str) -> Option<SourcePos> {
    use datafusion::sql::sqlparser::ast::visit_relations;
    use std::ops::ControlFlow;
    let mut found = None;
    let _ = visit_relations(ast, |name| {
        let last = name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() });
        if last.as_deref() == Some(table) || last.as_deref().map(str::to_lowercase).as_deref() == Some(table)
        {
            let span = name.span();
            if span.start.line > 0 {
                found = Some(SourcePos { line: span.start.line, column: span.start.column });
                return ControlFlow::Break(());
            }
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// Whether every function in `plan` (and its subqueries) is immutable, so an optimized
/// plan stays right forever. Placeholders are allowed: an optimized plan with
/// placeholders is bound to values at each run without optimizing again.
pub fn is_immutable(plan: &LogicalPlan) -> bool {
    let mut immutable = true;
    let _ = plan.apply_with_subqueries(|node| {
        let _ = node.apply_expressions(|expr| {
            let _ = expr.apply(|e| {
                let bad = match e {
                    Expr::ScalarFunction(f) => f.func.signature().volatility != Volatility::Immutable,
                    _ => false,
                };
                if bad {
                    immutable = false;
                    Ok(TreeNodeRecursion::Stop)
                } else {
                    Ok(TreeNodeRecursion::Continue)
                }
            });
            Ok(if immutable { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
        });
        Ok(if immutable { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
    });
    immutable
}

/// Whether `plan` reads no table at all and takes no parameters (only literals, VALUES
/// and the like): its result is the same every time.
pub fn is_constant(plan: &LogicalPlan) -> bool {
    let mut reads = false;
    let _ = plan.apply_with_subqueries(|node| {
        let placeholder = node
            .expressions()
            .iter()
            .any(|e| e.exists(|x| Ok(matches!(x, Expr::Placeholder(_)))).unwrap_or(true));
        if placeholder || matches!(node, LogicalPlan::TableScan(_) | LogicalPlan::Extension(_)) {
            reads = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    !reads
        && matches!(plan, LogicalPlan::Projection(_) | LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_))
}
