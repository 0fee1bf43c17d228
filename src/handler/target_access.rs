//! Reading stored targets back: the record's type and options, typed.

use super::Ctx;
use crate::connectors::ResolvedOptions;
use crate::deploy::Target;
use crate::deploy::target_types::target_type;
use crate::error::{Result, SluiceError};
use crate::server::state::ServerState;

/// The name of the target every gateway has.
pub const LOCAL: &str = "local";

/// Target `name`, or 42704.
pub async fn load_target(ctx: &Ctx<'_>, name: &str) -> Result<Target> {
    load_target_in(ctx.server, name).await
}

/// [`load_target`], outside a statement (the watcher).
pub async fn load_target_in(server: &ServerState, name: &str) -> Result<Target> {
    let record = server
        .store
        .target(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "target", name: name.to_owned() })?;
    let options = serde_json::from_str(&record.options).map(ResolvedOptions).map_err(|e| {
        SluiceError::Store(sluice_catalog::StoreError::Corrupt {
            kind: "target",
            name: name.to_owned(),
            detail: e.to_string(),
        })
    })?;
    Ok(Target { name: record.name, target_type: target_type(&record.target_type)?, options })
}

/// Refuses (42704) a pipeline whose `target` option names no target, when the pipeline is
/// created or changed (a target dropped later fails START instead).
pub async fn check_target_option(ctx: &Ctx<'_>, target: Option<&str>) -> Result<()> {
    match target {
        Some(name) if ctx.server.store.target(name).await?.is_none() => {
            Err(SluiceError::UndefinedObject { kind: "target", name: name.to_owned() })
        }
        _ => Ok(()),
    }
}
