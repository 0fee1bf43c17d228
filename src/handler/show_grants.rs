//! `SHOW GRANTS [ FOR role | ON kind name ]` — see [`ShowGrants`] for the syntax. One row
//! per privilege held: `object_kind, object_name, grantee, privilege, grantable, grantor`.
//! `FOR role` adds the role's memberships (object_kind `role`, privilege `MEMBER`,
//! grantable = ADMIN OPTION); `ON kind name` starts with the owner (privilege `OWNER`).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use sluice_catalog::privileges::ObjectKind;

use super::{Ctx, Output, opt_text, rows, text};
use crate::error::{Result, SluiceError};
use crate::sql::ast::grant::ShowGrants;

pub async fn handle(ctx: &mut Ctx<'_>, statement: &ShowGrants) -> Result<Output> {
    let store = &ctx.rt.store;
    let row =
        |kind: &str, object: &str, grantee: &str, privilege: &str, grantable: bool, grantor: Option<&str>| {
            vec![
                text(kind),
                text(object),
                text(grantee),
                text(privilege),
                ScalarValue::Boolean(Some(grantable)),
                opt_text(grantor),
            ]
        };
    let mut out = Vec::new();
    if let ShowGrants::On { kind, name } = statement {
        let kind = ObjectKind::parse(kind)
            .ok_or_else(|| SluiceError::Internal(format!("unknown object kind {kind}")))?;
        if kind != ObjectKind::Database {
            let owner = store.owner(kind, name.as_str()).await?.ok_or_else(|| {
                SluiceError::UndefinedObject { kind: kind.as_str(), name: name.as_str().to_owned() }
            })?;
            out.push(row(kind.as_str(), name.as_str(), &owner, "OWNER", true, None));
        }
    }
    for g in store.grants().await? {
        let wanted = match statement {
            ShowGrants::All => true,
            ShowGrants::For(role) => g.grantee == role.as_str(),
            ShowGrants::On { kind, name } => {
                g.kind.as_str().eq_ignore_ascii_case(kind) && g.object == name.as_str()
            }
        };
        if wanted {
            out.push(row(
                g.kind.as_str(),
                &g.object,
                &g.grantee,
                g.privilege.as_str(),
                g.grant_option,
                Some(&g.grantor),
            ));
        }
    }
    if let ShowGrants::For(role) = statement {
        for m in store.memberships().await?.iter().filter(|m| m.member == role.as_str()) {
            out.push(row("role", &m.role, &m.member, "MEMBER", m.admin_option, Some(&m.grantor)));
        }
    }
    rows(
        "SHOW",
        &[
            ("object_kind", DataType::Utf8),
            ("object_name", DataType::Utf8),
            ("grantee", DataType::Utf8),
            ("privilege", DataType::Utf8),
            ("grantable", DataType::Boolean),
            ("grantor", DataType::Utf8),
        ],
        out,
    )
}
