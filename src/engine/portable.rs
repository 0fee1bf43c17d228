//! Which expressions a source evaluates exactly as DataFusion does, so that sending them
//! there (a pushed filter, a federated statement) cannot change a query's answer.
//!
//! Comparisons, arithmetic, casts, `CASE`, `IN`, `BETWEEN` and `IS [NOT] NULL` are the
//! same everywhere; so are the functions in [`FUNCTIONS`] and the aggregates in
//! [`AGGREGATES`] (their result types may differ; a federated statement's rows are cast
//! to DataFusion's types). Anything else — PostgreSQL's and Flink's functions, which
//! Sluice implements in DataFusion, windows, regular expressions — stays in DataFusion.
//! `LIKE` and `||` are PostgreSQL's too, but not MySQL's: its `LIKE` ignores case under
//! the default collations and `||` means OR.
//!
//! Left alone: MySQL compares strings with `=` under the column's collation, often
//! case-insensitive; equality on text is pushed regardless (point lookups depend on it).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Constraints, DFSchema, Result, Statistics};
use datafusion::datasource::TableType;
use datafusion::logical_expr::{
    BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator, TableProviderFilterPushDown, TryCast,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_federation::FederatedTableProviderAdaptor;

/// Scalar functions MySQL/MariaDB and PostgreSQL evaluate as DataFusion does.
pub const FUNCTIONS: &[&str] = &["upper", "lower", "abs", "ceil", "floor", "coalesce", "nullif"];

/// Aggregate functions MySQL/MariaDB and PostgreSQL evaluate as DataFusion does.
pub const AGGREGATES: &[&str] = &["count", "sum", "min", "max", "avg"];

/// Whose SQL an expression would be sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    MySql,
    Postgres,
    /// Either: what both evaluate as DataFusion does.
    Any,
}

/// Whether `expr` and everything in it is evaluated at a `dialect` source as in DataFusion.
pub fn expr(expr: &Expr, dialect: Dialect) -> bool {
    let mut portable = true;
    let _ = expr.apply(|e| {
        portable &= node(e, dialect);
        Ok(if portable { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
    });
    portable
}

/// Whether every expression of `plan` (subqueries included) is portable to `dialect`. A
/// cast of a string to a string is not portable to MySQL in a statement's results: MariaDB
/// types `CAST(text AS CHAR)` as a long text that datafusion-table-providers cannot read.
pub fn plan(plan: &LogicalPlan, dialect: Dialect) -> bool {
    let mut portable = true;
    let _ = plan.apply_with_subqueries(|n| {
        let inputs = n.inputs();
        let schema = match inputs.as_slice() {
            [one] => one.schema(),
            _ => n.schema(),
        };
        n.apply_expressions(|e| {
            portable &= expr(e, dialect) && (dialect == Dialect::Postgres || !recasts_a_string(e, schema));
            Ok(if portable { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
        })?;
        Ok(if portable { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
    });
    portable
}

/// Whether `e` casts a string (of `schema`'s columns) to a string; true where a type
/// cannot be told.
fn recasts_a_string(e: &Expr, schema: &DFSchema) -> bool {
    let string = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let mut found = false;
    let _ = e.apply(|e| {
        if let Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field }) = e
            && string(field.data_type())
        {
            found |= expr.get_type(schema).map_or(true, |t| string(&t));
        }
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

fn node(e: &Expr, dialect: Dialect) -> bool {
    let postgres = dialect == Dialect::Postgres;
    match e {
        Expr::ScalarFunction(f) => FUNCTIONS.contains(&f.name()),
        Expr::AggregateFunction(f) => AGGREGATES.contains(&f.func.name()),
        Expr::WindowFunction(_) | Expr::SimilarTo(_) => false,
        // the unparser writes casts to these types only (a cast to binary fails at the
        // source's statement, not here)
        Expr::Cast(c) => castable(c.field.data_type(), postgres),
        Expr::TryCast(c) => castable(c.field.data_type(), postgres),
        Expr::Like(_) => postgres,
        Expr::BinaryExpr(BinaryExpr { op, .. }) => match op {
            Operator::StringConcat | Operator::IsDistinctFrom | Operator::IsNotDistinctFrom => postgres,
            Operator::RegexMatch
            | Operator::RegexIMatch
            | Operator::RegexNotMatch
            | Operator::RegexNotIMatch => false,
            _ => true,
        },
        _ => true,
    }
}

/// Whether both dialects (`postgres`: PostgreSQL's) cast to `data_type` as the unparser
/// writes it. MySQL's CAST has no SMALLINT or BOOLEAN (MariaDB 10.11 refuses both), and
/// neither has the TINYINT the unparser writes for an 8-bit integer.
fn castable(data_type: &DataType, postgres: bool) -> bool {
    use DataType::*;
    if matches!(data_type, Int16 | Boolean) {
        return postgres;
    }
    matches!(
        data_type,
        Int32 | Int64 | Float32 | Float64 | Decimal128(..) | Utf8 | LargeUtf8 | Utf8View | Date32
    )
}

/// `provider` (a datafusion-table-providers live table, a datafusion-federation adaptor)
/// with filters a `dialect` source would judge differently kept in DataFusion.
pub fn guard_filters(provider: Arc<dyn TableProvider>, dialect: Dialect) -> Arc<dyn TableProvider> {
    let Some(adaptor) = provider.downcast_ref::<FederatedTableProviderAdaptor>() else {
        return provider;
    };
    let Some(inner) = adaptor.table_provider.clone() else {
        return provider;
    };
    let guarded = Arc::new(PortableFilters { inner, dialect });
    Arc::new(FederatedTableProviderAdaptor::new_with_provider(adaptor.source.clone(), guarded))
}

/// A live table that takes to its source only the filters the source evaluates exactly.
#[derive(Debug)]
struct PortableFilters {
    inner: Arc<dyn TableProvider>,
    dialect: Dialect,
}

#[async_trait]
impl TableProvider for PortableFilters {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let mut answers = self.inner.supports_filters_pushdown(filters)?;
        for (answer, filter) in answers.iter_mut().zip(filters) {
            if !expr(filter, self.dialect) {
                *answer = TableProviderFilterPushDown::Unsupported;
            }
        }
        Ok(answers)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    #[test]
    fn like_and_concatenation_are_postgres_only_functions_are_listed() {
        let like = col("name").like(lit("a%"));
        assert!(expr(&like, Dialect::Postgres));
        assert!(!expr(&like, Dialect::MySql));
        assert!(!expr(&like, Dialect::Any));
        let filter = col("id").gt(lit(3)).and(col("name").eq(lit("x")));
        assert!(expr(&filter, Dialect::MySql));
        let upper = datafusion::functions::string::upper().call(vec![col("name")]);
        assert!(expr(&upper.clone().eq(lit("X")), Dialect::MySql));
        let md5 = datafusion::functions::crypto::md5().call(vec![col("name")]);
        assert!(!expr(&md5.eq(lit("x")), Dialect::Postgres));
    }
}
