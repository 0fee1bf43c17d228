//! Databases a client connects to: the gateway's own (`sluice`, `postgres` an alias) and
//! every source read live, browsed and queried as a PostgreSQL database of its own
//! (`psql "dbname=shop_db"`; see `engine::databases`).

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::Actor;
use crate::connectors::access;
use crate::engine::{Connected, DATABASE};
use crate::error::{Result, SluiceError, SqlState};
use crate::runtime::Runtime;

/// The database `name` as `actor` connects to it: `None` for the gateway's own, else the
/// source's. Refuses a database that does not exist or a source not read live (3D000),
/// and a role without SELECT on the source (42501). A source whose metadata cache is
/// empty is introspected first, so that there is something to browse.
pub async fn open(rt: &Runtime, actor: &Actor, name: &str) -> Result<Option<Connected>> {
    if name == DATABASE || name == "postgres" {
        return Ok(None);
    }
    let Some(record) = rt.store.source(name).await? else {
        return Err(no_database(
            format!("database \"{name}\" does not exist"),
            format!(
                "Connect to \"{DATABASE}\" (\"postgres\" is an alias) or to a source read live, by its name \
                 (SHOW SOURCES lists them)."
            ),
        ));
    };
    if !rt.engine.catalogs().has_source(name) {
        // created by another gateway sharing the store
        super::sources::publish(rt, name).await?;
    }
    if !rt.engine.catalogs().has_source(name) {
        return Err(no_database(
            format!(
                "database \"{name}\" does not exist: source \"{name}\" is of type {}, which is not read live",
                record.source_type
            ),
            format!("Connect to \"{DATABASE}\": pipelines read sources of type {}.", record.source_type),
        ));
    }
    let rights = actor.rights(rt).await?;
    if rights.require(Privilege::Select, ObjectKind::Source, name).await.is_err() {
        return Err(SluiceError::PermissionDenied(format!(
            "permission denied for database \"{name}\": SELECT ON SOURCE {name} is needed"
        )));
    }
    if rt.store.tables(name, None).await?.is_empty() {
        introspect(rt, name).await;
    }
    let database = rt.engine.source_database(name).await?;
    let schemas = database.schemas().await.map_err(SluiceError::from)?;
    Ok(Some(Connected { database, schemas }))
}

fn no_database(message: String, hint: String) -> SluiceError {
    SluiceError::Query { state: SqlState::InvalidCatalogName, message, hint: Some(hint), pos: None }
}

/// Caches the tables of every database of source `name`. A source that cannot be reached
/// is connected to anyway (its tables are listed once REFRESH SOURCE reads them).
async fn introspect(rt: &Runtime, name: &str) {
    let result = async {
        let source = super::sources::load(rt, name).await?;
        for database in access::databases(&rt.store, &source).await? {
            access::introspect(&rt.store, &source, &database, None).await?;
        }
        Ok::<(), SluiceError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(source = %name, error = %e, "source database: its tables could not be read");
    }
}
