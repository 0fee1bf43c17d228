//! PostgreSQL functions that clients' catalog queries call and DataFusion lacks.
//!
//! Sluice has no sequences and one collation, so some answers are fixed — but each is
//! the answer PostgreSQL itself would give for such a database.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};

/// `pg_get_serial_sequence(table text, column text)`: NULL, as for a column that owns no
/// sequence (no column in Sluice does).
pub fn pg_get_serial_sequence() -> ScalarUDF {
    create_udf(
        "pg_get_serial_sequence",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))),
    )
}

/// `pg_collation_is_visible(oid)`: true (the only collation is the default one).
pub fn pg_collation_is_visible() -> ScalarUDF {
    create_udf(
        "pg_collation_is_visible",
        vec![DataType::Int32],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))),
    )
}

/// `to_regtype(name text)`: the OID of a built-in type given by any of its names
/// (`int4`, `integer`, `character varying`, `text[]` …), or NULL — Sluice has no
/// user-defined types, so `to_regtype('hstore')` is NULL as on a plain PostgreSQL.
pub fn to_regtype() -> ScalarUDF {
    let func = |args: &[ColumnarValue]| {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let names = datafusion::arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let names =
            names.as_any().downcast_ref::<datafusion::arrow::array::StringArray>().ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("to_regtype: text expected".into())
            })?;
        let oids: datafusion::arrow::array::Int32Array = (0..names.len())
            .map(|i| (!names.is_null(i)).then(|| type_oid(names.value(i))).flatten())
            .collect();
        crate::columnar(Arc::new(oids), args)
    };
    create_udf("to_regtype", vec![DataType::Utf8], DataType::Int32, Volatility::Stable, Arc::new(func))
}

/// The OID of a built-in type by name (PostgreSQL's spellings and SQL-standard aliases).
pub fn type_oid(name: &str) -> Option<i32> {
    use postgres_types::Type;
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<String, u32>> = std::sync::OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        (0..=10_000u32).filter_map(Type::from_oid).map(|t| (t.name().to_owned(), t.oid())).collect()
    });
    let mut name = name.trim().trim_start_matches("pg_catalog.").to_ascii_lowercase();
    let array = name.ends_with("[]");
    if array {
        name.truncate(name.len() - 2);
    }
    let canonical = match name.trim() {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        other => other,
    };
    let key = if array { format!("_{canonical}") } else { canonical.to_owned() };
    by_name.get(&key).and_then(|oid| i32::try_from(*oid).ok())
}

/// `json_build_object(key, value, …)`: a JSON object (as text) from alternating keys
/// and values.
pub fn json_build_object() -> ScalarUDF {
    ScalarUDF::new_from_impl(JsonBuildObject { signature: Signature::variadic_any(Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return exec_err!("json_build_object: argument list must have even number of elements");
        }
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> =
            args.args.iter().map(|a| a.to_array(rows)).collect::<datafusion::error::Result<_>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let mut object = serde_json::Map::new();
            for pair in arrays.chunks(2) {
                let key = ScalarValue::try_from_array(&pair[0], row)?;
                if key.is_null() {
                    return exec_err!("json_build_object: key must not be null");
                }
                let value = ScalarValue::try_from_array(&pair[1], row)?;
                object.insert(text_of(&key), json_of(&value));
            }
            out.append_value(serde_json::Value::Object(object).to_string());
        }
        crate::columnar(Arc::new(out.finish()), &args.args)
    }
}

fn text_of(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            s.clone()
        }
        other => other.to_string(),
    }
}

fn json_of(value: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    if value.is_null() {
        return J::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => J::Bool(*b),
        ScalarValue::Int8(Some(v)) => J::from(*v),
        ScalarValue::Int16(Some(v)) => J::from(*v),
        ScalarValue::Int32(Some(v)) => J::from(*v),
        ScalarValue::Int64(Some(v)) => J::from(*v),
        ScalarValue::UInt8(Some(v)) => J::from(*v),
        ScalarValue::UInt16(Some(v)) => J::from(*v),
        ScalarValue::UInt32(Some(v)) => J::from(*v),
        ScalarValue::UInt64(Some(v)) => J::from(*v),
        ScalarValue::Float32(Some(v)) => {
            serde_json::Number::from_f64(f64::from(*v)).map_or(J::Null, J::Number)
        }
        ScalarValue::Float64(Some(v)) => serde_json::Number::from_f64(*v).map_or(J::Null, J::Number),
        other => J::String(text_of(other)),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    #[test]
    fn built_in_types_resolve_by_any_name() {
        assert_eq!(super::type_oid("int4"), Some(23));
        assert_eq!(super::type_oid("integer"), Some(23));
        assert_eq!(super::type_oid("character varying"), Some(1043));
        assert_eq!(super::type_oid("text[]"), Some(1009));
        assert_eq!(super::type_oid("pg_catalog.timestamptz"), Some(1184));
        assert_eq!(super::type_oid("hstore"), None);
    }

    #[tokio::test]
    async fn json_build_object_builds_objects() {
        let ctx = SessionContext::new();
        ctx.register_udf(super::json_build_object());
        let batches = ctx
            .sql("SELECT json_build_object('a', 1, 'b', 'x', 'c', NULL, 'd', true) AS j")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let column = batches[0].column(0);
        let value = datafusion::common::ScalarValue::try_from_array(column, 0).unwrap();
        assert_eq!(value.to_string(), r#"{"a":1,"b":"x","c":null,"d":true}"#);
    }
}

/// `format_type(oid, typmod)`: datafusion-pg-catalog's, which spells the common types
/// with their modifiers (`numeric(10,2)`, `character varying(20)`), completed for the
/// types it does not know — pseudo-types (`anyarray`, `internal`, `record`), the oid
/// aliases, vectors and their arrays — by the name PostgreSQL's own `format_type` gives
/// them; `???` for an oid that is no type, as there; a numeric's scale even when 0.
pub fn format_type(inner: ScalarUDF) -> ScalarUDF {
    ScalarUDF::new_from_impl(FormatType { signature: inner.signature().clone(), inner })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FormatType {
    inner: ScalarUDF,
    signature: Signature,
}

impl ScalarUDFImpl for FormatType {
    fn name(&self) -> &str {
        "format_type"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let oids =
            datafusion::arrow::compute::cast(&args.args[0].to_array(args.number_rows)?, &DataType::Int64)?;
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let named = self.inner.invoke_with_args(args)?.to_array(oids.len())?;
        let named = datafusion::arrow::compute::cast(&named, &DataType::Utf8)?;
        let (Some(named), Some(oids)) = (
            named.as_any().downcast_ref::<datafusion::arrow::array::StringArray>(),
            oids.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>(),
        ) else {
            return exec_err!("format_type: unexpected argument types");
        };
        let mut out = StringBuilder::with_capacity(named.len(), named.len() * 8);
        for i in 0..named.len() {
            match (named.is_null(i), oids.is_null(i)) {
                (true, _) | (_, true) => out.append_null(),
                // numeric_typmodout writes the scale even when it is 0: numeric(20,0)
                _ if named.value(i).starts_with("numeric(") && !named.value(i).contains(',') => {
                    out.append_value(format!("{},0)", named.value(i).trim_end_matches(')')))
                }
                _ if !named.value(i).starts_with("oid(") => out.append_value(named.value(i)),
                _ => out.append_value(builtin_type_name(oids.value(i))),
            }
        }
        let array: ArrayRef = Arc::new(out.finish());
        if scalar && array.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?));
        }
        Ok(ColumnarValue::Array(array))
    }
}

/// A built-in type's name as `format_type` gives it without a modifier.
fn builtin_type_name(oid: i64) -> String {
    use postgres_types::{Kind, Type};
    let Some(ty) = u32::try_from(oid).ok().and_then(Type::from_oid) else { return "???".to_owned() };
    match ty.kind() {
        Kind::Array(element) => format!("{}[]", builtin_type_name(i64::from(element.oid()))),
        _ => match ty.name() {
            "bool" => "boolean",
            "int2" => "smallint",
            "int4" => "integer",
            "int8" => "bigint",
            "float4" => "real",
            "float8" => "double precision",
            "varchar" => "character varying",
            "bpchar" => "character",
            "timestamp" => "timestamp without time zone",
            "timestamptz" => "timestamp with time zone",
            "time" => "time without time zone",
            "timetz" => "time with time zone",
            "varbit" => "bit varying",
            "char" => "\"char\"",
            other => other,
        }
        .to_owned(),
    }
}
