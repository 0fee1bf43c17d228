//! `SHOW SOURCE TYPES` (type, can_read, can_write, engines, description) and
//! `DESCRIBE SOURCE TYPE t` (scope — the source's options or its declared tables' —,
//! option, value_type, required, default, group, secret, description, flink_option,
//! seatunnel_option).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Output, opt_text, rows, text, text_list};
use crate::connectors::SOURCE_TYPES;
use crate::connectors::lookup_type;
use crate::error::Result;

pub fn show() -> Result<Output> {
    rows(
        "SHOW",
        &[
            ("type", DataType::Utf8),
            ("can_read", DataType::Boolean),
            ("can_write", DataType::Boolean),
            ("engines", super::text_array()),
            ("description", DataType::Utf8),
        ],
        SOURCE_TYPES
            .iter()
            .map(|t| {
                let engines: Vec<String> = t.engines.iter().map(|e| e.to_string()).collect();
                vec![
                    text(t.name),
                    ScalarValue::Boolean(Some(t.can_read)),
                    ScalarValue::Boolean(Some(t.can_write)),
                    text_list(&engines),
                    text(t.description),
                ]
            })
            .collect(),
    )
}

pub fn describe(name: &str) -> Result<Output> {
    let t = lookup_type(name)?;
    let scoped = t.options.iter().map(|o| ("source", o)).chain(t.table_options.iter().map(|o| ("table", o)));
    let mut out: Vec<Vec<ScalarValue>> = scoped
        .map(|(scope, o)| {
            vec![
                text(scope),
                text(o.name),
                text(o.value_type.name()),
                ScalarValue::Boolean(Some(o.required)),
                opt_text(o.default),
                text(o.group.as_str()),
                ScalarValue::Boolean(Some(o.secret)),
                text(o.description),
                opt_text((!o.flink.is_empty()).then_some(o.flink)),
                opt_text((!o.seatunnel.is_empty()).then_some(o.seatunnel)),
            ]
        })
        .collect();
    let passthrough =
        t.passthrough.iter().map(|p| ("source", p)).chain(t.table_passthrough.iter().map(|p| ("table", p)));
    for (scope, prefix) in passthrough {
        out.push(vec![
            text(scope),
            text(format!("{prefix}*")),
            text("string"),
            ScalarValue::Boolean(Some(false)),
            opt_text(None::<String>),
            text("advanced"),
            ScalarValue::Boolean(Some(false)),
            text(format!("Passed through as {prefix}… (may be SECRET name)")),
            opt_text(Some(format!("{prefix}*"))),
            opt_text(None::<String>),
        ]);
    }
    rows(
        "DESCRIBE",
        &[
            ("scope", DataType::Utf8),
            ("option", DataType::Utf8),
            ("value_type", DataType::Utf8),
            ("required", DataType::Boolean),
            ("default", DataType::Utf8),
            ("group", DataType::Utf8),
            ("secret", DataType::Boolean),
            ("description", DataType::Utf8),
            ("flink_option", DataType::Utf8),
            ("seatunnel_option", DataType::Utf8),
        ],
        out,
    )
}
