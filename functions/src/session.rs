//! Per-session functions: values that belong to one connection.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// Looks up a session parameter by name.
pub type SettingLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A zero-argument function returning `value` (for example `session_user()`).
pub fn constant(name: &str, value: ScalarValue) -> ScalarUDF {
    let data_type = value.data_type();
    create_udf(
        name,
        vec![],
        data_type,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(value.clone()))),
    )
}

/// `version()`: PostgreSQL's version string form, which drivers and BI tools parse.
pub fn version(server_version: &str) -> ScalarUDF {
    let text = format!(
        "PostgreSQL {server_version} on {}-{}, compiled by rustc",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    constant("version", ScalarValue::Utf8(Some(text)))
}

/// `pg_get_userbyid(oid)`: catalog objects belong to the gateway's superuser.
pub fn object_owner(owner: &str) -> ScalarUDF {
    let owner = ScalarValue::Utf8(Some(owner.to_owned()));
    create_udf(
        "pg_get_userbyid",
        vec![DataType::Int32],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(owner.clone()))),
    )
}

/// `current_schemas(include_implicit boolean)`: the effective search path.
pub fn current_schemas(search_path: Vec<String>) -> ScalarUDF {
    let func = move |args: &[ColumnarValue]| {
        let implicit = match args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Boolean(b))) => b.unwrap_or(false),
            Some(ColumnarValue::Array(a)) => {
                let values = a.as_any().downcast_ref::<datafusion::arrow::array::BooleanArray>();
                values.is_some_and(|v| !v.is_empty() && v.value(0))
            }
            _ => false,
        };
        let mut schemas: Vec<&str> = Vec::new();
        if implicit {
            schemas.push("pg_catalog");
        }
        schemas.extend(search_path.iter().map(String::as_str));
        let list = ScalarValue::List(ScalarValue::new_list_nullable(
            &schemas.iter().map(|s| ScalarValue::Utf8(Some((*s).to_owned()))).collect::<Vec<_>>(),
            &DataType::Utf8,
        ));
        Ok(ColumnarValue::Scalar(list))
    };
    create_udf(
        "current_schemas",
        vec![DataType::Boolean],
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Volatility::Stable,
        Arc::new(func),
    )
}

/// `current_setting(name text [, missing_ok boolean])`.
pub fn current_setting(lookup: SettingLookup) -> ScalarUDF {
    let func = move |args: &[ColumnarValue]| {
        let missing_ok = matches!(args.get(1), Some(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true)))));
        let lookup_one = |name: Option<&str>| -> datafusion::error::Result<Option<String>> {
            let Some(name) = name else { return Ok(None) };
            match lookup(name) {
                Some(v) => Ok(Some(v)),
                None if missing_ok => Ok(None),
                None => exec_err!("unrecognized configuration parameter \"{name}\""),
            }
        };
        match &args[0] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(name) | ScalarValue::LargeUtf8(name) | ScalarValue::Utf8View(name),
            ) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(lookup_one(name.as_deref())?))),
            ColumnarValue::Array(array) => {
                let array = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
                let names = array.as_any().downcast_ref::<StringArray>();
                let mut out = StringBuilder::new();
                if let Some(names) = names {
                    for i in 0..names.len() {
                        let name = (!names.is_null(i)).then(|| names.value(i));
                        out.append_option(lookup_one(name)?);
                    }
                }
                Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
            }
            other => exec_err!("current_setting expects a text argument, got {}", other.data_type()),
        }
    };

    create_udf("current_setting", vec![DataType::Utf8], DataType::Utf8, Volatility::Stable, Arc::new(func))
}
