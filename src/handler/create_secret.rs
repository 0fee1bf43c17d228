//! `CREATE SECRET` — see [`CreateSecret`] for the syntax.

use sluice_catalog::{SecretRecord, StoreError};

use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Notice, Output, require_create};
use crate::error::Result;
use crate::sql::ast::secret::{CreateSecret, SecretValue};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateSecret) -> Result<Output> {
    let replaces = statement.or_replace.then_some((ObjectKind::Secret, statement.name.as_str()));
    require_create(ctx, "secrets", replaces).await?;
    let record = seal(ctx, statement.name.as_str(), &statement.value);
    match ctx.rt.store.put_secret(&record, statement.or_replace, &ctx.session.user).await {
        Ok(()) => Ok(Output::Command("CREATE SECRET")),
        Err(StoreError::AlreadyExists { .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!(
                "secret \"{}\" already exists, skipping",
                statement.name.as_str()
            )));
            Ok(Output::Command("CREATE SECRET"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The value sealed under the master key, ready for the store.
pub fn seal(ctx: &Ctx<'_>, name: &str, value: &SecretValue) -> SecretRecord {
    let sealed = ctx.rt.master_key.seal(name, value.bytes());
    SecretRecord {
        name: name.to_owned(),
        kind: value.kind().to_owned(),
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
        owner: ctx.session.user.clone(),
        created_at: 0,
        updated_at: 0,
    }
}
