//! A body query as another engine's SQL. The body was parsed with PostgreSQL's rules:
//! unquoted names fold to lower case, quoted ones keep their case. Flink SQL identifiers
//! are case-sensitive and quoted with backticks, and many of its reserved words are plain
//! names in PostgreSQL (`value`, `timestamp`), so every name is written normalised and
//! backtick-quoted. Tables are renamed to the engine's names; a renamed table without an
//! alias gets its old name as alias, so `orders.id` still resolves.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, Query, Select, SelectItem, TableAlias, TableFactor, VisitMut, VisitorMut,
};

/// How names are quoted in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// `` `name` `` (Flink SQL).
    Backtick,
    /// `"name"` where needed (SeaTunnel's SQL transform, PostgreSQL-like).
    Double,
}

/// Writes `query` for an engine: tables renamed by `rename` (the body's name → the
/// engine's one-part or multi-part name), names quoted per `quoting`.
pub fn render(
    query: &Query,
    quoting: Quoting,
    rename: &dyn Fn(&ObjectName) -> Option<Vec<String>>,
) -> String {
    let mut query = query.clone();
    let mut visitor = Renderer { quoting, rename, unit_argument: false };
    let _ = query.visit(&mut visitor);
    query.to_string()
}

/// Writes one expression as [`render`] writes queries.
pub fn render_expr(expr: &Expr, quoting: Quoting) -> String {
    let mut expr = expr.clone();
    let keep = |_: &ObjectName| None;
    let mut visitor = Renderer { quoting, rename: &keep, unit_argument: false };
    let _ = expr.visit(&mut visitor);
    expr.to_string()
}

/// `name` quoted for Flink SQL: `` `a``b` ``.
pub fn flink_ident(name: &str) -> String {
    crate::sql::ast::backtick_ident(name)
}

/// `value` as a SQL string literal: `'it''s'`.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

struct Renderer<'a> {
    quoting: Quoting,
    rename: &'a dyn Fn(&ObjectName) -> Option<Vec<String>>,
    /// The expression visited next is the unit argument of TIMESTAMPDIFF / TIMESTAMPADD.
    unit_argument: bool,
}

/// Functions whose first argument is a unit written as a bare word.
const UNIT_FUNCTIONS: &[&str] = &["TIMESTAMPDIFF", "TIMESTAMPADD"];

/// Units of TIMESTAMPDIFF / TIMESTAMPADD, written as bare words (a column of that name
/// anywhere else is an identifier like any other: `day`).
const UNITS: &[&str] = &[
    "MICROSECOND",
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
    "WEEK",
    "MONTH",
    "QUARTER",
    "YEAR",
    "SQL_TSI_SECOND",
    "SQL_TSI_MINUTE",
    "SQL_TSI_HOUR",
    "SQL_TSI_DAY",
    "SQL_TSI_WEEK",
    "SQL_TSI_MONTH",
    "SQL_TSI_QUARTER",
    "SQL_TSI_YEAR",
];

impl Renderer<'_> {
    fn ident(&self, ident: &mut Ident) {
        let value =
            if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_lowercase() };
        *ident = match self.quoting {
            Quoting::Backtick => Ident::with_quote('`', value),
            Quoting::Double if needs_quotes(&value) => Ident::with_quote('"', value),
            Quoting::Double => Ident::new(value),
        };
    }

    fn alias(&self, alias: &mut TableAlias) {
        self.ident(&mut alias.name);
        for column in &mut alias.columns {
            self.ident(&mut column.name);
        }
    }
}

fn needs_quotes(name: &str) -> bool {
    !(name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
}

impl VisitorMut for Renderer<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                self.alias(&mut cte.alias);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        for item in &mut select.projection {
            if let SelectItem::ExprWithAlias { alias, .. } = item {
                self.ident(alias);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                let renamed = (self.rename)(name);
                let old_last = name.0.last().and_then(|p| p.as_ident()).cloned();
                match renamed {
                    Some(parts) => {
                        if alias.is_none()
                            && name.0.len() > 1
                            && let Some(last) = old_last
                        {
                            *alias = Some(TableAlias {
                                explicit: true,
                                name: last,
                                columns: Vec::new(),
                                at: None,
                            });
                        }
                        // engine names are exact: quoted, case kept
                        let parts: Vec<Ident> = parts
                            .into_iter()
                            .map(|p| {
                                let mut ident = Ident::with_quote('"', p);
                                self.ident(&mut ident);
                                ident
                            })
                            .collect();
                        *name = ObjectName::from(parts);
                    }
                    None => {
                        let parts: Vec<Ident> = name
                            .0
                            .iter()
                            .filter_map(|p| p.as_ident().cloned())
                            .map(|mut ident| {
                                self.ident(&mut ident);
                                ident
                            })
                            .collect();
                        if parts.len() == name.0.len() {
                            *name = ObjectName::from(parts);
                        }
                    }
                }
                if let Some(alias) = alias {
                    self.alias(alias);
                }
            }
            TableFactor::Derived { alias: Some(alias), .. } => self.alias(alias),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        // tables of window functions were renamed inside their subquery: `TABLE name` again
        if let Expr::Function(f) = expr
            && crate::sql::window::is_window(f)
        {
            crate::sql::window::restore_arguments(f);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        // arguments are visited right after their function, the first one first
        let unit_argument = std::mem::take(&mut self.unit_argument);
        match expr {
            Expr::Function(f) => {
                let name = f.name.to_string().to_uppercase();
                self.unit_argument = UNIT_FUNCTIONS.contains(&name.as_str());
            }
            Expr::Identifier(ident) => {
                let unit = unit_argument
                    && ident.quote_style.is_none()
                    && UNITS.contains(&ident.value.to_uppercase().as_str());
                if !unit {
                    self.ident(ident);
                }
            }
            Expr::CompoundIdentifier(parts) => {
                for part in parts {
                    self.ident(part);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn query(sql: &str) -> Query {
        *Parser::new(&PostgreSqlDialect {}).try_with_sql(sql).unwrap().parse_query().unwrap()
    }

    fn rename(name: &ObjectName) -> Option<Vec<String>> {
        (name.0.len() == 3).then(|| {
            vec![name.0.iter().map(|p| p.to_string().replace('"', "")).collect::<Vec<_>>().join("_")]
        })
    }

    #[test]
    fn names_are_normalised_and_backticked_for_flink() {
        let q = query(
            "SELECT o.ID, \"Order Id\" AS \"Key\", value, day, TIMESTAMPDIFF(DAY, a, b) AS days, 'it''s' \
             FROM shop.sales.\"order\" o JOIN shop.sales.users ON users.id = o.user_id WHERE Amount > 0",
        );
        let out = render(&q, Quoting::Backtick, &rename);
        assert_eq!(
            out,
            "SELECT `o`.`id`, `Order Id` AS `Key`, `value`, `day`, TIMESTAMPDIFF(DAY, `a`, `b`) AS `days`, 'it''s' \
             FROM `shop_sales_order` `o` JOIN `shop_sales_users` AS `users` ON `users`.`id` = `o`.`user_id` \
             WHERE `amount` > 0"
        );
    }

    #[test]
    fn double_quotes_only_where_needed() {
        let q = query("SELECT \"Mixed\", plain FROM a.b.c WHERE x = 'y'");
        assert_eq!(
            render(&q, Quoting::Double, &rename),
            "SELECT \"Mixed\", plain FROM a_b_c AS c WHERE x = 'y'"
        );
    }
}
