//! `GRANT … ON kind name TO role` — see [`GrantPrivileges`] for the syntax. The grantor
//! must own the objects or hold each privilege WITH GRANT OPTION; every grant of the
//! statement is stored in one transaction, or none is.

use sluice_catalog::privileges::{ObjectKind, PUBLIC, Privilege};
use sluice_catalog::store::grants::NewGrant;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError, SqlState};
use crate::service::access::denied;
use crate::sql::ast::grant::{GrantPrivileges, Objects, Privileges};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &GrantPrivileges) -> Result<Output> {
    let grants = checked(ctx, &statement.privileges, &statement.objects, &statement.grantees).await?;
    let rows = new_grants(&grants, statement.with_grant_option);
    ctx.rt.store.grant_privileges(&rows, &ctx.session.user).await?;
    Ok(Output::Command("GRANT"))
}

/// One privilege on one object for one grantee.
pub type Item = (ObjectKind, String, String, Privilege);

/// The store's rows for `items`.
pub fn new_grants(items: &[Item], grant_option: bool) -> Vec<NewGrant<'_>> {
    items
        .iter()
        .map(|(kind, object, grantee, privilege)| NewGrant {
            kind: *kind,
            object,
            grantee,
            privilege: *privilege,
            grant_option,
        })
        .collect()
}

/// Every (object, grantee, privilege) the statement names, after checking that the objects
/// and grantees exist, that each privilege belongs to the objects' kind, and that the
/// session's role may grant (or revoke) it.
pub async fn checked(
    ctx: &Ctx<'_>,
    privileges: &Privileges,
    objects: &Objects,
    grantees: &[crate::sql::ast::Ident],
) -> Result<Vec<Item>> {
    let kind = ObjectKind::parse(&objects.kind)
        .ok_or_else(|| SluiceError::Internal(format!("unknown object kind {}", objects.kind)))?;
    let privileges = privileges_of(kind, privileges)?;
    let rights = ctx.actor().rights(ctx.rt).await?;
    for grantee in grantees {
        let name = grantee.as_str();
        if name != PUBLIC && ctx.rt.store.role(name).await?.is_none() {
            return Err(SluiceError::UndefinedObject { kind: "role", name: name.to_owned() });
        }
    }
    let mut items = Vec::new();
    for object in &objects.names {
        let object = object.as_str();
        let owner = owner_of(ctx, kind, object).await?;
        for privilege in &privileges {
            if !rights.access.may_grant(kind, object, owner.as_deref(), *privilege) {
                return Err(denied(*privilege, kind, object));
            }
            for grantee in grantees {
                items.push((kind, object.to_owned(), grantee.as_str().to_owned(), *privilege));
            }
        }
    }
    Ok(items)
}

/// The owner of an object that must exist (the database has none: superusers own it).
async fn owner_of(ctx: &Ctx<'_>, kind: ObjectKind, name: &str) -> Result<Option<String>> {
    if kind == ObjectKind::Database {
        if name != sluice_catalog::privileges::DATABASE {
            return Err(SluiceError::Query {
                state: SqlState::InvalidCatalogName,
                message: format!("database \"{name}\" does not exist"),
                hint: Some(format!(
                    "The gateway's one database is {}.",
                    sluice_catalog::privileges::DATABASE
                )),
                pos: None,
            });
        }
        return Ok(None);
    }
    match ctx.rt.store.owner(kind, name).await? {
        Some(owner) => Ok(Some(owner)),
        None => Err(SluiceError::UndefinedObject { kind: kind.as_str(), name: name.to_owned() }),
    }
}

/// The privileges a statement names, each one the kind has (0LP01 otherwise).
fn privileges_of(kind: ObjectKind, privileges: &Privileges) -> Result<Vec<Privilege>> {
    let invalid = |what: String| SluiceError::Query {
        state: SqlState::InvalidGrantOperation,
        message: what,
        hint: Some(format!(
            "Privileges on a {}: {}.",
            kind.as_str(),
            match kind.privileges() {
                [] => "none; only its owner may change it (ALTER … OWNER TO hands it over)".to_owned(),
                list => list.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "),
            }
        )),
        pos: None,
    };
    match privileges {
        Privileges::All if kind.privileges().is_empty() => {
            Err(invalid(format!("a {} has no privileges to grant", kind.as_str())))
        }
        Privileges::All => Ok(kind.privileges().to_vec()),
        Privileges::Named(names) => names
            .iter()
            .map(|name| match Privilege::parse(name) {
                Some(p) if kind.privileges().contains(&p) => Ok(p),
                _ => Err(invalid(format!("invalid privilege type {name} for {}", kind.as_str()))),
            })
            .collect(),
    }
}
