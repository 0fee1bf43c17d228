//! `CREATE TARGET` — see [`CreateTarget`] for the syntax. Options are checked against the
//! target type's schema before anything is stored. Superusers and members of the predefined
//! role `sluice_create_target` may create targets; the creator needs USAGE on the secrets
//! the options name, and OR REPLACE needs ownership of the target it replaces.

use sluice_catalog::privileges::{ObjectKind, Privilege};
use sluice_catalog::{StoreError, TargetRecord};

use super::{Ctx, Notice, Output};
use crate::deploy::target_types::{target_type, validate};
use crate::error::{Result, SluiceError};
use crate::sql::ast::target::CreateTarget;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateTarget) -> Result<Output> {
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_create_target()?;
    let name = statement.name.as_str();
    if statement.or_replace {
        rights.require_owner(ObjectKind::Target, name).await?;
    }
    let t = target_type(&statement.target_type)?;
    let options = validate(t, name, &statement.options)?;
    for secret in options.secrets() {
        if ctx.rt.store.secret(&secret).await?.is_none() {
            return Err(SluiceError::UndefinedObject { kind: "secret", name: secret });
        }
        rights.require(Privilege::Usage, ObjectKind::Secret, &secret).await?;
    }
    if name == crate::deploy::targets::LOCAL && t.name != crate::deploy::target_types::LOCAL.name {
        return Err(SluiceError::ObjectInUse(format!(
            "target \"{name}\" is built in and must stay of type local"
        )));
    }
    let record = TargetRecord {
        name: name.to_owned(),
        target_type: t.name.to_owned(),
        options: options.to_json(),
        owner: ctx.session.user.clone(),
        created_at: 0,
        updated_at: 0,
    };
    match ctx.rt.store.put_target(&record, statement.or_replace, &ctx.session.user).await {
        Ok(()) => Ok(Output::Command("CREATE TARGET")),
        Err(StoreError::AlreadyExists { .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!("target \"{name}\" already exists, skipping")));
            Ok(Output::Command("CREATE TARGET"))
        }
        Err(StoreError::AlreadyExists { .. }) => {
            Err(SluiceError::DuplicateObject { kind: "target", name: name.to_owned() })
        }
        Err(e) => Err(e.into()),
    }
}
