//! `DESCRIBE SOURCE name` — every option of the source's type with its value (set or
//! default; secrets by name), group and whether it is secret.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, opt_text, rows, text};
use crate::connectors::StoredValue;
use crate::connectors::access::stored_options;
use crate::connectors::lookup_type;
use crate::error::{Result, SluiceError};
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let record = ctx
        .rt
        .store
        .source(name.as_str())
        .await?
        .ok_or_else(|| SluiceError::UndefinedObject { kind: "source", name: name.as_str().to_owned() })?;
    let source_type = lookup_type(&record.source_type)?;
    let options = stored_options(&record)?;
    let shown = |v: &StoredValue| match v {
        StoredValue::Text(t) => t.clone(),
        StoredValue::Secret { secret } => format!("SECRET {secret}"),
    };
    let mut out = Vec::new();
    for o in source_type.options {
        let (value, origin) = match options.0.get(o.name) {
            Some(v) => (Some(shown(v)), "set"),
            None => (o.default.map(str::to_owned), if o.default.is_some() { "default" } else { "unset" }),
        };
        out.push(vec![
            text(o.name),
            opt_text(value),
            text(origin),
            text(o.group.as_str()),
            ScalarValue::Boolean(Some(o.secret)),
        ]);
    }
    for (key, value) in &options.0 {
        if source_type.option(key).is_none() {
            let secret = matches!(value, StoredValue::Secret { .. });
            out.push(vec![
                text(key.clone()),
                text(shown(value)),
                text("set"),
                text("advanced"),
                ScalarValue::Boolean(Some(secret)),
            ]);
        }
    }
    rows(
        "DESCRIBE",
        &[
            ("option", DataType::Utf8),
            ("value", DataType::Utf8),
            ("origin", DataType::Utf8),
            ("group", DataType::Utf8),
            ("secret", DataType::Boolean),
        ],
        out,
    )
}
