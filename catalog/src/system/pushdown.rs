//! Filters on system tables translated into the store's SQL.
//!
//! A filter is pushed only when the store evaluates it exactly as DataFusion would, so
//! the scan can report it as `Exact` and DataFusion drops its own `Filter`: comparisons of
//! a stored column with a literal (`=`, `<>`, `IN`, and `<`/`<=`/`>`/`>=` on integers and
//! timestamps — text order depends on the store's collation), `IS [NOT] NULL`, and `AND`/
//! `OR`/`NOT` of those. Values are bound as parameters, never spliced into the text.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use super::tables::{Col, SystemTableDef};
use crate::store::rows::StoreValue;

/// A condition in the store's SQL and the values of its parameters.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<StoreValue>,
}

/// Translates `filters` (all of which must be [`pushable`]) into one condition, or `None`
/// when there are none; `Err` names a filter that does not translate after all.
pub fn condition(def: &SystemTableDef, filters: &[Expr]) -> Result<Option<Condition>, String> {
    let mut out = Condition::default();
    for (i, filter) in filters.iter().enumerate() {
        if i > 0 {
            out.sql.push_str(" AND ");
        }
        if translate(def, filter, &mut out).is_none() {
            return Err(format!("filter {filter} on sluice.{} cannot run in the store", def.name));
        }
    }
    Ok((!filters.is_empty()).then_some(out))
}

/// Whether `filter` can run in the store, exactly.
pub fn pushable(def: &SystemTableDef, filter: &Expr) -> bool {
    translate(def, filter, &mut Condition::default()).is_some()
}

fn translate(def: &SystemTableDef, expr: &Expr, out: &mut Condition) -> Option<()> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: op @ (Operator::And | Operator::Or), right }) => {
            out.sql.push('(');
            translate(def, left, out)?;
            out.sql.push_str(if *op == Operator::And { " AND " } else { " OR " });
            translate(def, right, out)?;
            out.sql.push(')');
            Some(())
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if let (Some(column), Some(value)) = (column(def, left), literal(right)) {
                compare(column, *op, value, out)
            } else {
                let (column, value) = (column(def, right)?, literal(left)?);
                compare(column, op.swap()?, value, out)
            }
        }
        Expr::Not(inner) => {
            out.sql.push_str("NOT (");
            translate(def, inner, out)?;
            out.sql.push(')');
            Some(())
        }
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => {
            let (name, _) = column(def, inner)?;
            let test = if matches!(expr, Expr::IsNull(_)) { "IS NULL" } else { "IS NOT NULL" };
            out.sql.push_str(&format!("\"{name}\" {test}"));
            Some(())
        }
        Expr::InList(list) if !list.list.is_empty() => {
            let (name, col) = column(def, &list.expr)?;
            let mut placeholders = Vec::with_capacity(list.list.len());
            for item in &list.list {
                let value = bind(col, literal(item)?)?;
                out.params.push(value);
                placeholders.push(format!("${}", out.params.len()));
            }
            let not = if list.negated { "NOT " } else { "" };
            out.sql.push_str(&format!("\"{name}\" {not}IN ({})", placeholders.join(", ")));
            Some(())
        }
        Expr::Column(_) => {
            let (name, col) = column(def, expr)?;
            matches!(col, Col::Bool).then_some(())?;
            out.params.push(StoreValue::Bool(true));
            out.sql.push_str(&format!("\"{name}\" = ${}", out.params.len()));
            Some(())
        }
        _ => None,
    }
}

/// `column <op> value`, if the store orders values of the column as DataFusion does.
fn compare(
    column: (&'static str, Col),
    op: Operator,
    value: &ScalarValue,
    out: &mut Condition,
) -> Option<()> {
    let (name, col) = column;
    let symbol = match op {
        Operator::Eq => "=",
        Operator::NotEq => "<>",
        Operator::Lt => "<",
        Operator::LtEq => "<=",
        Operator::Gt => ">",
        Operator::GtEq => ">=",
        _ => return None,
    };
    let ordered = matches!(op, Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq);
    if ordered && !matches!(col, Col::Int | Col::Time) {
        return None;
    }
    out.params.push(bind(col, value)?);
    out.sql.push_str(&format!("\"{name}\" {symbol} ${}", out.params.len()));
    Some(())
}

/// The stored column `expr` names (possibly through a cast that changes no value: text to
/// another string type), with its type.
fn column(def: &SystemTableDef, expr: &Expr) -> Option<(&'static str, Col)> {
    match expr {
        Expr::Column(c) => def
            .columns
            .iter()
            .find(|(name, ..)| *name == c.name)
            .filter(|(name, ..)| def.is_stored(name))
            .map(|(name, col, _)| (*name, *col)),
        Expr::Cast(cast) if matches!(cast.field.data_type(), DataType::Utf8View | DataType::LargeUtf8) => {
            column(def, &cast.expr).filter(|(_, col)| matches!(col, Col::Text))
        }
        _ => None,
    }
}

fn literal(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(value, _) if !value.is_null() => Some(value),
        _ => None,
    }
}

/// The store's form of `value` compared with a column of type `col`.
fn bind(col: Col, value: &ScalarValue) -> Option<StoreValue> {
    Some(match (col, value) {
        (
            Col::Text,
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
        ) => StoreValue::Text(s.clone()),
        (Col::Int, ScalarValue::Int64(Some(v))) => StoreValue::Int(*v),
        (Col::Int, ScalarValue::Int32(Some(v))) => StoreValue::Int(i64::from(*v)),
        (Col::Int, ScalarValue::Int16(Some(v))) => StoreValue::Int(i64::from(*v)),
        (Col::Int, ScalarValue::Int8(Some(v))) => StoreValue::Int(i64::from(*v)),
        (Col::Bool, ScalarValue::Boolean(Some(v))) => StoreValue::Bool(*v),
        (Col::Time, ScalarValue::TimestampMicrosecond(Some(v), _)) => StoreValue::Int(*v),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{cast, col, lit};

    use super::*;
    use crate::system::SYSTEM_TABLES;

    fn def(name: &str) -> &'static SystemTableDef {
        SYSTEM_TABLES.iter().find(|d| d.name == name).expect("a system table")
    }

    #[test]
    fn equality_ranges_and_lists_translate_with_bound_values() {
        let events = def("events");
        let filters = [
            col("id").lt(lit(100i64)),
            lit("source").eq(col("object_kind")),
            col("action").in_list(vec![lit("create"), lit("drop")], false),
        ];
        assert!(filters.iter().all(|f| pushable(events, f)));
        let c = condition(events, &filters).unwrap().expect("a condition");
        assert_eq!(c.sql, r#""id" < $1 AND "object_kind" = $2 AND "action" IN ($3, $4)"#);
        assert_eq!(
            c.params,
            vec![
                StoreValue::Int(100),
                StoreValue::Text("source".into()),
                StoreValue::Text("create".into()),
                StoreValue::Text("drop".into()),
            ]
        );
    }

    #[test]
    fn what_the_store_would_judge_differently_is_not_pushed() {
        let sources = def("sources");
        // Text order follows the store's collation, not DataFusion's byte order.
        assert!(!pushable(sources, &col("name").gt(lit("m"))));
        // LIKE is case-insensitive in SQLite.
        assert!(!pushable(sources, &col("name").like(lit("a%"))));
        // A computed column is not a stored one.
        assert!(!pushable(def("roles"), &col("has_password").eq(lit(true))));
        // An expression over the column (a cast that changes the values).
        assert!(!pushable(def("events"), &cast(col("id"), DataType::Utf8).eq(lit("1"))));
        // NULL literal comparisons are left to DataFusion.
        assert!(!pushable(sources, &col("name").eq(lit(ScalarValue::Utf8(None)))));
    }

    #[test]
    fn boolean_columns_and_null_tests_and_or_not() {
        let roles = def("roles");
        let filter = col("superuser").or(!col("name").is_null());
        let c = condition(roles, &[filter]).unwrap().expect("a condition");
        assert_eq!(c.sql, r#"("superuser" = $1 OR NOT ("name" IS NULL))"#);
        assert_eq!(c.params, vec![StoreValue::Bool(true)]);
    }
}
