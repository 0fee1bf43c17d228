//! Scalar functions computed row by row on `ScalarValue`s: simple to get right, and fast
//! enough for type checks and previews of bounded samples.

use std::fmt;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Maps argument types to the types the function wants (or refuses them).
pub type Coerce = fn(&[DataType]) -> Result<Vec<DataType>>;
/// Computes one row.
pub type Eval = fn(&[ScalarValue]) -> Result<ScalarValue>;

/// A row-wise function.
pub struct RowFn {
    name: &'static str,
    signature: Signature,
    returns: DataType,
    coerce: Coerce,
    eval: Eval,
}

impl RowFn {
    pub fn udf(
        name: &'static str,
        volatility: Volatility,
        returns: DataType,
        coerce: Coerce,
        eval: Eval,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(RowFn {
            name,
            signature: Signature::user_defined(volatility),
            returns,
            coerce,
            eval,
        })
    }
}

impl fmt::Debug for RowFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowFn").field("name", &self.name).finish()
    }
}

impl PartialEq for RowFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RowFn {}

impl std::hash::Hash for RowFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for RowFn {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        (self.coerce)(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let mut out = Vec::with_capacity(rows);
        let mut row_args = Vec::with_capacity(args.args.len());
        for i in 0..rows {
            row_args.clear();
            for a in &args.args {
                row_args.push(match a {
                    ColumnarValue::Scalar(s) => s.clone(),
                    ColumnarValue::Array(array) => ScalarValue::try_from_array(array, i)?,
                });
            }
            let value = (self.eval)(&row_args)?;
            out.push(if value.is_null() { ScalarValue::try_from(&self.returns)? } else { value });
        }
        if all_scalar {
            return Ok(ColumnarValue::Scalar(out.pop().unwrap_or(ScalarValue::try_from(&self.returns)?)));
        }
        if out.is_empty() {
            return Ok(ColumnarValue::Array(datafusion::arrow::array::new_empty_array(&self.returns)));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

/// Argument-count check shared by the coercions.
pub fn arity(name: &str, args: &[DataType], allowed: &[usize]) -> Result<()> {
    if allowed.contains(&args.len()) {
        Ok(())
    } else {
        let counts: Vec<String> = allowed.iter().map(|n| n.to_string()).collect();
        plan_err!(
            "Failed to coerce arguments to satisfy a call to '{name}': it takes {} arguments, not {}",
            counts.join(" or "),
            args.len()
        )
    }
}

/// Whether `t` is a string type.
pub fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null)
}

/// Whether `t` is an integer type.
pub fn is_integer(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Null)
}

/// A string argument, or `None` when NULL.
pub fn text(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.as_deref(),
        _ => None,
    }
}

/// An integer argument, or `None` when NULL.
pub fn int(v: &ScalarValue) -> Option<i64> {
    match v.cast_to(&DataType::Int64) {
        Ok(ScalarValue::Int64(n)) => n,
        _ => None,
    }
}

/// A text result.
pub fn utf8(s: Option<String>) -> ScalarValue {
    ScalarValue::Utf8(s)
}
