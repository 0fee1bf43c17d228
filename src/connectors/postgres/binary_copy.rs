//! Arrow batches in PostgreSQL's binary COPY format, for the local target's PostgreSQL
//! sink: values go as the server stores them, so neither side formats or parses text.
//!
//! The format (PostgreSQL 16 documentation, "COPY — Binary Format"): a signature
//! `PGCOPY\n\377\r\n\0`, a 32-bit flags word and a 32-bit header-extension length; then
//! per row a 16-bit field count and per field a 32-bit length (-1 for NULL) and the
//! value in the type's binary send format; then a 16-bit -1. The send formats used here
//! are the server's `*send` functions': big-endian integers and IEEE floats, `numeric`
//! as base-10000 digits (`numeric_send`), dates as days and timestamps and times as
//! microseconds from 2000-01-01 (`date_send`, `timestamp_send`), `jsonb` as a version
//! byte 1 and the text, `uuid` as its 16 bytes, text types as their UTF-8 bytes.
//!
//! A column is encoded in binary only when the value PostgreSQL stores is the same as
//! from the text path's formatting (see [`Field::plan`]); a table with any other
//! column is copied as text, as before.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimeUnit,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// The binary COPY signature, flags and header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end-of-data marker.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Microseconds and days from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i32 = 10_957;

/// How one column's values are sent, by the sink column's type (its `pg_type` oid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Json,
    Jsonb,
    Bytea,
    Date,
    Timestamp,
    Timestamptz,
    Time,
    Uuid,
}

impl Field {
    /// The field of a sink column of type `oid` (PostgreSQL's fixed oids, `pg_type.dat`).
    fn of_oid(oid: u32) -> Option<Field> {
        Some(match oid {
            16 => Field::Bool,
            21 => Field::Int2,
            23 => Field::Int4,
            20 => Field::Int8,
            700 => Field::Float4,
            701 => Field::Float8,
            1700 => Field::Numeric,
            25 | 1043 | 1042 | 19 => Field::Text,
            114 => Field::Json,
            3802 => Field::Jsonb,
            17 => Field::Bytea,
            1082 => Field::Date,
            1114 => Field::Timestamp,
            1184 => Field::Timestamptz,
            1083 => Field::Time,
            2950 => Field::Uuid,
            _ => return None,
        })
    }

    /// The Arrow type this field's values are read as, when values of `from` arrive there
    /// exactly as the text path would have them stored; `None` sends the table as text.
    fn plan(self, from: &DataType) -> Option<Column> {
        use DataType as T;
        let integer = from.is_integer();
        let string = matches!(from, T::Utf8 | T::LargeUtf8 | T::Utf8View);
        let plan = |as_type: DataType| Some(Column::Cast(as_type));
        match self {
            Field::Bool if *from == T::Boolean => plan(T::Boolean),
            Field::Int2 if integer => plan(T::Int16),
            Field::Int4 if integer => plan(T::Int32),
            Field::Int8 if integer => plan(T::Int64),
            Field::Float4 if matches!(from, T::Float16 | T::Float32) => plan(T::Float32),
            Field::Float8 if integer || matches!(from, T::Float64) => plan(T::Float64),
            Field::Numeric => match from {
                T::Decimal128(_, scale) if *scale >= 0 => plan(from.clone()),
                _ if integer => plan(T::Decimal128(38, 0)),
                _ => None,
            },
            Field::Text | Field::Json | Field::Jsonb if string => plan(T::Utf8),
            Field::Text
                if !matches!(from, T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_)) =>
            {
                Some(Column::Formatted)
            }
            Field::Bytea if matches!(from, T::Binary | T::LargeBinary | T::BinaryView) => plan(T::Binary),
            Field::Date if matches!(from, T::Date32 | T::Date64) => plan(T::Date32),
            Field::Timestamp if matches!(from, T::Timestamp(_, None)) => Some(Column::Micros),
            Field::Timestamptz if matches!(from, T::Timestamp(_, Some(_))) => Some(Column::Micros),
            Field::Time if matches!(from, T::Time32(_) | T::Time64(_)) => Some(Column::Micros),
            Field::Uuid if string => plan(T::Utf8),
            Field::Uuid if *from == T::FixedSizeBinary(16) => Some(Column::AsIs),
            _ => None,
        }
    }
}

/// How a column's Arrow array becomes the field's values.
#[derive(Debug, Clone)]
enum Column {
    /// Cast (overflow is an error) to this type, then sent.
    Cast(DataType),
    /// Formatted as the text path formats it (a text column fed another type).
    Formatted,
    /// Timestamps and times as microseconds (nanoseconds rounded half to even, as
    /// PostgreSQL rounds text input).
    Micros,
    /// Sent as it is.
    AsIs,
}

/// A table's encoder: its columns' fields and how each is read.
#[derive(Debug, Clone)]
pub struct Encoder {
    columns: Vec<(Field, Column)>,
}

impl Encoder {
    /// The encoder of batches with `schema`'s types into columns of types `oids`; `None`
    /// when some column is not sent in binary.
    pub fn new(oids: &[u32], types: &[DataType]) -> Option<Encoder> {
        if oids.len() != types.len() {
            return None;
        }
        let columns = oids
            .iter()
            .zip(types)
            .map(|(oid, from)| {
                let field = Field::of_oid(*oid)?;
                Some((field, field.plan(from)?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Encoder { columns })
    }

    /// Appends `batch`'s rows to `out` (which starts with [`HEADER`]); an error names
    /// the column whose value does not fit (an integer too large for its column, a
    /// malformed uuid).
    pub fn encode(&self, batch: &RecordBatch, names: &[String], out: &mut Vec<u8>) -> Result<(), String> {
        let arrays = self
            .columns
            .iter()
            .zip(batch.columns())
            .zip(names)
            .map(|(((field, how), array), name)| {
                Values::new(*field, how, array).map_err(|e| format!("column {name}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let count = (arrays.len() as i16).to_be_bytes();
        for row in 0..batch.num_rows() {
            out.extend_from_slice(&count);
            for (values, name) in arrays.iter().zip(names) {
                values.put(row, out).map_err(|e| format!("column {name}: {e}"))?;
            }
        }
        Ok(())
    }
}

/// One column's values, ready to send.
struct Values {
    field: Field,
    array: ArrayRef,
    /// For [`Column::Formatted`]: the values as text.
    text: Option<Vec<Option<String>>>,
}

impl Values {
    fn new(field: Field, how: &Column, array: &ArrayRef) -> Result<Values, String> {
        let strict = CastOptions { safe: false, ..Default::default() };
        let (array, text) = match how {
            Column::Cast(to) if array.data_type() == to => (array.clone(), None),
            Column::Cast(to) => (cast_with_options(array, to, &strict).map_err(|e| e.to_string())?, None),
            Column::AsIs => (array.clone(), None),
            Column::Micros => (micros(array)?, None),
            Column::Formatted => {
                let options = FormatOptions::default()
                    .with_timestamp_format(Some(crate::connectors::sink::TIMESTAMP))
                    .with_timestamp_tz_format(Some(crate::connectors::sink::TIMESTAMP_TZ));
                let f = ArrayFormatter::try_new(array.as_ref(), &options).map_err(|e| e.to_string())?;
                let text =
                    (0..array.len()).map(|r| (!array.is_null(r)).then(|| f.value(r).to_string())).collect();
                (array.clone(), Some(text))
            }
        };
        Ok(Values { field, array, text })
    }

    /// Appends value `row` (length and bytes, or -1 for NULL).
    fn put(&self, row: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let a = &self.array;
        if a.is_null(row) {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return Ok(());
        }
        if let Some(text) = &self.text {
            put_bytes(out, text[row].as_deref().unwrap_or_default().as_bytes());
            return Ok(());
        }
        match self.field {
            Field::Bool => put_bytes(out, &[a.as_boolean().value(row) as u8]),
            Field::Int2 => put_bytes(out, &a.as_primitive::<Int16Type>().value(row).to_be_bytes()),
            Field::Int4 => put_bytes(out, &a.as_primitive::<Int32Type>().value(row).to_be_bytes()),
            Field::Int8 => put_bytes(out, &a.as_primitive::<Int64Type>().value(row).to_be_bytes()),
            Field::Float4 => put_bytes(out, &a.as_primitive::<Float32Type>().value(row).to_be_bytes()),
            Field::Float8 => put_bytes(out, &a.as_primitive::<Float64Type>().value(row).to_be_bytes()),
            Field::Numeric => {
                let DataType::Decimal128(_, scale) = a.data_type() else {
                    return Err("not a decimal".into());
                };
                put_numeric(out, a.as_primitive::<Decimal128Type>().value(row), *scale as u16);
            }
            Field::Text | Field::Json => put_bytes(out, a.as_string::<i32>().value(row).as_bytes()),
            Field::Jsonb => {
                let text = a.as_string::<i32>().value(row).as_bytes();
                out.extend_from_slice(&(text.len() as i32 + 1).to_be_bytes());
                out.push(1);
                out.extend_from_slice(text);
            }
            Field::Bytea => put_bytes(out, a.as_binary::<i32>().value(row)),
            Field::Date => {
                let days = a.as_primitive::<Date32Type>().value(row) - PG_EPOCH_DAYS;
                put_bytes(out, &days.to_be_bytes())
            }
            Field::Timestamp | Field::Timestamptz => {
                let us = a.as_primitive::<Int64Type>().value(row) - PG_EPOCH_MICROS;
                put_bytes(out, &us.to_be_bytes())
            }
            Field::Time => put_bytes(out, &a.as_primitive::<Int64Type>().value(row).to_be_bytes()),
            Field::Uuid => match a.data_type() {
                DataType::FixedSizeBinary(16) => put_bytes(out, a.as_fixed_size_binary().value(row)),
                _ => {
                    let text = a.as_string::<i32>().value(row);
                    let bytes = parse_uuid(text)
                        .ok_or_else(|| format!("invalid input syntax for type uuid: \"{text}\""))?;
                    put_bytes(out, &bytes)
                }
            },
        }
        Ok(())
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Timestamps (from the Unix epoch) and times (from midnight) of any unit as Int64
/// microseconds.
fn micros(array: &ArrayRef) -> Result<ArrayRef, String> {
    use datafusion::arrow::array::Int64Array;
    let widened;
    let (array, unit) = match array.data_type() {
        DataType::Timestamp(unit, _) | DataType::Time64(unit) => (array, *unit),
        DataType::Time32(_) => {
            let to = DataType::Time64(TimeUnit::Microsecond);
            widened = cast_with_options(array, &to, &CastOptions::default()).map_err(|e| e.to_string())?;
            (&widened, TimeUnit::Microsecond)
        }
        other => return Err(format!("{other} is not a time")),
    };
    let as_i64 =
        cast_with_options(array, &DataType::Int64, &CastOptions::default()).map_err(|e| e.to_string())?;
    let values = as_i64.as_primitive::<Int64Type>();
    let scaled: Int64Array = match unit {
        TimeUnit::Second => values.unary(|v| v.saturating_mul(1_000_000)),
        TimeUnit::Millisecond => values.unary(|v| v.saturating_mul(1_000)),
        TimeUnit::Microsecond => values.clone(),
        TimeUnit::Nanosecond => values.unary(round_nanos),
    };
    Ok(std::sync::Arc::new(scaled))
}

/// Nanoseconds to microseconds, half to even (PostgreSQL rounds text input with rint).
fn round_nanos(ns: i64) -> i64 {
    let (q, r) = (ns.div_euclid(1000), ns.rem_euclid(1000));
    match r.cmp(&500) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// A decimal of `scale` in `numeric_send`'s layout: digit count, weight (of the first
/// base-10000 digit), sign, display scale, digits.
fn put_numeric(out: &mut Vec<u8>, value: i128, scale: u16) {
    let digits = value.unsigned_abs().to_string();
    let scale_len = scale as usize;
    let padded = if digits.len() <= scale_len {
        format!("{}{digits}", "0".repeat(scale_len + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale_len);
    let int = format!("{}{int}", "0".repeat((4 - int.len() % 4) % 4));
    let frac = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
    let mut groups: Vec<i16> = int
        .as_bytes()
        .chunks(4)
        .chain(frac.as_bytes().chunks(4))
        .map(|g| g.iter().fold(0i16, |n, d| n * 10 + (d - b'0') as i16))
        .collect();
    let mut weight = (int.len() / 4) as i16 - 1;
    let leading = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..leading);
    weight -= leading as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let sign: u16 = if value < 0 && !groups.is_empty() { 0x4000 } else { 0 };
    let len = 8 + 2 * groups.len();
    out.extend_from_slice(&(len as i32).to_be_bytes());
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&scale.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
}

/// A uuid's 16 bytes from PostgreSQL's accepted spellings: hex digits in groups with or
/// without hyphens, optionally in braces.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
    let hex: Vec<u8> = inner.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || inner.starts_with('-') || inner.ends_with('-') || inner.contains("--") {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(value: i128, scale: u16) -> (i16, i16, u16, u16, Vec<i16>) {
        let mut out = Vec::new();
        put_numeric(&mut out, value, scale);
        let word = |i: usize| i16::from_be_bytes([out[4 + 2 * i], out[5 + 2 * i]]);
        let n = word(0);
        let digits = (0..n as usize).map(|i| word(4 + i)).collect();
        (n, word(1), word(2) as u16, word(3) as u16, digits)
    }

    /// The layouts PostgreSQL's `numeric_send` gives for the same values (checked
    /// against `SELECT numeric_send(x)` on PostgreSQL 16).
    #[test]
    fn numerics_are_laid_out_as_numeric_send_does() {
        assert_eq!(numeric(0, 2), (0, 0, 0, 2, vec![]));
        assert_eq!(numeric(5, 2), (1, -1, 0, 2, vec![500])); // 0.05
        assert_eq!(numeric(-123456, 2), (2, 0, 0x4000, 2, vec![1234, 5600])); // -1234.56
        assert_eq!(numeric(100000000, 0), (1, 2, 0, 0, vec![1])); // 100000000
        assert_eq!(numeric(1, 10), (1, -3, 0, 10, vec![100])); // 0.0000000001
        assert_eq!(numeric(-0, 3), (0, 0, 0, 3, vec![]));
        let max = 99_999_999_999_999_999_999_999_999_999_999_999_999i128;
        assert_eq!(numeric(max, 38).0, 10);
    }

    #[test]
    fn nanoseconds_round_half_to_even_and_uuids_parse() {
        assert_eq!(round_nanos(1_500), 2);
        assert_eq!(round_nanos(2_500), 2);
        assert_eq!(round_nanos(2_501), 3);
        assert_eq!(round_nanos(-1_500), -2);
        let u = parse_uuid("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}").expect("uuid");
        assert_eq!(u[0], 0xa0);
        assert_eq!(parse_uuid("a0eebc999c0b4ef8bb6d6bb9bd380a11"), Some(u));
        assert_eq!(parse_uuid("a0ee-bc99"), None);
    }
}
