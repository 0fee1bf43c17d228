//! `LIKE … ESCAPE 'c'` for escape characters other than backslash.
//!
//! DataFusion's LIKE only knows the backslash escape. The gateway rewrites
//! `x LIKE p ESCAPE 'c'` into `x LIKE sluice_like_escape(p, 'c')`, which turns a pattern
//! written with escape character `c` into the same pattern written with backslashes.
//! SQLAlchemy's PostgreSQL inspector writes `ESCAPE '/'`, for one.

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// The name the rewrite calls.
pub const LIKE_ESCAPE: &str = "sluice_like_escape";

/// `pattern` (written with escape character `escape`, or none if empty) rewritten to use
/// backslash as its escape character.
pub fn to_backslash_escapes(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(n @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(n);
                }
                Some('\\') => out.push_str("\\\\"),
                Some(n) => out.push(n),
                None => out.push_str(&literal(c)),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

fn literal(c: char) -> String {
    if c == '\\' { "\\\\".into() } else { c.to_string() }
}

/// `sluice_like_escape(pattern text, escape text) -> text`
pub fn like_escape() -> ScalarUDF {
    let func = |args: &[ColumnarValue]| {
        let escape = match &args[1] {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(e))) => e.chars().next(),
            ColumnarValue::Scalar(ScalarValue::Utf8(None)) => None,
            _ => return exec_err!("{LIKE_ESCAPE}: the escape must be a constant string"),
        };
        match &args[0] {
            ColumnarValue::Scalar(ScalarValue::Utf8(p)) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(
                p.as_deref().map(|p| to_backslash_escapes(p, escape)),
            ))),
            ColumnarValue::Array(a) => {
                let Some(patterns) = a.as_any().downcast_ref::<StringArray>() else {
                    return exec_err!("{LIKE_ESCAPE}: the pattern must be text");
                };
                let mut out = StringBuilder::new();
                for i in 0..patterns.len() {
                    out.append_option(
                        (!patterns.is_null(i)).then(|| to_backslash_escapes(patterns.value(i), escape)),
                    );
                }
                Ok(ColumnarValue::Array(Arc::new(out.finish())))
            }
            other => exec_err!("{LIKE_ESCAPE}: unexpected argument {}", other.data_type()),
        }
    };
    create_udf(
        LIKE_ESCAPE,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(func),
    )
}

#[cfg(test)]
mod tests {
    use super::to_backslash_escapes;

    #[test]
    fn patterns_are_rewritten_to_backslash_escapes() {
        assert_eq!(to_backslash_escapes("pg/_%", Some('/')), "pg\\_%");
        assert_eq!(to_backslash_escapes("a//b", Some('/')), "a/b");
        assert_eq!(to_backslash_escapes("50#%", Some('#')), "50\\%");
        assert_eq!(to_backslash_escapes("c:\\dir", Some('/')), "c:\\\\dir");
        assert_eq!(to_backslash_escapes("no\\escape", None), "no\\\\escape");
        assert_eq!(to_backslash_escapes("x%", None), "x%");
    }
}
