//! Sources as the gateway runs them: published for live reads.

use std::sync::Arc;

use crate::connectors::access::{LoadedSource, live_catalog};
use crate::error::Result;
use crate::runtime::Runtime;

/// Source `name` with its secrets decrypted, or 42704.
pub async fn load(rt: &Runtime, name: &str) -> Result<LoadedSource> {
    crate::connectors::access::load(&rt.store, &rt.master_key, name).await
}

/// Makes source `name` queryable live (MySQL/MariaDB, PostgreSQL), or forgets it when it
/// is gone or of another type.
pub async fn publish(rt: &Runtime, name: &str) -> Result<()> {
    let catalogs = rt.engine.catalogs();
    let Some(_) = rt.store.source(name).await? else {
        catalogs.remove_source(name);
        return Ok(());
    };
    let source = load(rt, name).await?;
    match live_catalog(&source) {
        Some(catalog) => catalogs.set_source(Arc::new(catalog)),
        None => catalogs.remove_source(name),
    }
    Ok(())
}

/// Publishes the sources another gateway sharing the store created since this one
/// started (each gateway publishes its own CREATE SOURCE at once).
pub async fn publish_missing(rt: &Runtime) -> Result<()> {
    for source in rt.store.sources().await? {
        if !rt.engine.catalogs().has_source(&source.name) {
            publish(rt, &source.name).await?;
        }
    }
    Ok(())
}
