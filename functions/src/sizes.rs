//! PostgreSQL's object size functions, which psql's `\dt+` and BI tools' table lists call.
//!
//! Sluice stores no table data: the gateway's tables are computed and a source's tables
//! live at the source, so `pg_table_size`, `pg_relation_size`, `pg_total_relation_size`
//! and `pg_indexes_size` answer NULL (size unknown), which `pg_size_pretty` passes on.
//! `pg_size_pretty(bigint)` itself is PostgreSQL's: bytes below 10 kB, then the largest
//! unit (kB … PB, powers of 1024) that keeps the figure under 20480 units, rounded half
//! away from zero (PostgreSQL 15's `dbsize.c` units table).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use super::pg_info::fixed;

/// The size functions, all NULL, and `pg_size_pretty`.
pub fn functions() -> Vec<ScalarUDF> {
    let unknown = ScalarValue::Int64(None);
    vec![
        fixed("pg_table_size", &[1], unknown.clone(), Volatility::Stable),
        fixed("pg_relation_size", &[1, 2], unknown.clone(), Volatility::Stable),
        fixed("pg_total_relation_size", &[1], unknown.clone(), Volatility::Stable),
        fixed("pg_indexes_size", &[1], unknown, Volatility::Stable),
        ScalarUDF::new_from_impl(SizePretty {
            signature: Signature::one_of(
                vec![TypeSignature::Coercible(vec![datafusion::logical_expr::Coercion::new_exact(
                    datafusion::logical_expr::TypeSignatureClass::Integer,
                )])],
                Volatility::Immutable,
            ),
        }),
    ]
}

/// `size` bytes as PostgreSQL's `pg_size_pretty` writes them.
pub fn size_pretty(size: i64) -> String {
    // (name, limit below which the unit is used, rounds by half, bits from bytes)
    const UNITS: [(&str, u64, bool, u32); 6] = [
        ("bytes", 10 * 1024, false, 0),
        ("kB", 20 * 1024 - 1, true, 10),
        ("MB", 20 * 1024 - 1, true, 20),
        ("GB", 20 * 1024 - 1, true, 30),
        ("TB", 20 * 1024 - 1, true, 40),
        ("PB", 20 * 1024 - 1, true, 50),
    ];
    let mut size = size;
    for (i, (name, limit, round, bits)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1);
        if next.is_none() || size.unsigned_abs() < *limit {
            if *round {
                size = (size + if size < 0 { -1 } else { 1 }) / 2;
            }
            return format!("{size} {name}");
        }
        if let Some((_, _, next_round, next_bits)) = next {
            let shift = next_bits - bits - u32::from(*next_round) + u32::from(*round);
            size /= 1i64 << shift;
        }
    }
    format!("{size} PB")
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SizePretty {
    signature: Signature,
}

impl ScalarUDFImpl for SizePretty {
    fn name(&self) -> &str {
        "pg_size_pretty"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let sizes = cast(&arrays[0], &DataType::Int64)?;
        let sizes = sizes.as_primitive::<Int64Type>();
        let pretty: StringArray =
            (0..sizes.len()).map(|i| (!sizes.is_null(i)).then(|| size_pretty(sizes.value(i)))).collect();
        crate::columnar(Arc::new(pretty), &args.args)
    }
}

#[cfg(test)]
mod tests {
    use super::size_pretty;

    #[test]
    fn sizes_read_as_postgresql_writes_them() {
        // PostgreSQL 16: SELECT pg_size_pretty(n::bigint)
        let cases = [
            (0, "0 bytes"),
            (10239, "10239 bytes"),
            (10240, "10 kB"),
            (1_000_000, "977 kB"),
            (20_970_496, "20 MB"),
            (-10240, "-10 kB"),
            (1 << 40, "1024 GB"),
            (i64::MAX, "8192 PB"),
        ];
        for (size, pretty) in cases {
            assert_eq!(size_pretty(size), pretty, "{size}");
        }
    }
}
