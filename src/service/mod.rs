//! Services: what a statement *does* — load, validate, plan, start, stop, refresh,
//! publish — independent of how it was asked for. Statement handlers (`handler/`) parse
//! arguments, call one service and shape the reply; the scheduler calls the same services
//! for its tasks. Services take the [`Runtime`] and the [`Actor`] they act for, and
//! report to the client through [`Notice`](crate::notice::Notice)s.

pub mod access;
pub mod apply;
pub mod databases;
pub mod declared;
pub mod definitions;
pub mod deployments;
pub mod drops;
pub mod follow;
pub mod lineage;
pub mod pipelines;
pub mod sources;
pub mod sync_plan;
pub mod syncs;

use crate::error::{Result, SluiceError};
use crate::runtime::Runtime;

/// The role a service acts for: a session's user, or a schedule's owner.
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: String,
}

impl Actor {
    pub fn new(role: impl Into<String>) -> Actor {
        Actor { role: role.into() }
    }

    /// Refuses (42501) unless the role is a superuser. The role is read from the store
    /// each time, so a role demoted or dropped meanwhile loses its rights at once.
    pub async fn require_superuser(&self, rt: &Runtime, what: &str) -> Result<()> {
        let role = rt.store.role(&self.role).await?;
        if role.is_some_and(|r| r.superuser) {
            Ok(())
        } else {
            Err(SluiceError::PermissionDenied(format!("permission denied: only superusers may {what}")))
        }
    }
}
