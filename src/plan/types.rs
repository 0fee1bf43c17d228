//! Sluice's (Flink SQL's) column types as Arrow types, for checking pipeline bodies with
//! DataFusion, and the reverse for sink columns.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};

/// The Arrow type DataFusion plans a Flink SQL type as (`None`: not known).
pub fn arrow_type(flink: &str) -> Option<DataType> {
    let t = flink.trim().to_uppercase();
    let (base, args) = match t.find(['(', '<']) {
        Some(i) => (t[..i].trim(), &t[i..]),
        None => (t.as_str(), ""),
    };
    let numbers: Vec<u32> = args
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let precision = |default: u32| numbers.first().copied().unwrap_or(default);
    let time_unit = |p: u32| {
        if p <= 3 {
            TimeUnit::Millisecond
        } else if p <= 6 {
            TimeUnit::Microsecond
        } else {
            TimeUnit::Nanosecond
        }
    };
    Some(match base {
        "TINYINT" => DataType::Int8,
        "SMALLINT" => DataType::Int16,
        "INT" | "INTEGER" => DataType::Int32,
        "BIGINT" => DataType::Int64,
        "FLOAT" => DataType::Float32,
        "DOUBLE" => DataType::Float64,
        "DECIMAL" | "DEC" | "NUMERIC" => {
            let p = precision(10).clamp(1, 38);
            let s = numbers.get(1).copied().unwrap_or(0).min(p);
            DataType::Decimal128(p as u8, s as i8)
        }
        "BOOLEAN" => DataType::Boolean,
        "CHAR" | "VARCHAR" | "STRING" => DataType::Utf8,
        "BINARY" | "VARBINARY" | "BYTES" => DataType::Binary,
        "DATE" => DataType::Date32,
        "TIME" => DataType::Time64(TimeUnit::Microsecond),
        "TIMESTAMP" if t.contains("LOCAL TIME ZONE") => {
            DataType::Timestamp(time_unit(precision(6)), Some("UTC".into()))
        }
        "TIMESTAMP" => DataType::Timestamp(time_unit(precision(6)), None),
        "TIMESTAMP_LTZ" => DataType::Timestamp(time_unit(precision(6)), Some("UTC".into())),
        "ARRAY" => {
            let inner = t.strip_prefix("ARRAY<")?.strip_suffix('>')?;
            DataType::List(Arc::new(Field::new_list_field(arrow_type(inner)?, true)))
        }
        "MAP" | "ROW" | "MULTISET" | "RAW" | "INTERVAL" => DataType::Utf8,
        "COMPUTED" => return None,
        _ => return None,
    })
}

/// The Flink SQL type a query column of Arrow type `t` would be written as.
pub fn flink_type(t: &DataType) -> String {
    match t {
        DataType::Null => "NULL".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 | DataType::UInt8 => "SMALLINT".into(),
        DataType::Int32 | DataType::UInt16 => "INT".into(),
        DataType::Int64 | DataType::UInt32 => "BIGINT".into(),
        DataType::UInt64 => "DECIMAL(20, 0)".into(),
        DataType::Float16 | DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("DECIMAL({p}, {s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "STRING".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            "BYTES".into()
        }
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Time32(_) | DataType::Time64(_) => "TIME".into(),
        DataType::Timestamp(unit, tz) => {
            let p = match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            };
            if tz.is_some() { format!("TIMESTAMP_LTZ({p})") } else { format!("TIMESTAMP({p})") }
        }
        DataType::List(f) | DataType::LargeList(f) => format!("ARRAY<{}>", flink_type(f.data_type())),
        other => other.to_string().to_uppercase(),
    }
}

/// Whether a query column of type `from` may be written into a sink column of type `to`
/// (as Flink's implicit casts on INSERT allow: widening numbers, text into text,
/// timestamps of any precision).
pub fn assignable(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || matches!(from, Null) {
        return true;
    }
    let integer = |t: &DataType| matches!(t, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32);
    // DataFusion types integer literals as BIGINT where Flink keeps INT (`id * 2`), so any
    // integer is let into any integer column rather than refusing valid pipelines
    if integer(from) && integer(to) {
        return true;
    }
    let rank = |t: &DataType| match t {
        Int8 => Some(1),
        Int16 | UInt8 => Some(2),
        Int32 | UInt16 => Some(3),
        Int64 | UInt32 => Some(4),
        Decimal128(..) | Decimal256(..) | UInt64 => Some(5),
        Float32 => Some(6),
        Float64 => Some(7),
        _ => None,
    };
    match (from, to) {
        // live MySQL ENUM / SET columns arrive dictionary-encoded
        (Dictionary(_, values), to) => assignable(values, to),
        // MySQL's BOOLEAN is TINYINT(1), and live MySQL tables read it as such
        (Int8, Boolean) => true,
        (Utf8 | LargeUtf8 | Utf8View, Utf8 | LargeUtf8 | Utf8View) => true,
        // DataFusion widens decimals in arithmetic far more than Flink does, so precision
        // is not compared: Flink casts on write
        (Decimal128(..) | Decimal256(..), Decimal128(..) | Decimal256(..)) => true,
        (a, b) if rank(a).is_some() && rank(b).is_some() => {
            rank(a) <= rank(b) && !matches!(b, Decimal128(..) if matches!(a, Float32 | Float64))
        }
        (Timestamp(..), Timestamp(..)) => true,
        (Date32 | Date64, Date32 | Date64 | Timestamp(..)) => true,
        (Binary | LargeBinary | BinaryView | FixedSizeBinary(_), Binary | LargeBinary | BinaryView) => true,
        (List(a), List(b)) => assignable(a.data_type(), b.data_type()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_types_map_to_arrow_and_back() {
        for (flink, arrow) in [
            ("BIGINT", DataType::Int64),
            ("DECIMAL(10, 2)", DataType::Decimal128(10, 2)),
            ("VARCHAR(64)", DataType::Utf8),
            ("TIMESTAMP(3)", DataType::Timestamp(TimeUnit::Millisecond, None)),
            ("TIMESTAMP_LTZ(6)", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
            ("ARRAY<STRING>", DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))),
        ] {
            assert_eq!(arrow_type(flink), Some(arrow.clone()), "{flink}");
        }
        assert_eq!(flink_type(&DataType::Decimal128(10, 2)), "DECIMAL(10, 2)");
        assert_eq!(flink_type(&DataType::Timestamp(TimeUnit::Millisecond, None)), "TIMESTAMP(3)");
        assert_eq!(arrow_type("WIDGET"), None);
    }

    #[test]
    fn assignability_follows_implicit_casts() {
        use DataType::*;
        assert!(assignable(&Int32, &Int64));
        assert!(assignable(&Int64, &Int32), "integer literals are BIGINT in DataFusion");
        assert!(assignable(&Int64, &Decimal128(20, 0)));
        assert!(assignable(&Decimal128(10, 2), &Decimal128(12, 2)));
        assert!(assignable(&Decimal128(20, 2), &Decimal128(10, 2)), "DataFusion widens decimals");
        assert!(!assignable(&Utf8, &Int64));
        assert!(!assignable(&Float64, &Decimal128(10, 2)));
        assert!(assignable(&Timestamp(TimeUnit::Microsecond, None), &Timestamp(TimeUnit::Millisecond, None)));
        assert!(assignable(&Null, &Int32));
    }
}
