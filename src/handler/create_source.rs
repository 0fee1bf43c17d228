//! `CREATE SOURCE` — see [`CreateSource`] for the syntax.

use sluice_catalog::{NewSource, StoreError};

use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Notice, Output, require_create};
use crate::connectors::{ResolvedOptions, lookup_type, validate};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::CreateSource;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &CreateSource) -> Result<Output> {
    let replaces = statement.or_replace.then_some((ObjectKind::Source, statement.name.as_str()));
    let rights = require_create(ctx, "sources", replaces).await?;
    let source_type = lookup_type(&statement.source_type)?;
    let options = validate(source_type, &ResolvedOptions::default(), &statement.options)?;
    let source = NewSource {
        name: statement.name.as_str().to_owned(),
        source_type: source_type.name.to_owned(),
        options: options.to_json(),
        secrets: options.secrets(),
    };
    for secret in &source.secrets {
        rights.require(Privilege::Usage, ObjectKind::Secret, secret).await?;
    }
    match ctx.rt.store.put_source(&source, statement.or_replace, &ctx.session.user).await {
        Ok(()) => {
            crate::service::sources::publish(ctx.rt, &source.name).await?;
            Ok(Output::Command("CREATE SOURCE"))
        }
        Err(StoreError::AlreadyExists { .. }) if statement.if_not_exists => {
            ctx.notices.push(Notice::notice(format!("source \"{}\" already exists, skipping", source.name)));
            Ok(Output::Command("CREATE SOURCE"))
        }
        Err(e) => Err(missing_secret(e)),
    }
}

/// A secret an option refers to that does not exist is the user's mistake (42704).
pub fn missing_secret(e: StoreError) -> SluiceError {
    match e {
        StoreError::NotFound { kind: "secret", name } => {
            SluiceError::UndefinedObject { kind: "secret", name }
        }
        other => other.into(),
    }
}
