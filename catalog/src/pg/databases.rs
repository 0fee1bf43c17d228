//! `pg_database`: the gateway's database and every source a client may connect to as a
//! database (psql's `\l`, DBeaver's database list), read from the store at each scan.
//!
//! datafusion-pg-catalog lists the catalogs a session's catalog list names — one. Its row
//! is kept as the template of every database's (encoding, collation, flags); the names,
//! owners and oids are the gateway's. Databases have no stored oid: each is a stable
//! hash of its name, in a range no table, key or role oid reaches.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use super::objects::{Row, rows_batch};
use super::roles::{name_hash, role_oid};
use crate::store::Store;

/// Which sources are databases a client may connect to (those read live).
pub type IsDatabase = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What `pg_database` lists: the gateway's database `own` (owned by `owner`, who owns the
/// catalog) and the sources `is_database` accepts.
#[derive(Clone)]
pub struct Databases {
    pub store: Store,
    pub own: String,
    pub owner: String,
    pub is_database: IsDatabase,
}

impl std::fmt::Debug for Databases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Databases").field("own", &self.own).field("owner", &self.owner).finish()
    }
}

/// The schemas every database has, the gateway's own whichever database a session is in.
pub const SHARED_SCHEMAS: [&str; 2] = ["pg_catalog", "information_schema"];

/// The oid of database `name`: its name's hash folded into [2e9, 2e9 + 1e8).
pub fn database_oid(name: &str) -> i32 {
    2_000_000_000 + (name_hash(name) % 100_000_000) as i32
}

/// `pg_database` over [`Databases`].
#[derive(Debug)]
pub struct DatabaseTable {
    /// datafusion-pg-catalog's table (already in PostgreSQL's types): the template row.
    inner: Arc<dyn TableProvider>,
    databases: Databases,
}

impl DatabaseTable {
    pub fn new(inner: Arc<dyn TableProvider>, databases: Databases) -> DatabaseTable {
        DatabaseTable { inner, databases }
    }

    /// `(name, owner)` of every database, the gateway's first.
    async fn listed(&self) -> Result<Vec<(String, String)>> {
        let sources =
            self.databases.store.sources().await.map_err(|e| DataFusionError::External(Box::new(e)))?;
        let mut listed = vec![(self.databases.own.clone(), self.databases.owner.clone())];
        listed.extend(
            sources.into_iter().filter(|s| (self.databases.is_database)(&s.name)).map(|s| (s.name, s.owner)),
        );
        Ok(listed)
    }

    /// The crate's first row as `(column, value)`, to be copied into every database's.
    async fn template(&self, state: &dyn Session) -> Result<Row> {
        let schema = self.inner.schema();
        let batches = super::read_all(self.inner.as_ref(), state).await?;
        let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok(Vec::new()) };
        schema
            .fields()
            .iter()
            .enumerate()
            .filter_map(|(i, field)| {
                let name = TEMPLATE_COLUMNS.iter().find(|c| **c == field.name().as_str())?;
                Some(ScalarValue::try_from_array(batch.column(i), 0).map(|v| (*name, v)))
            })
            .collect()
    }
}

/// The columns copied from the crate's row (the rest are set per database or NULL).
const TEMPLATE_COLUMNS: &[&str] = &[
    "encoding",
    "datlocprovider",
    "datistemplate",
    "datallowconn",
    "datconnlimit",
    "datfrozenxid",
    "datminmxid",
    "dattablespace",
    "datcollate",
    "datctype",
    "daticulocale",
    "daticurules",
    "datcollversion",
];

#[async_trait]
impl TableProvider for DatabaseTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let template = self.template(state).await?;
        let rows: Vec<Row> = self
            .listed()
            .await?
            .into_iter()
            .map(|(name, owner)| {
                let mut row = template.clone();
                row.extend([
                    ("oid", ScalarValue::Int32(Some(database_oid(&name)))),
                    ("datname", ScalarValue::Utf8(Some(name))),
                    ("datdba", ScalarValue::Int32(Some(role_oid(&owner, &self.databases.owner)))),
                ]);
                row
            })
            .collect();
        let schema = self.schema();
        let batch = rows_batch(&schema, &rows)?;
        MemorySourceConfig::try_new_exec(&[vec![batch]], schema, projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}

#[cfg(test)]
mod tests {
    use super::database_oid;

    #[test]
    fn database_oids_are_stable_distinct_and_above_other_oids() {
        assert_eq!(database_oid("shop_db"), database_oid("shop_db"));
        assert_ne!(database_oid("shop_db"), database_oid("sluice"));
        for name in ["sluice", "shop_db", "a", ""] {
            assert!((2_000_000_000..2_100_000_000).contains(&database_oid(name)));
        }
    }
}
