//! `ALTER SOURCE` — see [`AlterSource`] for the syntax.

use super::create_source::missing_secret;
use sluice_catalog::privileges::{ObjectKind, Privilege};

use super::{Ctx, Output};
use crate::connectors::access::stored_options;
use crate::connectors::lookup_type;
use crate::connectors::validate;
use crate::connectors::validate::{check_required, reset};
use crate::error::{Result, SluiceError};
use crate::sql::ast::source::{AlterSource, AlterSourceOperation};

pub async fn handle(ctx: &mut Ctx<'_>, statement: &AlterSource) -> Result<Output> {
    let name = statement.name.as_str();
    let rights = ctx.actor().rights(ctx.rt).await?;
    rights.require_owner(ObjectKind::Source, name).await?;
    let store = &ctx.rt.store;
    let record = store
        .source(name)
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "source", name: name.to_owned() })?;
    let source_type = lookup_type(&record.source_type)?;
    let current = stored_options(&record)?;
    let updated = match &statement.operation {
        AlterSourceOperation::Set(options) => validate(source_type, &current, options)?,
        AlterSourceOperation::Reset(keys) => {
            let options = reset(source_type, &current, keys)?;
            check_required(source_type, &options)?;
            options
        }
        AlterSourceOperation::RenameTo(new_name) => {
            let users = store.pipelines_using(name).await?;
            if !users.is_empty() {
                return Err(SluiceError::DependentObjects {
                    what: format!("rename source \"{name}\""),
                    detail: format!("pipelines name it in their bodies: {}", users.join(", ")),
                    hint: Some("Drop or replace those pipelines first."),
                });
            }
            store.rename_source(name, new_name.as_str(), &ctx.session.user).await?;
            ctx.rt.engine.catalogs().remove_source(name);
            crate::service::sources::publish(ctx.rt, new_name.as_str()).await?;
            return Ok(Output::Command("ALTER SOURCE"));
        }
    };
    for secret in updated.secrets() {
        rights.require(Privilege::Usage, ObjectKind::Secret, &secret).await?;
    }
    store
        .update_source_options(name, &updated.to_json(), &updated.secrets(), &ctx.session.user)
        .await
        .map_err(missing_secret)?;
    crate::service::sources::publish(ctx.rt, name).await?;
    Ok(Output::Command("ALTER SOURCE"))
}
