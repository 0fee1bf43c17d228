//! Untyped string literals take the type of what they are compared with.
//!
//! In PostgreSQL a quoted literal has no type of its own until its context gives one:
//! `relhasrules = 'f'` compares a boolean with the boolean `false`. DataFusion types
//! every quoted literal as text, and cannot compare a boolean with text. This analyzer
//! rule, run before type coercion, casts a text literal compared (`=`, `<>`, `<`, …, `IS
//! DISTINCT FROM`) with a boolean expression to boolean, with PostgreSQL's spellings
//! (`t`, `true`, `yes`, `on`, `1` …); a literal that is no boolean stays text and type
//! coercion reports the mismatch as before. A literal in array syntax compared with an
//! array (`polroles = '{0}'`) becomes an array of that array's element type.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

#[derive(Debug, Default)]
pub struct UntypedLiterals;

impl AnalyzerRule for UntypedLiterals {
    fn name(&self) -> &str {
        "sluice_untyped_literals"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let inputs: Vec<DFSchemaRef> = node.inputs().iter().map(|i| Arc::clone(i.schema())).collect();
            // what the node's expressions see, built only for a node that has such a comparison
            let mut schema: Option<DFSchema> = None;
            // An aggregate's output is named after its expression: keep the name a parent
            // (or a decorrelated subquery's join) refers to.
            let names = NamePreserver::new(&node);
            node.map_expressions(|e| {
                let saved = names.save(&e);
                let typed = e.transform_up(|e| {
                    if !compares_with_text(&e) {
                        return Ok(Transformed::no(e));
                    }
                    let schema = schema.get_or_insert_with(|| {
                        let mut merged = DFSchema::empty();
                        for input in &inputs {
                            merged.merge(input);
                        }
                        merged
                    });
                    Ok(typed_literal(e, schema))
                })?;
                Ok(typed.update_data(|e| saved.restore(e)))
            })
        })
        .map(|t| t.data)
    }
}

/// A comparison with a text literal on one side.
fn compares_with_text(expr: &Expr) -> bool {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else { return false };
    let text =
        |e: &Expr| matches!(e, Expr::Literal(ScalarValue::Utf8(Some(_)) | ScalarValue::Utf8View(Some(_)), _));
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    ) && (text(left) || text(right))
}

/// The comparison `expr` (see [`compares_with_text`]) with its text literal typed after
/// the other side, where it spells a value of that type.
fn typed_literal(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else { return Transformed::no(expr) };
    let typed = |text: &Expr, other: &Expr| match other.get_type(schema) {
        Ok(DataType::Boolean) => text_boolean(text),
        Ok(DataType::List(item)) => text_array(text, item.data_type()),
        _ => None,
    };
    let (new_left, new_right) = match (typed(left, right), typed(right, left)) {
        (Some(l), None) => (l, right.as_ref().clone()),
        (None, Some(r)) => (left.as_ref().clone(), r),
        _ => return Transformed::no(expr),
    };
    Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(Box::new(new_left), *op, Box::new(new_right))))
}

/// A text literal in PostgreSQL's array syntax (`'{0}'`, `'{a,b}'`), as a list literal
/// of `item` (flat arrays of values that need no quoting).
fn text_array(expr: &Expr, item: &DataType) -> Option<Expr> {
    let Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)), _) = expr else {
        return None;
    };
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '"', '\\']) {
        return None;
    }
    let values = inner
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| ScalarValue::Utf8(Some(v.to_owned())).cast_to(item).ok())
        .collect::<Option<Vec<_>>>()?;
    let list = ScalarValue::List(ScalarValue::new_list_nullable(&values, item));
    Some(Expr::Literal(list, None))
}

/// A text literal spelling a boolean, as the boolean literal.
fn text_boolean(expr: &Expr) -> Option<Expr> {
    let Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)), _) = expr else {
        return None;
    };
    let value = match text.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => true,
        "f" | "false" | "n" | "no" | "off" | "0" => false,
        _ => return None,
    };
    Some(Expr::Literal(ScalarValue::Boolean(Some(value)), None))
}
