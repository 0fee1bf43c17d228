//! Reaching a stored source: its record, type, options and secret values, and its
//! tables — from the catalog's cache, or live (then cached).

use std::collections::HashMap;

use sluice_catalog::{ColumnRecord, SourceRecord, Store, TableRecord};

use super::definition::TableDefinition;
use super::live::Endpoint;
use super::{ResolvedOptions, SourceType, lookup_type};
use crate::engine::sources::SourceCatalog;
use crate::error::{Result, SluiceError};
use crate::secrets::MasterKey;

/// A source with everything needed to reach it.
#[derive(Clone)]
pub struct LoadedSource {
    pub record: SourceRecord,
    pub source_type: &'static SourceType,
    pub options: ResolvedOptions,
    secrets: HashMap<String, Vec<u8>>,
}

impl LoadedSource {
    pub fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            source: &self.record.name,
            source_type: self.source_type,
            options: &self.options,
            secrets: self.secrets.clone(),
        }
    }

    /// The values of the secrets its options name, by secret name.
    pub fn secret_values(&self) -> &HashMap<String, Vec<u8>> {
        &self.secrets
    }

    fn unavailable(&self, message: String) -> SluiceError {
        SluiceError::SourceUnavailable { name: self.record.name.clone(), message }
    }
}

/// A stored source's options (a corrupt record is an error that says so).
pub fn stored_options(record: &SourceRecord) -> Result<ResolvedOptions> {
    ResolvedOptions::from_stored(&record.options, "source", &record.name)
}

/// Loads source `name` and decrypts the secrets its options name.
pub async fn load(store: &Store, key: &MasterKey, name: &str) -> Result<LoadedSource> {
    let record = store
        .source(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "source", name: name.to_owned() })?;
    let source_type = lookup_type(&record.source_type)?;
    let options = stored_options(&record)?;
    let secrets = crate::secrets::open_named(store, key, options.secrets()).await?;
    Ok(LoadedSource { record, source_type, options, secrets })
}

/// The databases (PostgreSQL: schemas) of a source, live; for a source that cannot be
/// introspected, the databases of its declared tables.
pub async fn databases(store: &Store, source: &LoadedSource) -> Result<Vec<String>> {
    let endpoint = source.endpoint();
    if let Some(databases) = source.source_type.connector.databases(&endpoint).await {
        return databases.map_err(|m| source.unavailable(m));
    }
    if !source.source_type.has_databases {
        return Err(SluiceError::not_supported(
            format!(
                "sources of type {} have no databases: \"{}\" holds its tables directly",
                source.source_type.name, source.record.name
            ),
            Some(&format!("SHOW TABLES FROM {} lists its declared tables.", source.record.name)),
        ));
    }
    let mut databases: Vec<String> =
        store.tables(&source.record.name, None).await?.into_iter().map(|t| t.database).collect();
    databases.dedup();
    Ok(databases)
}

/// The statement that declares `table` (a table of `source`; any of its tables when
/// `None`), for hints.
pub fn declare_hint(source: &LoadedSource, table: Option<&str>) -> String {
    let t = source.source_type;
    let with = if t.table_options.is_empty() { "" } else { " WITH (…)" };
    match table {
        Some(path) => format!("Declare it first: CREATE TABLE {path} (column type, …){with}."),
        None if t.has_databases => format!(
            "Declare its tables with CREATE TABLE {}.database.table (column type, …){with}.",
            source.record.name
        ),
        None => format!(
            "Declare its tables with CREATE TABLE {}.table (column type, …){with}.",
            source.record.name
        ),
    }
}

/// The error for a source Sluice cannot read metadata from (0A000).
fn not_introspectable(source: &LoadedSource) -> SluiceError {
    SluiceError::not_supported(
        format!(
            "source \"{}\" cannot be introspected: Sluice cannot read the tables of this {} source",
            source.record.name, source.source_type.name
        ),
        Some(&declare_hint(source, None)),
    )
}

/// Reads the tables of `database` (or one table of it) from the source and caches them.
pub async fn refresh(
    store: &Store,
    source: &LoadedSource,
    database: &str,
    table: Option<&str>,
) -> Result<Vec<(TableRecord, Vec<ColumnRecord>)>> {
    introspect(store, source, database, table).await?.ok_or_else(|| not_introspectable(source))
}

/// [`refresh`], or `None` when this source cannot be introspected. Declared tables of the
/// same names stay as declared.
pub async fn introspect(
    store: &Store,
    source: &LoadedSource,
    database: &str,
    table: Option<&str>,
) -> Result<Option<Vec<(TableRecord, Vec<ColumnRecord>)>>> {
    let endpoint = source.endpoint();
    let Some(tables) = source.source_type.connector.tables(&endpoint, database, table).await else {
        return Ok(None);
    };
    let tables = tables.map_err(|m| source.unavailable(m))?;
    let now = sluice_catalog::time::now_micros();
    let records: Vec<(TableRecord, Vec<ColumnRecord>)> =
        tables.into_iter().map(|t| cached_table(&source.record.name, t, now)).collect();
    if table.is_none() {
        store.replace_tables(&source.record.name, Some(database), &records).await?;
    } else if !records.is_empty() {
        store.upsert_tables(&records).await?;
    }
    Ok(Some(records))
}

/// What the catalog keeps of an introspected table.
fn cached_table(source: &str, t: super::live::Table, now: i64) -> (TableRecord, Vec<ColumnRecord>) {
    let columns = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnRecord {
            ordinal: i as i64 + 1,
            name: c.name.clone(),
            data_type: c.data_type.clone(),
            source_type: c.source_type.clone(),
            nullable: c.nullable,
            is_key: c.is_key,
        })
        .collect();
    let definition = TableDefinition { table_type: Some(t.table_type.clone()), ..t.definition }.to_json();
    let record = TableRecord {
        source: source.to_owned(),
        database: t.database,
        name: t.name,
        kind: "introspected".into(),
        definition: Some(definition),
        refreshed_at: now,
    };
    (record, columns)
}

/// The tables of `database`: from the catalog when it knows any (declared, or cached
/// until REFRESH SOURCE reads them again), else read live and cached.
pub async fn tables(store: &Store, source: &LoadedSource, database: &str) -> Result<Vec<TableRecord>> {
    let cached = store.tables(&source.record.name, Some(database)).await?;
    if !cached.is_empty() || !source.source_type.has_databases {
        return Ok(cached);
    }
    match introspect(store, source, database, None).await? {
        Some(_) => Ok(store.tables(&source.record.name, Some(database)).await?),
        None => Ok(cached),
    }
}

/// What the catalog knows of one table.
pub enum Found {
    /// Declared, cached, or read live and cached: its record and columns.
    Table(TableRecord, Vec<ColumnRecord>),
    /// The source says there is no such table.
    Missing,
    /// Not declared, and the source cannot be introspected.
    Unknown,
}

impl Found {
    /// The hint for table `path` not found: declare it, where that is how the source's
    /// tables become known.
    pub fn hint(&self, source: &LoadedSource, path: &str) -> Option<String> {
        matches!(self, Found::Unknown).then(|| declare_hint(source, Some(path)))
    }
}

/// One table: declared or cached, else read live and cached.
pub async fn table(store: &Store, source: &LoadedSource, database: &str, table: &str) -> Result<Found> {
    let name = &source.record.name;
    if let Some(record) = store.table(name, database, table).await? {
        let columns = store.columns(name, database, table).await?;
        return Ok(Found::Table(record, columns));
    }
    if !source.source_type.has_databases {
        return Ok(Found::Unknown);
    }
    Ok(match introspect(store, source, database, Some(table)).await? {
        Some(fresh) => match fresh.into_iter().find(|(t, _)| t.name == table) {
            Some((record, columns)) => Found::Table(record, columns),
            None => Found::Missing,
        },
        None => Found::Unknown,
    })
}

/// datafusion-table-providers' connection parameters for a source (MySQL/MariaDB and
/// PostgreSQL; `None` for types that cannot be read live).
pub fn live_catalog(source: &LoadedSource) -> Option<SourceCatalog> {
    source.source_type.connector.live_catalog(source)
}

/// Connection parameters under datafusion-table-providers' names (those with a value).
pub fn live_params(pairs: Vec<(&str, Option<String>)>) -> HashMap<String, secrecy::SecretString> {
    pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), secrecy::SecretString::from(v)))).collect()
}
