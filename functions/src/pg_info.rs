//! PostgreSQL's system information and array functions that tools' catalog queries call.
//!
//! Where Sluice has nothing to report the answer is the one PostgreSQL gives for such an
//! object: every type and function lives in `pg_catalog`, which is always on the search
//! path (so `pg_type_is_visible` is true), a session has no temporary schema
//! (`pg_my_temp_schema()` is 0), there are no views, indexes or user functions to
//! define, and no object has a comment.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, ListArray, ListBuilder, StringBuilder, new_null_array,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// A function of `arities` arguments of any type whose value is always `value`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Fixed {
    name: &'static str,
    signature: Signature,
    value: ScalarValue,
}

impl ScalarUDFImpl for Fixed {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.value.data_type())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

pub(crate) fn fixed(
    name: &'static str,
    arities: &[usize],
    value: ScalarValue,
    volatility: Volatility,
) -> ScalarUDF {
    let signatures = arities
        .iter()
        .map(|n| if *n == 0 { TypeSignature::Nullary } else { TypeSignature::Any(*n) })
        .collect();
    ScalarUDF::new_from_impl(Fixed { name, signature: Signature::one_of(signatures, volatility), value })
}

/// The functions with fixed answers.
pub fn fixed_answers() -> Vec<ScalarUDF> {
    let text_null = ScalarValue::Utf8(None);
    vec![
        // every type and function is in pg_catalog, always searched first
        fixed("pg_type_is_visible", &[1], ScalarValue::Boolean(Some(true)), Volatility::Stable),
        fixed("pg_function_is_visible", &[1], ScalarValue::Boolean(Some(true)), Volatility::Stable),
        fixed("pg_opclass_is_visible", &[1], ScalarValue::Boolean(Some(true)), Volatility::Stable),
        fixed("pg_operator_is_visible", &[1], ScalarValue::Boolean(Some(true)), Volatility::Stable),
        fixed("pg_conversion_is_visible", &[1], ScalarValue::Boolean(Some(true)), Volatility::Stable),
        // Sluice publishes nothing by logical replication
        fixed("pg_relation_is_publishable", &[1], ScalarValue::Boolean(Some(false)), Volatility::Stable),
        // no session has a temporary schema
        fixed("pg_my_temp_schema", &[0], ScalarValue::Int32(Some(0)), Volatility::Stable),
        fixed("pg_is_other_temp_schema", &[1], ScalarValue::Boolean(Some(false)), Volatility::Stable),
        // no views, rules, triggers or user functions: nothing to decompile
        fixed("pg_get_viewdef", &[1, 2], text_null.clone(), Volatility::Stable),
        fixed("pg_get_ruledef", &[1, 2], text_null.clone(), Volatility::Stable),
        fixed("pg_get_triggerdef", &[1, 2], text_null.clone(), Volatility::Stable),
        // no comments on databases or roles (those on tables and columns are the
        // catalog's: sluice_catalog::pg::functions)
        fixed("shobj_description", &[2], text_null, Volatility::Stable),
    ]
    .into_iter()
    .chain(super::sizes::functions())
    .collect()
}

/// `regexp_split_to_array(string, pattern [, flags])`: the pieces of `string` between
/// matches of `pattern` (flags `i`, `g` as in PostgreSQL; `g` is implied).
pub fn regexp_split_to_array() -> ScalarUDF {
    ScalarUDF::new_from_impl(RegexpSplit {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8, DataType::Utf8]),
            ],
            Volatility::Immutable,
        ),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RegexpSplit {
    signature: Signature,
}

impl ScalarUDFImpl for RegexpSplit {
    fn name(&self) -> &str {
        "regexp_split_to_array"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> =
            args.args.iter().map(|a| a.to_array(rows)).collect::<datafusion::error::Result<_>>()?;
        let text = |i: usize| arrays.get(i).map(|a| a.as_string::<i32>());
        let (Some(strings), Some(patterns)) = (text(0), text(1)) else {
            return exec_err!("regexp_split_to_array: text arguments expected");
        };
        let flags = text(2);
        let mut out = ListBuilder::new(StringBuilder::new());
        let mut compiled: Option<(String, regex::Regex)> = None;
        for row in 0..rows {
            if strings.is_null(row) || patterns.is_null(row) {
                out.append_null();
                continue;
            }
            let insensitive = flags.is_some_and(|f| !f.is_null(row) && f.value(row).contains('i'));
            let source = if insensitive {
                format!("(?i){}", patterns.value(row))
            } else {
                patterns.value(row).to_owned()
            };
            if compiled.as_ref().is_none_or(|(s, _)| *s != source) {
                // the regex crate's error, which the gateway reports as 2201B
                let re = regex::Regex::new(&source)
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
                compiled = Some((source, re));
            }
            if let Some((_, re)) = &compiled {
                for piece in re.split(strings.value(row)) {
                    out.values().append_value(piece);
                }
            }
            out.append(true);
        }
        crate::columnar(Arc::new(out.finish()), &args.args)
    }
}

/// The element type `information_schema._pg_expandarray` returns: `(x, n)`.
pub fn expandarray_fields(item: &DataType) -> Fields {
    Fields::from(vec![Field::new("x", item.clone(), true), Field::new("n", DataType::Int32, true)])
}

/// `pg_expandarray(array)`: the list of `(x, n)` — each element with its 1-based index —
/// that `information_schema._pg_expandarray` returns one row of at a time (Sluice writes
/// that set-returning call as `unnest(pg_expandarray(array))`).
pub fn pg_expandarray() -> ScalarUDF {
    ScalarUDF::new_from_impl(ExpandArray { signature: Signature::array(Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ExpandArray {
    signature: Signature,
}

impl ScalarUDFImpl for ExpandArray {
    fn name(&self) -> &str {
        "pg_expandarray"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> datafusion::error::Result<DataType> {
        let item = match args.first() {
            Some(DataType::List(f) | DataType::LargeList(f)) => f.data_type().clone(),
            Some(DataType::Null) => DataType::Null,
            other => return exec_err!("_pg_expandarray expects an array, not {other:?}"),
        };
        let fields = expandarray_fields(&item);
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Struct(fields), true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let input = args.args[0].to_array(args.number_rows)?;
        let out = match input.as_list_opt::<i32>() {
            Some(lists) => expand(lists)?,
            // NULL (untyped): NULL of the type return_type gave it
            None => new_null_array(&self.return_type(&[input.data_type().clone()])?, input.len()),
        };
        crate::columnar(out, &args.args)
    }
}

fn expand(lists: &ListArray) -> datafusion::error::Result<ArrayRef> {
    let item = lists.value_type();
    let fields = expandarray_fields(&item);
    // x is taken from the list's own values; n counts within each list.
    let mut n = Int32Builder::new();
    let mut offsets = vec![0i32];
    let mut indices = Vec::new();
    let mut nulls = Vec::with_capacity(lists.len());
    for row in 0..lists.len() {
        nulls.push(!lists.is_null(row));
        if !lists.is_null(row) {
            let (start, end) = (lists.value_offsets()[row], lists.value_offsets()[row + 1]);
            for (k, i) in (start..end).enumerate() {
                indices.push(i as u32);
                n.append_value(i32::try_from(k + 1).unwrap_or(i32::MAX));
            }
        }
        offsets.push(i32::try_from(indices.len()).unwrap_or(i32::MAX));
    }
    let take = datafusion::arrow::array::UInt32Array::from(indices);
    let x = datafusion::arrow::compute::take(lists.values().as_ref(), &take, None)?;
    let structs =
        datafusion::arrow::array::StructArray::try_new(fields.clone(), vec![x, Arc::new(n.finish())], None)?;
    let list = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Struct(fields), true)),
        datafusion::arrow::buffer::OffsetBuffer::new(offsets.into()),
        Arc::new(structs),
        Some(nulls.into()),
    )?;
    Ok(Arc::new(list))
}
