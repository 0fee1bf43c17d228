//! Sources as PostgreSQL databases: a client that connects to database `shop_db` sees
//! the source's databases (MySQL) or schemas (PostgreSQL) as schemas, their tables in
//! `pg_catalog` and `information_schema`, and its unqualified or two-part names resolve
//! inside the source.
//!
//! What the catalog lists comes from the source's metadata cache (`sluice.tables`,
//! `sluice.columns`), read again when the catalog epoch moves — browsing never connects to
//! the source; reading a table does, live (`sources.rs`), in the schemas the cache knows. Each source database has its own
//! `pg_catalog` (datafusion-pg-catalog's, over [`SourceInfo`], with the keys of
//! [`SourceMetadata`]) and `information_schema` (the gateway's views, planned in the
//! source database), built once per source on the first connection and shared by every
//! session connected to it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use datafusion_pg_catalog::pg_catalog::catalog_info::CatalogInfo;
use sluice_catalog::model::ColumnRecord;
use sluice_catalog::pg::databases::SHARED_SCHEMAS;
use sluice_catalog::pg::described::{
    Describe, Described, DescribedColumn, DescribedKey, DescribedTables, pg_type_of,
};
use sluice_catalog::{Store, pg::PgCatalog};

use super::sources::GatewayCatalogs;
use crate::connectors::definition::TableDefinition;

/// A source's databases (PostgreSQL: schemas) a client is not after when it connects.
const SOURCE_SYSTEM_SCHEMAS: [&str; 6] =
    ["information_schema", "mysql", "performance_schema", "sys", "pg_catalog", "pg_toast"];

/// The tables and columns of one source as its metadata cache holds them.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Columns by schema and table, in order.
    pub schemas: BTreeMap<String, BTreeMap<String, Vec<ColumnRecord>>>,
    described: Arc<DescribedTables>,
}

/// The comments of one cached table and of its columns.
type Comments = (Option<String>, BTreeMap<String, String>);

/// One source's metadata cache, re-read when the catalog epoch moves.
#[derive(Debug, Clone)]
pub struct SourceMetadata {
    source: String,
    store: Store,
    last: Arc<Mutex<Option<Stamped>>>,
}

/// A snapshot of the metadata and the store epoch it was read at.
type Stamped = (u64, Arc<Snapshot>);

impl SourceMetadata {
    pub fn new(source: &str, store: Store) -> SourceMetadata {
        SourceMetadata { source: source.to_owned(), store, last: Arc::default() }
    }

    /// Whether the cache, as last read, has schema `name` (true before it was first read).
    fn has_schema(&self, name: &str) -> bool {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref().is_none_or(|(_, snapshot)| snapshot.schemas.contains_key(name))
    }

    /// The cache as of now.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let epoch = self.store.epoch();
        if let Some((at, snapshot)) = self.last.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *at == epoch
        {
            return Ok(snapshot.clone());
        }
        let external = |e: sluice_catalog::StoreError| DataFusionError::External(Box::new(e));
        let tables = self.store.tables(&self.source, None).await.map_err(external)?;
        let mut schemas: BTreeMap<String, BTreeMap<String, Vec<ColumnRecord>>> = BTreeMap::new();
        let mut comments: BTreeMap<(String, String), Comments> = BTreeMap::new();
        for table in tables {
            let definition =
                table.definition.as_deref().map(|d| TableDefinition::from_stored(d, &table.name));
            if let Some(Ok(d)) = definition
                && (d.comment.is_some() || !d.column_comments.is_empty())
            {
                comments.insert((table.database.clone(), table.name.clone()), (d.comment, d.column_comments));
            }
            schemas.entry(table.database).or_default().insert(table.name, Vec::new());
        }
        for (schema, tables) in &mut schemas {
            let mut columns = self.store.columns_in(&self.source, schema).await.map_err(external)?;
            for (table, list) in tables.iter_mut() {
                *list = columns.remove(table).unwrap_or_default();
            }
        }
        let described = Arc::new(describe(&schemas, &comments));
        let snapshot = Arc::new(Snapshot { schemas, described });
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((epoch, snapshot.clone()));
        Ok(snapshot)
    }
}

/// Each cached table with its primary key (the columns marked as keys, in order) and the
/// comments the source keeps on it and its columns.
fn describe(
    schemas: &BTreeMap<String, BTreeMap<String, Vec<ColumnRecord>>>,
    comments: &BTreeMap<(String, String), Comments>,
) -> DescribedTables {
    let mut described = DescribedTables::new();
    let none = (None, BTreeMap::new());
    for (schema, tables) in schemas {
        for (table, columns) in tables {
            let key: Vec<String> = columns.iter().filter(|c| c.is_key).map(|c| c.name.clone()).collect();
            let (comment, column_comments) = comments.get(&(schema.clone(), table.clone())).unwrap_or(&none);
            let d = Described {
                schema: schema.clone(),
                table: table.clone(),
                comment: comment.clone(),
                columns: columns
                    .iter()
                    .map(|c| DescribedColumn {
                        name: c.name.clone(),
                        comment: column_comments.get(&c.name).cloned(),
                        integer: matches!(
                            arrow_type(c).0,
                            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
                        ),
                        pg_type: pg_type_of(&c.data_type),
                    })
                    .collect(),
                keys: if key.is_empty() { Vec::new() } else { vec![DescribedKey::Primary(key)] },
            };
            described.insert((schema.clone(), table.clone()), Arc::new(d));
        }
    }
    described
}

/// A cached column's Arrow type (text where Sluice has no Arrow type for it) and
/// nullability.
fn arrow_type(column: &ColumnRecord) -> (DataType, bool) {
    (crate::plan::types::arrow_type(&column.data_type).unwrap_or(DataType::Utf8), column.nullable)
}

/// The source's keys, for the source database's `pg_catalog`.
#[derive(Debug)]
pub struct SourceKeys {
    metadata: SourceMetadata,
    default_schema: String,
}

impl SourceKeys {
    /// The keys of `metadata`'s tables; an unqualified `regclass` means a table of the
    /// schema a session starts in.
    pub async fn new(metadata: SourceMetadata) -> Result<SourceKeys> {
        let schemas: Vec<String> = metadata.snapshot().await?.schemas.keys().cloned().collect();
        let default_schema = SourceDatabase::default_schema(&schemas, &["public".to_owned()]);
        Ok(SourceKeys { metadata, default_schema })
    }
}

#[async_trait]
impl Describe for SourceKeys {
    async fn tables(&self) -> Result<Arc<DescribedTables>> {
        Ok(self.metadata.snapshot().await?.described.clone())
    }

    fn default_schema(&self) -> &str {
        &self.default_schema
    }

    fn types_columns(&self) -> bool {
        true
    }
}

/// What datafusion-pg-catalog lists in a source database: the source (its only catalog),
/// its cached schemas and tables, and the gateway's `pg_catalog` and `information_schema`
/// tables (the same relations in every database).
#[derive(Debug, Clone)]
pub struct SourceInfo {
    metadata: SourceMetadata,
    /// The gateway's own catalog, whose system schemas every database shares.
    gateway: Arc<dyn CatalogProvider>,
}

impl SourceInfo {
    /// What `metadata` caches, with the system schemas of `gateway` (catalog `sluice`).
    pub fn new(metadata: SourceMetadata, gateway: Arc<dyn CatalogProvider>) -> SourceInfo {
        SourceInfo { metadata, gateway }
    }

    fn system(&self, catalog: &str, schema: &str) -> Option<Arc<dyn SchemaProvider>> {
        (catalog == self.metadata.source && SHARED_SCHEMAS.contains(&schema))
            .then(|| self.gateway.schema(schema))
            .flatten()
    }
}

#[async_trait]
impl CatalogInfo for SourceInfo {
    async fn catalog_names(&self) -> Result<Vec<String>> {
        Ok(vec![self.metadata.source.clone()])
    }

    async fn schema_names(&self, catalog: &str) -> Result<Option<Vec<String>>> {
        if catalog != self.metadata.source {
            return Ok(None);
        }
        let snapshot = self.metadata.snapshot().await?;
        let mut names: Vec<String> = SHARED_SCHEMAS.iter().map(|s| (*s).to_owned()).collect();
        names.extend(snapshot.schemas.keys().filter(|s| !SHARED_SCHEMAS.contains(&s.as_str())).cloned());
        Ok(Some(names))
    }

    async fn table_names(&self, catalog: &str, schema: &str) -> Result<Option<Vec<String>>> {
        if let Some(system) = self.system(catalog, schema) {
            return Ok(Some(system.table_names()));
        }
        let snapshot = self.metadata.snapshot().await?;
        Ok(snapshot.schemas.get(schema).map(|tables| tables.keys().cloned().collect()))
    }

    async fn table_schema(&self, catalog: &str, schema: &str, table: &str) -> Result<Option<SchemaRef>> {
        if let Some(system) = self.system(catalog, schema) {
            return Ok(system.table(table).await?.map(|t| t.schema()));
        }
        let snapshot = self.metadata.snapshot().await?;
        let Some(columns) = snapshot.schemas.get(schema).and_then(|tables| tables.get(table)) else {
            return Ok(None);
        };
        let fields: Vec<Field> = columns
            .iter()
            .map(|c| {
                let (data_type, nullable) = arrow_type(c);
                Field::new(&c.name, data_type, nullable)
            })
            .collect();
        Ok(Some(Arc::new(Schema::new(fields))))
    }

    async fn table_type(&self, catalog: &str, schema: &str, table: &str) -> Result<Option<TableType>> {
        if let Some(system) = self.system(catalog, schema) {
            return system.table_type(table).await;
        }
        let known =
            self.metadata.snapshot().await?.schemas.get(schema).is_some_and(|t| t.contains_key(table));
        Ok(known.then_some(TableType::Base))
    }
}

/// A source as a database: its own `pg_catalog` and `information_schema`, shared by the
/// sessions connected to it.
#[derive(Debug)]
pub struct SourceDatabase {
    pub name: String,
    metadata: SourceMetadata,
    pg_catalog: Arc<PgCatalog>,
    information_schema: OnceLock<Arc<dyn SchemaProvider>>,
}

impl SourceDatabase {
    pub(super) fn new(name: &str, metadata: SourceMetadata, pg_catalog: Arc<PgCatalog>) -> SourceDatabase {
        SourceDatabase { name: name.to_owned(), metadata, pg_catalog, information_schema: OnceLock::new() }
    }

    pub(super) fn set_information_schema(&self, schema: Arc<dyn SchemaProvider>) {
        let _ = self.information_schema.set(schema);
    }

    /// The source's schemas as of now (its cached databases).
    pub async fn schemas(&self) -> Result<Vec<String>> {
        Ok(self.metadata.snapshot().await?.schemas.keys().cloned().collect())
    }

    /// The functions that describe this database's objects (`to_regclass`,
    /// `obj_description`, `pg_get_indexdef` …).
    pub fn functions(&self) -> Vec<ScalarUDF> {
        self.pg_catalog.functions()
    }

    /// The schema a session whose `search_path` names none of `schemas` starts in: the
    /// first schema that is not a system one.
    pub fn default_schema(schemas: &[String], search_path: &[String]) -> String {
        search_path
            .iter()
            .find(|s| schemas.contains(s))
            .or_else(|| schemas.iter().find(|s| !SOURCE_SYSTEM_SCHEMAS.contains(&s.as_str())))
            .or_else(|| schemas.first())
            .cloned()
            .unwrap_or_else(|| "public".to_owned())
    }
}

/// The catalogs of a session connected to a source database: the gateway's, with the
/// source as a [`DatabaseCatalog`].
#[derive(Debug)]
pub struct SessionCatalogs {
    pub gateway: Arc<GatewayCatalogs>,
    pub database: Arc<SourceDatabase>,
}

impl CatalogProviderList for SessionCatalogs {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        self.gateway.register_catalog(name, catalog)
    }

    fn catalog_names(&self) -> Vec<String> {
        let mut names = self.gateway.catalog_names();
        names.push(self.database.name.clone());
        names
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        if name == self.database.name {
            return Some(Arc::new(DatabaseCatalog {
                gateway: self.gateway.clone(),
                database: self.database.clone(),
            }));
        }
        self.gateway.catalog(name)
    }
}

/// The source a session is connected to: its system schemas, and its own schemas read live.
#[derive(Debug)]
struct DatabaseCatalog {
    gateway: Arc<GatewayCatalogs>,
    database: Arc<SourceDatabase>,
}

impl CatalogProvider for DatabaseCatalog {
    fn schema_names(&self) -> Vec<String> {
        SHARED_SCHEMAS.iter().map(|s| (*s).to_owned()).collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        match name {
            "pg_catalog" => Some(self.database.pg_catalog.clone()),
            "information_schema" => self.database.information_schema.get().cloned(),
            // only the schemas the metadata cache knows (REFRESH SOURCE reads new ones):
            // a name DataFusion merely tries, such as a table function's, is not sent to
            // the source as a table
            _ if !self.database.metadata.has_schema(name) => None,
            // the source as published now (a REFRESH or ALTER replaces it)
            _ => self.gateway.catalog(&self.database.name)?.schema(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SourceDatabase;

    #[test]
    fn a_session_starts_in_its_search_path_or_the_first_user_schema() {
        let schemas: Vec<String> = ["information_schema", "mysql", "shop", "test"].map(String::from).to_vec();
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(SourceDatabase::default_schema(&schemas, &path(&["test"])), "test");
        assert_eq!(SourceDatabase::default_schema(&schemas, &path(&["$user", "public"])), "shop");
        let pg: Vec<String> = ["pg_catalog", "public"].map(String::from).to_vec();
        assert_eq!(SourceDatabase::default_schema(&pg, &path(&["public"])), "public");
        assert_eq!(SourceDatabase::default_schema(&[], &path(&["public"])), "public");
    }
}
