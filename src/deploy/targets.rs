//! Reading stored targets back: the record's type and options, typed.

use sluice_catalog::Store;

use super::Target;
use super::target_types::SecretValues;
use super::target_types::{TargetType, target_type};
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

/// The type of the target a pipeline's `target` option names (None without one); 42704
/// when it names no target, as the pipeline is created or changed (a target dropped later
/// fails START instead).
pub async fn check_exists(store: &Store, target: Option<&str>) -> Result<Option<&'static TargetType>> {
    let Some(name) = target else { return Ok(None) };
    match store.target(name).await? {
        Some(record) => target_type(&record.target_type).map(Some),
        None => Err(SluiceError::UndefinedObject { kind: "target", name: name.to_owned() }),
    }
}
