//! Reaching a stored source: its record, type, options and secret values, and its
//! tables — from the catalog's cache, or live (then cached).

use std::collections::HashMap;

use sluice_catalog::{ColumnRecord, SourceRecord, Store, TableRecord};

use super::definition::TableDefinition;
use super::live::Endpoint;
use super::{ResolvedOptions, SourceType, lookup_type};
use crate::engine::sources::SourceCatalog;
use crate::error::{Result, SluiceError};
use crate::secrets::{MasterKey, Sealed};

/// A source with everything needed to reach it.
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
    let mut secrets = HashMap::new();
    for secret in options.secrets() {
        let stored = store
            .secret(&secret)
            .await?
            .ok_or_else(|| SluiceError::UndefinedObject { kind: "secret", name: secret.clone() })?;
        let sealed = Sealed { nonce: stored.nonce, ciphertext: stored.ciphertext };
        let value = key.open(&secret, &sealed).ok_or_else(|| {
            SluiceError::Internal(format!(
                "secret \"{secret}\" cannot be decrypted with this gateway's master key"
            ))
        })?;
        secrets.insert(secret, value);
    }
    Ok(LoadedSource { record, source_type, options, secrets })
}

/// The databases (PostgreSQL: schemas) of a source, live.
pub async fn databases(source: &LoadedSource) -> Result<Vec<String>> {
    let endpoint = source.endpoint();
    match source.source_type.connector.databases(&endpoint).await {
        Some(databases) => databases.map_err(|m| source.unavailable(m)),
        None => Err(SluiceError::not_supported(
            format!("sources of type {} have no databases Sluice can list", source.source_type.name),
            Some("Declare their tables with CREATE TABLE source.table (…) WITH (…)."),
        )),
    }
}

/// Reads the tables of `database` (or one table of it) from the source and caches them.
pub async fn refresh(
    store: &Store,
    source: &LoadedSource,
    database: &str,
    table: Option<&str>,
) -> Result<Vec<(TableRecord, Vec<ColumnRecord>)>> {
    let endpoint = source.endpoint();
    let Some(tables) = source.source_type.connector.tables(&endpoint, database, table).await else {
        return Err(SluiceError::not_supported(
            format!("sources of type {} cannot be introspected", source.source_type.name),
            Some("Declare their tables with CREATE TABLE source.table (…) WITH (…)."),
        ));
    };
    let tables = tables.map_err(|m| source.unavailable(m))?;
    let now = sluice_catalog::time::now_micros();
    let records: Vec<(TableRecord, Vec<ColumnRecord>)> = tables
        .into_iter()
        .map(|t| {
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
            let definition =
                TableDefinition { table_type: Some(t.table_type.clone()), ..Default::default() }.to_json();
            let record = TableRecord {
                source: source.record.name.clone(),
                database: t.database,
                name: t.name,
                kind: "introspected".into(),
                definition: Some(definition),
                refreshed_at: now,
            };
            (record, columns)
        })
        .collect();
    if table.is_none() {
        store.replace_tables(&source.record.name, Some(database), &records).await?;
    } else if !records.is_empty() {
        store.upsert_tables(&records).await?;
    }
    Ok(records)
}

/// The tables of `database`: from the cache when it holds any, else read live and cached.
pub async fn tables(store: &Store, source: &LoadedSource, database: &str) -> Result<Vec<TableRecord>> {
    let cached = store.tables(&source.record.name, Some(database)).await?;
    if !cached.is_empty() || !source.source_type.has_databases {
        return Ok(cached);
    }
    Ok(refresh(store, source, database, None).await?.into_iter().map(|(t, _)| t).collect())
}

/// The columns of one table: cached, else read live and cached. `None` if no such table.
pub async fn columns(
    store: &Store,
    source: &LoadedSource,
    database: &str,
    table: &str,
) -> Result<Option<Vec<ColumnRecord>>> {
    let columns = store.columns(&source.record.name, database, table).await?;
    if !columns.is_empty() {
        return Ok(Some(columns));
    }
    // a cached table without columns (they were read above)
    let cached = store.tables(&source.record.name, Some(database)).await?;
    if cached.iter().any(|t| t.name == table) {
        return Ok(Some(columns));
    }
    if !source.source_type.has_databases {
        return Ok(None);
    }
    let fresh = refresh(store, source, database, Some(table)).await?;
    Ok(fresh.into_iter().find(|(t, _)| t.name == table).map(|(_, c)| c))
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
