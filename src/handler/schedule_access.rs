//! Reading stored schedules back.

use super::Ctx;
use crate::error::{Result, SluiceError};
use crate::scheduler::LoadedSchedule;

/// The schedule called `name`, or 42704.
pub async fn load_schedule(ctx: &Ctx<'_>, name: &str) -> Result<LoadedSchedule> {
    let record = ctx
        .rt
        .store
        .schedule(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "schedule", name: name.to_owned() })?;
    LoadedSchedule::new(record)
}
