//! Output column names as PostgreSQL gives them.
//!
//! PostgreSQL names a select-list item that has no alias after what it is: a function
//! call after the function (`count(*)` is `count`, `current_database()` is
//! `current_database`), a column after the column. DataFusion names it after the whole
//! expression (`count(*)`, `current_database()`), and queries that refer to a derived
//! table's or CTE's column by PostgreSQL's name (`… COUNT(1) … ORDER BY count`) then fail.
//! This rewrite gives every unaliased function call in a select list its PostgreSQL name.
//!
//! PostgreSQL also lets two columns of a result share a name (`SELECT 1 AS a, 2 AS a`,
//! `SELECT current_database(), current_database()`, `NULL, NULL`); DataFusion cannot
//! return two columns of one name. Such a column is named `name` + [`DUPLICATE_MARK`] +
//! a number, and the wire shows the name before the mark ([`shown_name`]).

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    DataType, Expr, Ident, Query, SelectItem, SetExpr, Statement, TimezoneInfo, VisitMut, VisitorMut,
};

use crate::sql::exprs::function_name;

/// Separates a column's name from the number that keeps it distinct from another column
/// of the same name; a character no client writes in an identifier.
pub const DUPLICATE_MARK: char = '\u{1}';

/// The name a column is shown by: its name without the mark that keeps it distinct.
pub fn shown_name(name: &str) -> &str {
    name.split(DUPLICATE_MARK).next().unwrap_or(name)
}

pub(super) fn distinct_alias(name: &str, n: usize) -> Ident {
    Ident::with_quote('"', format!("{name}{DUPLICATE_MARK}{n}"))
}

pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Names);
}

struct Names;

impl VisitorMut for Names {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        name_body(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

fn name_body(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            let mut used: HashSet<String> = HashSet::new();
            let mut n = 0;
            // `SELECT n.oid, n.*`: the columns a wildcard brings are named after
            // themselves, so a column also listed by name is told apart.
            let wildcard = select
                .projection
                .iter()
                .any(|item| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)));
            for item in &mut select.projection {
                let (name, alias_it) = match item {
                    SelectItem::ExprWithAlias { alias, .. } => (alias.value.clone(), false),
                    // DataFusion names a column reference after the column already
                    SelectItem::UnnamedExpr(e @ (Expr::Identifier(_) | Expr::CompoundIdentifier(_))) => {
                        (figure_name(e).unwrap_or_default(), false)
                    }
                    SelectItem::UnnamedExpr(e) => {
                        (figure_name(e).unwrap_or_else(|| "?column?".to_owned()), true)
                    }
                    _ => continue,
                };
                let listed_column = wildcard && !alias_it && matches!(item, SelectItem::UnnamedExpr(_));
                let alias = if used.insert(name.clone()) && !listed_column {
                    if !alias_it {
                        continue;
                    }
                    Ident::with_quote('"', name)
                } else {
                    n += 1;
                    distinct_alias(&name, n)
                };
                *item = match std::mem::replace(item, SelectItem::Wildcard(Default::default())) {
                    SelectItem::ExprWithAlias { expr, .. } | SelectItem::UnnamedExpr(expr) => {
                        SelectItem::ExprWithAlias { expr, alias }
                    }
                    other => other,
                };
            }
        }
        SetExpr::SetOperation { left, .. } => name_body(left),
        _ => {}
    }
}

/// The name PostgreSQL gives an unaliased select-list item (its `FigureColname`): a
/// column's or function's name, through casts (else the cast's type), `case`, `array`;
/// `None` for anything else (`?column?`).
pub(super) fn figure_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(i.value.to_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()),
        Expr::Function(function) => function_name(&function.name).map(|(name, _)| name),
        Expr::Cast { expr, data_type, .. } => figure_name(expr).or_else(|| Some(type_name(data_type))),
        Expr::Nested(inner) => figure_name(inner),
        Expr::Case { .. } => Some("case".to_owned()),
        Expr::Array(_) => Some("array".to_owned()),
        Expr::Exists { .. } => Some("exists".to_owned()),
        // a scalar subquery is named after its column
        Expr::Subquery(query) => first_column_name(&query.body),
        _ => None,
    }
}

fn first_column_name(body: &SetExpr) -> Option<String> {
    match body {
        SetExpr::Select(select) => match select.projection.first()? {
            SelectItem::ExprWithAlias { alias, .. } if alias.quote_style.is_some() => {
                Some(alias.value.clone())
            }
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            SelectItem::UnnamedExpr(e) => figure_name(e),
            _ => None,
        },
        SetExpr::SetOperation { left, .. } => first_column_name(left),
        SetExpr::Query(query) => first_column_name(&query.body),
        _ => None,
    }
}

/// PostgreSQL's name of a type a value is cast to (`integer` is `int4`).
fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::Boolean | DataType::Bool => "bool",
        DataType::Varchar(_) | DataType::CharacterVarying(_) => "varchar",
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Real | DataType::Float4 => "float4",
        DataType::Double(_) | DataType::DoublePrecision | DataType::Float8 | DataType::Float(_) => "float8",
        DataType::Timestamp(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone) => "timestamptz",
        DataType::Timestamp(..) => "timestamp",
        DataType::Time(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone) => "timetz",
        DataType::Time(..) => "time",
        DataType::Custom(name, _) => {
            return name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map_or_else(String::new, |i| i.value.to_lowercase());
        }
        other => {
            let text = other.to_string().to_lowercase();
            return text.split('(').next().unwrap_or_default().trim().to_owned();
        }
    };
    name.to_owned()
}
