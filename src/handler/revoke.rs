//! `REVOKE [ GRANT OPTION FOR ] … ON kind name FROM role [ CASCADE | RESTRICT ]` — see
//! [`RevokePrivileges`]. The same roles that may grant a privilege may revoke it; revoking
//! what was never granted changes nothing (a WARNING says so, as in PostgreSQL). Grants
//! that others made with the grant option being revoked are *dependent*: RESTRICT (the
//! default) refuses with 2BP01, CASCADE revokes them too, in the same transaction.

use std::collections::HashMap;

use sluice_catalog::privileges::{GrantRecord, Grantor, ObjectKind, dependent_grants};
use sluice_catalog::store::grants::NewGrant;

use super::grant::{Item, checked, new_grants};
use super::{Ctx, Notice, Output};
use crate::error::{Result, SluiceError, SqlState};
use crate::sql::ast::grant::RevokePrivileges;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &RevokePrivileges) -> Result<Output> {
    let items = checked(ctx, &statement.privileges, &statement.objects, &statement.grantees).await?;
    let dependents = dependents(ctx, &items, statement.grant_option_for).await?;
    if !dependents.is_empty() && !statement.cascade {
        let list: Vec<String> = dependents
            .iter()
            .map(|g| {
                format!(
                    "{} ON {} {} granted by {} to {}",
                    g.privilege, g.kind, g.object, g.grantor, g.grantee
                )
            })
            .collect();
        return Err(SluiceError::Query {
            state: SqlState::DependentObjectsStillExist,
            message: format!("dependent privileges exist: {}", list.join("; ")),
            hint: Some("Use CASCADE to revoke them too.".into()),
            pos: None,
        });
    }
    let rows = new_grants(&items, false);
    let cascaded: Vec<NewGrant<'_>> = dependents
        .iter()
        .map(|g| NewGrant {
            kind: g.kind,
            object: &g.object,
            grantee: &g.grantee,
            privilege: g.privilege,
            grant_option: false,
        })
        .collect();
    let (options, mut revoked) =
        if statement.grant_option_for { (rows, Vec::new()) } else { (Vec::new(), rows) };
    revoked.extend(cascaded);
    let changed = ctx.rt.store.revoke_privileges(&options, &revoked, &ctx.session.user).await?;
    if changed == 0 {
        ctx.notices.push(Notice::warning(
            format!("no privileges could be revoked from {}", statement.objects),
            None,
        ));
    }
    Ok(Output::Command("REVOKE"))
}

/// The grants `items` would leave dependent, on every object they name.
async fn dependents(ctx: &Ctx<'_>, items: &[Item], option_only: bool) -> Result<Vec<GrantRecord>> {
    let all = ctx.rt.store.grants().await?;
    let mut objects: Vec<(ObjectKind, &str)> = items.iter().map(|(k, o, _, _)| (*k, o.as_str())).collect();
    objects.dedup();
    let mut found = Vec::new();
    for (kind, object) in objects {
        let on_object: Vec<GrantRecord> =
            all.iter().filter(|g| g.kind == kind && g.object == object).cloned().collect();
        let revoked: Vec<_> = items
            .iter()
            .filter(|(k, o, _, _)| *k == kind && o == object)
            .map(|(_, _, grantee, privilege)| (grantee.clone(), *privilege))
            .collect();
        let owner = ctx.rt.store.owner(kind, object).await?;
        let mut grantors = HashMap::new();
        for g in &on_object {
            if grantors.contains_key(&g.grantor) {
                continue;
            }
            if let Some(access) = ctx.rt.store.access(&g.grantor).await? {
                let independent = access.owns(owner.as_deref()) || access.superuser;
                let grantor = Grantor { independent, privileged_as: access.privileged_as };
                grantors.insert(g.grantor.clone(), grantor);
            }
        }
        found.extend(dependent_grants(&on_object, &revoked, option_only, &grantors));
    }
    Ok(found)
}
