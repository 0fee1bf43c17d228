//! Gateways sharing a catalog (PostgreSQL metadata) see each other's changes: every
//! change is written with its row in `events`, so each gateway polls the newest event id
//! and, when it moved, moves its own catalog epoch (its plan and system-table caches are
//! dropped) and republishes the sources the new events name — a source created, altered,
//! renamed or dropped elsewhere, or whose secret changed — within one poll interval.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::Result;
use crate::runtime::Runtime;

/// How often the catalog is polled for other gateways' changes.
pub const POLL: Duration = Duration::from_secs(1);

/// Follows the catalog's changes after event `seen` until shut-down.
pub async fn run(rt: Arc<Runtime>, mut seen: i64, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        if let Err(e) = follow(&rt, &mut seen).await {
            tracing::warn!(error = %e, "following the catalog's changes");
        }
    }
}

/// Takes in the changes recorded after event `seen` (and moves `seen` past them).
pub async fn follow(rt: &Runtime, seen: &mut i64) -> Result<()> {
    let Some((latest, changed)) = rt.store.changes_since(*seen).await? else { return Ok(()) };
    *seen = latest;
    let mut sources = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for (kind, name) in changed {
        match kind.as_str() {
            "source" => {
                sources.insert(name);
            }
            "secret" => {
                secrets.insert(name);
            }
            _ => {}
        }
    }
    if !secrets.is_empty() {
        for secret in rt.store.secrets().await? {
            if secrets.contains(&secret.name) {
                sources.extend(secret.used_by);
            }
        }
    }
    // renamed or dropped elsewhere: the event names the new name, or nothing the store has
    for name in rt.engine.catalogs().source_names() {
        if !sources.contains(&name) && rt.store.source(&name).await?.is_none() {
            sources.insert(name);
        }
    }
    for name in sources {
        if let Err(e) = super::sources::publish(rt, &name).await {
            tracing::warn!(source = %name, error = %e, "source is not queryable live");
        }
    }
    Ok(())
}
