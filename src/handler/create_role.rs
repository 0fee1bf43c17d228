//! `CREATE ROLE` / `CREATE USER` — see [`CreateRole`] for the syntax.

use sluice_catalog::{NewRole, StoreError};

use super::{Ctx, Notice, Output, require_superuser};
use crate::error::{Result, SluiceError};
use crate::server::scram::{DEFAULT_ITERATIONS, Verifier};
use crate::sql::ast::{CreateRole, Password, RoleOption};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateRole) -> Result<Output> {
    require_superuser(ctx, "create roles").await?;
    refuse_reserved_name(statement.name.as_str())?;
    let mut role = NewRole {
        name: statement.name.as_str().to_owned(),
        superuser: false,
        can_login: statement.user,
        inherit: true,
        password_verifier: None,
    };
    for option in &statement.options {
        match option {
            RoleOption::Superuser(v) => role.superuser = *v,
            RoleOption::Login(v) => role.can_login = *v,
            RoleOption::Inherit(v) => role.inherit = *v,
            RoleOption::Password(p) => role.password_verifier = verifier_for(ctx, p).await?,
        }
    }
    match ctx.rt.store.create_role(&role, &ctx.session.user).await {
        Ok(()) => Ok(Output::Command("CREATE ROLE")),
        Err(StoreError::AlreadyExists { .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!("role \"{}\" already exists, skipping", role.name)));
            Ok(Output::Command("CREATE ROLE"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Refuses (42939) a new role name that is reserved: `public`, or one starting with
/// `sluice_` (kept for predefined roles, as PostgreSQL keeps `pg_`).
pub fn refuse_reserved_name(name: &str) -> Result<()> {
    if !sluice_catalog::privileges::is_reserved_role_name(name) {
        return Ok(());
    }
    let hint = if name == sluice_catalog::privileges::PUBLIC {
        "PUBLIC stands for every role in GRANT and REVOKE."
    } else {
        "Role names starting with \"sluice_\" are kept for the gateway's predefined roles."
    };
    Err(SluiceError::Query {
        state: crate::error::SqlState::ReservedName,
        message: format!("role name \"{name}\" is reserved"),
        hint: Some(hint.into()),
        pos: None,
    })
}

/// Refuses (42939) to alter, rename or drop a predefined role such as
/// `sluice_create_target` (granting it and revoking it is how it is used).
pub fn refuse_predefined(name: &str, doing: &str) -> Result<()> {
    if !sluice_catalog::privileges::is_predefined_role(name) {
        return Ok(());
    }
    Err(SluiceError::Query {
        state: crate::error::SqlState::ReservedName,
        message: format!("cannot {doing} role \"{name}\": it is predefined"),
        hint: Some(format!("Grant it to the roles that need it: GRANT {name} TO role.")),
        pos: None,
    })
}

/// The verifier to store for a password: a verifier given as such is kept (as in
/// PostgreSQL), text is derived into one, and an empty password means none.
pub async fn verifier_for(ctx: &mut Ctx<'_>, password: &Password) -> Result<Option<String>> {
    match password {
        Password::Null => Ok(None),
        Password::Text(text) if text.is_empty() => {
            ctx.notices.push(Notice::notice("empty string is not a valid password, clearing password"));
            Ok(None)
        }
        Password::Text(text) if text.starts_with("SCRAM-SHA-256$") => match Verifier::parse(text) {
            Some(v) => Ok(Some(v.to_string())),
            None => Err(SluiceError::InvalidValue {
                name: "PASSWORD".into(),
                message: "malformed SCRAM-SHA-256 verifier".into(),
                hint: None,
            }),
        },
        Password::Text(text) => {
            let text = text.clone();
            let verifier = tokio::task::spawn_blocking(move || Verifier::derive(&text, DEFAULT_ITERATIONS))
                .await
                .map_err(|e| SluiceError::Internal(format!("password hashing failed: {e}")))?;
            Ok(Some(verifier.to_string()))
        }
    }
}
