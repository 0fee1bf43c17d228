//! datafusion-pg-catalog's statement rewrites that Sluice applies before its own: the
//! crate's `PostgresCompatibilityParser` rules, minus two that change what a query
//! returns.
//!
//! * `RemoveSubqueryFromProjection` replaces every correlated scalar subquery of a select
//!   list with NULL (`(SELECT max(q.x) FROM t q WHERE q.k = r.k)` answered NULL for every
//!   row): Sluice plans such subqueries (DataFusion decorrelates them, and
//!   [`super::rewrite`] shapes catalog lookups so that it can), or reports why it cannot.
//! * `AliasDuplicatedProjectionRewrite` renames the second of two columns of one name;
//!   PostgreSQL returns both under that name, as [`super::output_names`] does.

use std::sync::Arc;

use datafusion::sql::sqlparser::ast::Statement;
use datafusion_pg_catalog::sql::rules::{
    CurrentUserVariableToSessionUserFunctionCall, FixArrayLiteral, FixVersionColumnName,
    PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation,
    RewritePgCatalogOperator, RewriteRegCastToSubquery, SqlStatementRewriteRule, StripCallableQualifier,
    StripCollate,
};

/// The rules, in the crate's order.
#[derive(Debug)]
pub struct Compat {
    rules: Vec<Arc<dyn SqlStatementRewriteRule>>,
}

impl Compat {
    pub fn new() -> Compat {
        Compat {
            rules: vec![
                Arc::new(ResolveUnqualifiedIdentifier),
                Arc::new(RewriteArrayAnyAllOperation),
                Arc::new(PrependUnqualifiedPgTableName),
                Arc::new(StripCallableQualifier),
                Arc::new(FixArrayLiteral),
                Arc::new(CurrentUserVariableToSessionUserFunctionCall),
                Arc::new(StripCollate),
                Arc::new(RewritePgCatalogOperator),
                Arc::new(RewriteRegCastToSubquery::new()),
                Arc::new(FixVersionColumnName),
            ],
        }
    }

    /// `statement` with every rule applied.
    pub fn rewrite(&self, statement: Statement) -> Statement {
        self.rules.iter().fold(statement, |s, rule| rule.rewrite(s))
    }
}
