//! Date and time functions: DATE_FORMAT, TO_TIMESTAMP, TO_DATE, FROM_UNIXTIME,
//! UNIX_TIMESTAMP, LOCALTIMESTAMP, TIMESTAMPDIFF, TIMESTAMPADD, DATE_ADD, DATE_SUB.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::pattern::java_to_chrono;
use super::row::{RowFn, arity, int, is_integer, is_text, text, utf8};

/// The call the gateway rewrites `TIMESTAMPDIFF(unit, a, b)` into (unit as a string).
pub const TIMESTAMPDIFF: &str = "sluice_timestampdiff";
/// The call the gateway rewrites `TIMESTAMPADD(unit, n, ts)` into.
pub const TIMESTAMPADD: &str = "sluice_timestampadd";

const DEFAULT_TIMESTAMP: &str = "yyyy-MM-dd HH:mm:ss";
const DEFAULT_DATE: &str = "yyyy-MM-dd";

fn ts3() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, None)
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        RowFn::udf("date_format", Volatility::Immutable, DataType::Utf8, coerce_time_and_format, date_format),
        RowFn::udf("to_timestamp", Volatility::Immutable, ts3(), coerce_text_and_format, to_timestamp),
        RowFn::udf("to_date", Volatility::Immutable, DataType::Date32, coerce_text_and_format, to_date),
        RowFn::udf(
            "from_unixtime",
            Volatility::Immutable,
            DataType::Utf8,
            coerce_number_and_format,
            from_unixtime,
        ),
        RowFn::udf(
            "unix_timestamp",
            Volatility::Volatile,
            DataType::Int64,
            coerce_optional_text_and_format,
            unix_timestamp,
        ),
        RowFn::udf("localtimestamp", Volatility::Volatile, ts3(), coerce_none, |_| {
            Ok(ScalarValue::TimestampMillisecond(
                Some(Utc::now().naive_utc().and_utc().timestamp_millis()),
                None,
            ))
        }),
        RowFn::udf(
            TIMESTAMPDIFF,
            Volatility::Immutable,
            DataType::Int32,
            coerce_unit_and_two_times,
            timestampdiff,
        ),
        RowFn::udf(TIMESTAMPADD, Volatility::Immutable, ts3(), coerce_unit_int_time, timestampadd),
        RowFn::udf("date_add", Volatility::Immutable, DataType::Date32, coerce_date_and_days, |a| {
            shift_days(a, 1)
        }),
        RowFn::udf("date_sub", Volatility::Immutable, DataType::Date32, coerce_date_and_days, |a| {
            shift_days(a, -1)
        }),
    ]
}

fn coerce_none(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("localtimestamp", args, &[0])?;
    Ok(vec![])
}

/// (timestamp | date | string [, format])
fn coerce_time_and_format(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("date_format", args, &[1, 2])?;
    let first = if is_text(&args[0]) { DataType::Utf8 } else { ts3() };
    let mut out = vec![first];
    if args.len() == 2 {
        if !is_text(&args[1]) {
            return plan_err!(
                "Failed to coerce arguments to satisfy a call to 'date_format': the format is a string"
            );
        }
        out.push(DataType::Utf8);
    }
    Ok(out)
}

/// (string [, format])
fn coerce_text_and_format(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("to_timestamp/to_date", args, &[1, 2])?;
    if !args.iter().all(is_text) {
        return plan_err!(
            "Failed to coerce arguments: TO_TIMESTAMP and TO_DATE take a string and a format string"
        );
    }
    Ok(vec![DataType::Utf8; args.len()])
}

/// ([string [, format]])
fn coerce_optional_text_and_format(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("unix_timestamp", args, &[0, 1, 2])?;
    if !args.iter().all(is_text) {
        return plan_err!("Failed to coerce arguments: UNIX_TIMESTAMP takes a string and a format string");
    }
    Ok(vec![DataType::Utf8; args.len()])
}

/// (seconds [, format])
fn coerce_number_and_format(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("from_unixtime", args, &[1, 2])?;
    if !(args[0].is_numeric() || args[0] == DataType::Null) || (args.len() == 2 && !is_text(&args[1])) {
        return plan_err!("Failed to coerce arguments: FROM_UNIXTIME takes seconds and a format string");
    }
    let mut out = vec![DataType::Int64];
    if args.len() == 2 {
        out.push(DataType::Utf8);
    }
    Ok(out)
}

fn coerce_unit_and_two_times(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("timestampdiff", args, &[3])?;
    Ok(vec![DataType::Utf8, ts3(), ts3()])
}

fn coerce_unit_int_time(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("timestampadd", args, &[3])?;
    if !is_integer(&args[1]) {
        return plan_err!("Failed to coerce arguments: TIMESTAMPADD takes an integer interval");
    }
    Ok(vec![DataType::Utf8, DataType::Int64, ts3()])
}

fn coerce_date_and_days(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("date_add/date_sub", args, &[2])?;
    if !is_integer(&args[1]) {
        return plan_err!("Failed to coerce arguments: DATE_ADD and DATE_SUB take a number of days");
    }
    let first = if is_text(&args[0]) { DataType::Utf8 } else { DataType::Date32 };
    Ok(vec![first, DataType::Int64])
}

fn format_of(args: &[ScalarValue], i: usize, default: &str) -> Result<Option<String>> {
    let pattern = match args.get(i) {
        Some(v) => match text(v) {
            Some(p) => p,
            None => return Ok(None),
        },
        None => default,
    };
    java_to_chrono(pattern).map(Some).or_else(|e| exec_err!("invalid date pattern '{pattern}': {e}"))
}

/// A timestamp argument (Flink parses a string as `yyyy-MM-dd HH:mm:ss[.SSS]`).
fn naive(v: &ScalarValue) -> Option<NaiveDateTime> {
    match v {
        ScalarValue::TimestampMillisecond(Some(ms), _) => {
            DateTime::from_timestamp_millis(*ms).map(|d| d.naive_utc())
        }
        other => text(other).and_then(parse_default),
    }
}

fn parse_default(s: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
        .or_else(|| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)))
}

/// Parses `s` with a chrono format that may lack a date or a time.
fn parse_with(s: &str, format: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, format)
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, format).ok().map(|d| d.and_time(NaiveTime::MIN)))
}

fn millis(t: NaiveDateTime) -> ScalarValue {
    ScalarValue::TimestampMillisecond(Some(t.and_utc().timestamp_millis()), None)
}

fn days(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some((d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32))
}

/// DATE_FORMAT(timestamp, format) → string
fn date_format(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(t), Some(format)) = (naive(&args[0]), format_of(args, 1, DEFAULT_TIMESTAMP)?) else {
        return Ok(utf8(None));
    };
    Ok(utf8(Some(t.format(&format).to_string())))
}

/// TO_TIMESTAMP(string [, format]) → TIMESTAMP(3); NULL when it does not parse.
fn to_timestamp(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(format)) = (text(&args[0]), format_of(args, 1, DEFAULT_TIMESTAMP)?) else {
        return Ok(ScalarValue::TimestampMillisecond(None, None));
    };
    Ok(parse_with(s, &format).map(millis).unwrap_or(ScalarValue::TimestampMillisecond(None, None)))
}

/// TO_DATE(string [, format]) → DATE; NULL when it does not parse.
fn to_date(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(format)) = (text(&args[0]), format_of(args, 1, DEFAULT_DATE)?) else {
        return Ok(ScalarValue::Date32(None));
    };
    Ok(parse_with(s, &format).map(|t| days(t.date())).unwrap_or(ScalarValue::Date32(None)))
}

/// FROM_UNIXTIME(seconds [, format]) → string
fn from_unixtime(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(seconds), Some(format)) = (int(&args[0]), format_of(args, 1, DEFAULT_TIMESTAMP)?) else {
        return Ok(utf8(None));
    };
    Ok(utf8(DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc().format(&format).to_string())))
}

/// UNIX_TIMESTAMP() → now in seconds; UNIX_TIMESTAMP(string [, format]) → its seconds
/// (NULL… Flink returns Long.MIN_VALUE for unparsable input; NULL is kept for NULL).
fn unix_timestamp(args: &[ScalarValue]) -> Result<ScalarValue> {
    if args.is_empty() {
        return Ok(ScalarValue::Int64(Some(Utc::now().timestamp())));
    }
    let (Some(s), Some(format)) = (text(&args[0]), format_of(args, 1, DEFAULT_TIMESTAMP)?) else {
        return Ok(ScalarValue::Int64(None));
    };
    Ok(ScalarValue::Int64(Some(parse_with(s, &format).map(|t| t.and_utc().timestamp()).unwrap_or(i64::MIN))))
}

/// TIMESTAMPDIFF(unit, a, b): whole units from a to b, as Flink counts them.
fn timestampdiff(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(unit), Some(a), Some(b)) = (text(&args[0]), naive(&args[1]), naive(&args[2])) else {
        return Ok(ScalarValue::Int32(None));
    };
    let delta = b - a;
    let months = || {
        let m = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
        // a partial month does not count
        let whole = if m > 0 && (b.day(), b.time()) < (a.day(), a.time()) {
            m - 1
        } else if m < 0 && (b.day(), b.time()) > (a.day(), a.time()) {
            m + 1
        } else {
            m
        };
        whole as i64
    };
    let n = match unit.to_ascii_uppercase().as_str() {
        "SECOND" => delta.num_seconds(),
        "MINUTE" => delta.num_minutes(),
        "HOUR" => delta.num_hours(),
        "DAY" => delta.num_days(),
        "WEEK" => delta.num_weeks(),
        "MONTH" => months(),
        "QUARTER" => months() / 3,
        "YEAR" => months() / 12,
        other => return exec_err!("TIMESTAMPDIFF: unknown unit {other}"),
    };
    Ok(ScalarValue::Int32(i32::try_from(n).ok()))
}

/// TIMESTAMPADD(unit, n, ts)
fn timestampadd(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(unit), Some(n), Some(t)) = (text(&args[0]), int(&args[1]), naive(&args[2])) else {
        return Ok(ScalarValue::TimestampMillisecond(None, None));
    };
    let shifted = match unit.to_ascii_uppercase().as_str() {
        "SECOND" => t.checked_add_signed(Duration::seconds(n)),
        "MINUTE" => t.checked_add_signed(Duration::minutes(n)),
        "HOUR" => t.checked_add_signed(Duration::hours(n)),
        "DAY" => t.checked_add_signed(Duration::days(n)),
        "WEEK" => t.checked_add_signed(Duration::weeks(n)),
        "MONTH" | "QUARTER" | "YEAR" => {
            let months = n * match unit.to_ascii_uppercase().as_str() {
                "MONTH" => 1,
                "QUARTER" => 3,
                _ => 12,
            };
            let m = Months::new(months.unsigned_abs() as u32);
            if months >= 0 { t.checked_add_months(m) } else { t.checked_sub_months(m) }
        }
        other => return exec_err!("TIMESTAMPADD: unknown unit {other}"),
    };
    Ok(shifted.map(millis).unwrap_or(ScalarValue::TimestampMillisecond(None, None)))
}

/// DATE_ADD / DATE_SUB(date | 'yyyy-MM-dd', days)
fn shift_days(args: &[ScalarValue], sign: i64) -> Result<ScalarValue> {
    let date = match &args[0] {
        ScalarValue::Date32(Some(d)) => {
            NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|e| e.checked_add_signed(Duration::days(*d as i64)))
        }
        other => text(other).and_then(parse_default).map(|t| t.date()),
    };
    let (Some(date), Some(n)) = (date, int(&args[1])) else {
        return Ok(ScalarValue::Date32(None));
    };
    Ok(date.checked_add_signed(Duration::days(sign * n)).map(days).unwrap_or(ScalarValue::Date32(None)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{error, eval};

    #[tokio::test]
    async fn formats_and_parses_with_java_patterns() {
        assert_eq!(
            eval("date_format(TIMESTAMP '2026-03-04 05:06:07.089', 'yyyy/MM/dd HH:mm:ss.SSS')").await,
            ("2026/03/04 05:06:07.089".into(), "Utf8".into())
        );
        assert_eq!(eval("date_format('2026-03-04 05:06:07', 'yyyyMMdd')").await.0, "20260304");
        assert_eq!(
            eval("to_timestamp('2026-03-04 05:06:07')").await,
            ("2026-03-04T05:06:07".into(), "Timestamp(ms)".into())
        );
        assert_eq!(eval("to_timestamp('04/03/2026', 'dd/MM/yyyy')").await.0, "2026-03-04T00:00:00");
        assert_eq!(eval("to_timestamp('not a time')").await.0, "NULL");
        assert_eq!(eval("to_date('2026-03-04')").await, ("2026-03-04".into(), "Date32".into()));
        assert_eq!(eval("to_date('20260304', 'yyyyMMdd')").await.0, "2026-03-04");
        assert_eq!(eval("from_unixtime(0)").await, ("1970-01-01 00:00:00".into(), "Utf8".into()));
        assert_eq!(eval("from_unixtime(86400, 'yyyy-MM-dd')").await.0, "1970-01-02");
        assert_eq!(eval("unix_timestamp('1970-01-01 00:01:40')").await, ("100".into(), "Int64".into()));
        assert_eq!(eval("unix_timestamp('1970/01/01', 'yyyy/MM/dd')").await.0, "0");
        assert_eq!(eval("unix_timestamp() > 1700000000").await.0, "true");
        assert_eq!(eval("localtimestamp() IS NOT NULL").await.0, "true");
        assert!(error("date_format(1, 2, 3)").await.contains("date_format"));
    }

    #[tokio::test]
    async fn differences_and_shifts_count_whole_units() {
        let diff = |unit: &str, a: &str, b: &str| {
            format!("sluice_timestampdiff('{unit}', TIMESTAMP '{a}', TIMESTAMP '{b}')")
        };
        assert_eq!(
            eval(&diff("DAY", "2026-01-01 10:00:00", "2026-01-03 09:59:59")).await,
            ("1".into(), "Int32".into())
        );
        assert_eq!(eval(&diff("MONTH", "2026-01-31 00:00:00", "2026-02-28 00:00:00")).await.0, "0");
        assert_eq!(eval(&diff("MONTH", "2026-01-15 00:00:00", "2026-03-15 00:00:00")).await.0, "2");
        assert_eq!(eval(&diff("YEAR", "2024-06-01 00:00:00", "2026-05-31 00:00:00")).await.0, "1");
        assert_eq!(eval(&diff("HOUR", "2026-01-02 00:00:00", "2026-01-01 00:00:00")).await.0, "-24");
        assert_eq!(
            eval("sluice_timestampadd('MONTH', 1, TIMESTAMP '2026-01-31 08:00:00')").await.0,
            "2026-02-28T08:00:00"
        );
        assert_eq!(
            eval("sluice_timestampadd('MINUTE', -90, TIMESTAMP '2026-01-01 00:00:00')").await.0,
            "2025-12-31T22:30:00"
        );
        assert_eq!(eval("date_add(DATE '2026-02-27', 3)").await, ("2026-03-02".into(), "Date32".into()));
        assert_eq!(eval("date_sub('2026-03-01', 1)").await.0, "2026-02-28");
    }
}
