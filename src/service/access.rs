//! Privilege checks: what the acting role may do, decided from the catalog as it is now
//! (see `sluice_catalog::privileges`). Every statement and scheduled task is checked here,
//! through its [`Actor`]; a refusal is 42501 naming the privilege and the object.

use sluice_catalog::privileges::{Access, CREATE_TARGET_ROLE, DATABASE, ObjectKind, Privilege};

use super::Actor;
use crate::error::{Result, SluiceError};
use crate::runtime::Runtime;

/// What one actor may do, read once for a statement (or a task) and asked many times.
pub struct Rights<'a> {
    rt: &'a Runtime,
    pub access: Access,
}

impl Actor {
    /// The actor's rights as the catalog says now: a role dropped meanwhile has none.
    pub async fn rights<'a>(&self, rt: &'a Runtime) -> Result<Rights<'a>> {
        match rt.store.access(&self.role).await? {
            Some(access) => Ok(Rights { rt, access }),
            None => Err(SluiceError::PermissionDenied(format!("role \"{}\" does not exist", self.role))),
        }
    }

    /// Refuses (42501) unless the actor has `privilege` on `kind` `name` (or owns it).
    pub async fn require(
        &self,
        rt: &Runtime,
        privilege: Privilege,
        kind: ObjectKind,
        name: &str,
    ) -> Result<()> {
        self.rights(rt).await?.require(privilege, kind, name).await
    }

    /// Refuses (42501) unless the actor owns `kind` `name` (or is a superuser).
    pub async fn require_owner(&self, rt: &Runtime, kind: ObjectKind, name: &str) -> Result<()> {
        self.rights(rt).await?.require_owner(kind, name).await
    }

    /// Refuses (42501) unless the actor may create objects (CREATE ON DATABASE).
    pub async fn require_create(&self, rt: &Runtime, what: &str) -> Result<()> {
        self.rights(rt).await?.require_create(what)
    }
}

impl Rights<'_> {
    pub fn is_superuser(&self) -> bool {
        self.access.superuser
    }

    /// `privilege` on `kind` `name`. An object that does not exist passes: the statement
    /// then reports it missing (42704), as PostgreSQL does.
    pub async fn require(&self, privilege: Privilege, kind: ObjectKind, name: &str) -> Result<()> {
        if self.access.superuser {
            return Ok(());
        }
        let owner = self.rt.store.owner(kind, name).await?;
        if owner.is_none() && kind != ObjectKind::Database {
            return Ok(());
        }
        if self.access.has(kind, name, owner.as_deref(), privilege) {
            return Ok(());
        }
        Err(denied(privilege, kind, name))
    }

    /// Ownership of `kind` `name` (a missing object passes, as in [`Rights::require`]).
    pub async fn require_owner(&self, kind: ObjectKind, name: &str) -> Result<()> {
        if self.access.superuser {
            return Ok(());
        }
        match self.rt.store.owner(kind, name).await? {
            None => Ok(()),
            Some(owner) if self.access.owns(Some(&owner)) => Ok(()),
            Some(_) => {
                Err(SluiceError::PermissionDenied(format!("must be owner of {} {name}", kind.as_str())))
            }
        }
    }

    /// CREATE on the database: may create sources, secrets, tables, pipelines, syncs and
    /// schedules; `what` says which, for the message.
    pub fn require_create(&self, what: &str) -> Result<()> {
        if self.access.has(ObjectKind::Database, DATABASE, None, Privilege::Create) {
            return Ok(());
        }
        Err(SluiceError::PermissionDenied(format!(
            "permission denied for database {DATABASE}: creating {what} needs CREATE ON DATABASE {DATABASE}"
        )))
    }

    /// May create targets: a superuser, or a member of `sluice_create_target`.
    pub fn require_create_target(&self) -> Result<()> {
        if self.access.may_create_targets() {
            return Ok(());
        }
        Err(SluiceError::PermissionDenied(format!(
            "permission denied for database {DATABASE}: creating targets needs membership in {CREATE_TARGET_ROLE}"
        )))
    }

    /// USAGE on every source of `sources` (a pipeline's or sync's sources and sinks).
    pub async fn require_usage_of_sources<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s str>,
    ) -> Result<()> {
        for source in sources {
            self.require(Privilege::Usage, ObjectKind::Source, source).await?;
        }
        Ok(())
    }
}

/// `permission denied for source prod_db` (42501), with the privilege it needed.
pub fn denied(privilege: Privilege, kind: ObjectKind, name: &str) -> SluiceError {
    SluiceError::PermissionDenied(format!(
        "permission denied for {} {name}: {privilege} ON {} {name} is needed",
        kind.as_str(),
        kind.as_str().to_ascii_uppercase()
    ))
}
