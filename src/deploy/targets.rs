//! Reading stored targets back: the record's type and options, typed.

use sluice_catalog::Store;

use super::Target;
use super::target_types::SecretValues;
use super::target_types::target_type;
use crate::connectors::ResolvedOptions;
use crate::error::{Result, SluiceError};
use crate::secrets::MasterKey;

/// The name of the target every gateway has.
pub const LOCAL: &str = "local";

/// Target `name` with the values of the secrets its options name, or 42704.
pub async fn load(store: &Store, key: &MasterKey, name: &str) -> Result<Target> {
    let record = store
        .target(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "target", name: name.to_owned() })?;
    let options = ResolvedOptions::from_stored(&record.options, "target", name)?;
    let secrets = SecretValues(crate::secrets::open_named(store, key, options.secrets()).await?);
    Ok(Target { name: record.name, target_type: target_type(&record.target_type)?, options, secrets })
}

/// Refuses (42704) a pipeline whose `target` option names no target, when the pipeline is
/// created or changed (a target dropped later fails START instead).
pub async fn check_exists(store: &Store, target: Option<&str>) -> Result<()> {
    match target {
        Some(name) if store.target(name).await?.is_none() => {
            Err(SluiceError::UndefinedObject { kind: "target", name: name.to_owned() })
        }
        _ => Ok(()),
    }
}
