//! Bind parameters of gateway statements over the extended protocol: a JDBC app's
//! `PreparedStatement` of `PREVIEW … WHERE id > ?`, a `CREATE SOURCE … WITH (host = $1)`.
//!
//! At Parse the statement is checked as it is or, where its grammar takes only literals
//! (option values), with `NULL` standing for each parameter; PREVIEW reports the types
//! DataFusion infers for its parameters from the sinks' queries, other statements `text`.
//! At Execute each value becomes a SQL literal in the statement's text
//! ([`crate::sql::parameters::substitute`]) and the statement runs as written with it.

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::{ParamValues, ScalarValue};

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};
use crate::sql::parameters;

/// Runs gateway statement `text` with `values` bound to its parameters.
pub async fn execute(ctx: &mut Ctx<'_>, text: &str, values: ParamValues) -> Result<Output> {
    let ParamValues::List(values) = values else {
        return Err(SluiceError::not_supported("named parameters in a gateway statement", None));
    };
    let literals =
        values.iter().enumerate().map(|(i, v)| literal(i + 1, &v.value)).collect::<Result<Vec<String>>>()?;
    let bound = parameters::substitute(text, &literals)?;
    let Some((parsed, _)) = super::prepare::parse_one(&bound)? else {
        return Err(SluiceError::Internal("a bound gateway statement has no statement".into()));
    };
    super::handle(ctx, &parsed, &bound[parsed.range.clone()]).await
}

/// The types reported for `count` parameters whose inferred types are `inferred` (by
/// `$n`): text where nothing was inferred, as PostgreSQL's `unknown` reads.
pub fn reported(
    count: usize,
    inferred: &std::collections::HashMap<String, Option<DataType>>,
) -> Vec<Option<DataType>> {
    (1..=count).map(|n| inferred.get(&format!("${n}")).cloned().flatten().or(Some(DataType::Utf8))).collect()
}

/// `value` as a SQL literal of its type.
fn literal(number: usize, value: &ScalarValue) -> Result<String> {
    if value.is_null() {
        return Ok("NULL".into());
    }
    let text = || -> Result<String> {
        let array = value.to_array()?;
        Ok(array_value_to_string(&array, 0).map_err(datafusion::error::DataFusionError::from)?)
    };
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Ok(match value {
        ScalarValue::Boolean(Some(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_)
        | ScalarValue::Decimal128(..)
        | ScalarValue::Decimal256(..) => text()?,
        ScalarValue::Float32(Some(f)) if f.is_finite() => text()?,
        ScalarValue::Float64(Some(f)) if f.is_finite() => text()?,
        ScalarValue::Float32(_) | ScalarValue::Float64(_) => {
            let f = value.to_string();
            let word = match f.as_str() {
                "inf" => "Infinity",
                "-inf" => "-Infinity",
                _ => "NaN",
            };
            format!("CAST('{word}' AS DOUBLE PRECISION)")
        }
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            quoted(s)
        }
        other => {
            let sql_type = match other.data_type() {
                DataType::Date32 | DataType::Date64 => "DATE",
                DataType::Time32(_) | DataType::Time64(_) => "TIME",
                DataType::Timestamp(_, None) => "TIMESTAMP",
                DataType::Timestamp(_, Some(_)) => "TIMESTAMPTZ",
                DataType::Interval(_) => "INTERVAL",
                other => {
                    return Err(SluiceError::not_supported(
                        format!("parameter ${number} of type {other} in a gateway statement"),
                        Some("Bind it as text, or write the value into the statement."),
                    ));
                }
            };
            format!("CAST({} AS {sql_type})", quoted(&text()?))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_literals_of_their_type() {
        let cases = [
            (ScalarValue::Int32(Some(-5)), "-5"),
            (ScalarValue::Decimal128(Some(1234), 10, 2), "12.34"),
            (ScalarValue::Utf8(Some("it's".into())), "'it''s'"),
            (ScalarValue::Boolean(Some(false)), "FALSE"),
            (ScalarValue::Int64(None), "NULL"),
            (ScalarValue::Float64(Some(f64::INFINITY)), "CAST('Infinity' AS DOUBLE PRECISION)"),
            (ScalarValue::Date32(Some(19723)), "CAST('2024-01-01' AS DATE)"),
        ];
        for (value, sql) in cases {
            assert_eq!(literal(1, &value).unwrap(), sql, "{value:?}");
        }
        let e = literal(2, &ScalarValue::Binary(Some(vec![1]))).unwrap_err();
        assert!(e.to_string().contains("parameter $2 of type Binary"), "{e}");
    }
}
