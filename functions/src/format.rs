//! `format(formatstr, args…)`: PostgreSQL's string formatting, as Metabase uses it to
//! quote names (`format('%I.%I', nspname, relname)`).
//!
//! A format specifier is `%[position$][flags][width]type`, type `s` (the value as text,
//! NULL as nothing), `I` (an identifier, quoted where needed; NULL is an error) or `L`
//! (a literal, quoted; NULL as `NULL`); `%%` is a `%`. The `-` flag and a width pad the
//! value. (PostgreSQL 15, "String Functions and Operators", `format`.)

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub fn format() -> ScalarUDF {
    ScalarUDF::new_from_impl(Format { signature: Signature::variadic_any(Volatility::Stable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Format {
    signature: Signature,
}

impl ScalarUDFImpl for Format {
    fn name(&self) -> &str {
        "format"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.is_empty() {
            return exec_err!("function format() requires at least one argument");
        }
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<_>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let values = arrays
                .iter()
                .map(|a| ScalarValue::try_from_array(a, row))
                .collect::<Result<Vec<ScalarValue>>>()?;
            match text(&values[0]) {
                None => out.append_null(),
                Some(template) => out.append_value(render(&template, &values[1..])?),
            }
        }
        crate::columnar(Arc::new(out.finish()), &args.args)
    }
}

/// A value as text, as PostgreSQL's output function writes it; `None` for NULL.
fn text(value: &ScalarValue) -> Option<String> {
    if value.is_null() {
        return None;
    }
    Some(match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            s.clone()
        }
        ScalarValue::Boolean(Some(b)) => if *b { "t" } else { "f" }.to_owned(),
        other => other.to_string(),
    })
}

fn quote_identifier(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_owned() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// `quote_literal(text)`: the value as a string literal (`'O''Reilly'`, `E'a\\b'` with a
/// backslash), NULL for NULL — as PostgreSQL's, whose other overloads cast to text first.
pub fn quote_literal_function() -> ScalarUDF {
    let func = |args: &[ColumnarValue]| {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let text = datafusion::arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let text =
            text.as_any().downcast_ref::<datafusion::arrow::array::StringArray>().ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("quote_literal: text expected".into())
            })?;
        let quoted: datafusion::arrow::array::StringArray =
            text.iter().map(|v| v.map(quote_literal)).collect();
        crate::columnar(Arc::new(quoted), args)
    };
    datafusion::logical_expr::create_udf(
        "quote_literal",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(func),
    )
}

fn quote_literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// `template` with its specifiers replaced by `args`.
fn render(template: &str, args: &[ScalarValue]) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = String::new();
        let kind = loop {
            match chars.next() {
                Some(k @ ('s' | 'I' | 'L')) => break k,
                Some(d @ ('0'..='9' | '$' | '-')) => spec.push(d),
                Some(other) => return exec_err!("unrecognized format() type specifier \"{other}\""),
                None => return exec_err!("unterminated format() type specifier"),
            }
        };
        let (position, rest) = match spec.split_once('$') {
            Some((p, rest)) => match p.parse::<usize>() {
                Ok(p) if p > 0 => (p - 1, rest.to_owned()),
                _ => return exec_err!("format specifies argument 0, but arguments are numbered from 1"),
            },
            None => (next, spec),
        };
        next = position + 1;
        let Some(value) = args.get(position) else { return exec_err!("too few arguments for format()") };
        let shown = match (kind, text(value)) {
            ('s', v) => v.unwrap_or_default(),
            ('I', Some(v)) => quote_identifier(&v),
            ('I', None) => return exec_err!("null values cannot be formatted as an SQL identifier"),
            (_, Some(v)) => quote_literal(&v),
            (_, None) => "NULL".to_owned(),
        };
        let left = rest.starts_with('-');
        let width: usize = rest.trim_start_matches('-').parse().unwrap_or(0);
        let pad = width.saturating_sub(shown.chars().count());
        if left {
            out.push_str(&shown);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&shown);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(v.to_owned()))
    }

    #[test]
    fn specifiers_as_postgresql_renders_them() {
        assert_eq!(render("%I.%I", &[s("public"), s("My Table")]).unwrap(), "public.\"My Table\"");
        assert_eq!(
            render("%L and %L", &[s("O'Reilly"), ScalarValue::Utf8(None)]).unwrap(),
            "'O''Reilly' and NULL"
        );
        assert_eq!(render("%2$s %1$s %%", &[s("a"), s("b")]).unwrap(), "b a %");
        assert_eq!(render("[%-5s|%5s]", &[s("ab"), ScalarValue::Int64(Some(7))]).unwrap(), "[ab   |    7]");
        assert!(render("%I", &[ScalarValue::Utf8(None)]).is_err());
        assert!(render("%s %s", &[s("a")]).is_err());
    }
}
