//! String functions: SPLIT_INDEX, REGEXP_EXTRACT, REGEXP_REPLACE (all matches, as in
//! Flink), HASH_CODE. (CONCAT_WS, LPAD, RPAD and UUID are DataFusion's, with the same
//! semantics as Flink's.)

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ScalarUDF, Volatility};
use regex::Regex;

use super::row::{RowFn, arity, int, is_integer, is_text, text, utf8};

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        RowFn::udf("split_index", Volatility::Immutable, DataType::Utf8, coerce_split_index, split_index),
        RowFn::udf(
            "regexp_extract",
            Volatility::Immutable,
            DataType::Utf8,
            coerce_regexp_extract,
            regexp_extract,
        ),
        RowFn::udf(
            "regexp_replace",
            Volatility::Immutable,
            DataType::Utf8,
            coerce_three_texts,
            regexp_replace,
        ),
        RowFn::udf("hash_code", Volatility::Immutable, DataType::Int32, coerce_one_text, hash_code),
    ]
}

fn coerce_one_text(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("hash_code", args, &[1])?;
    Ok(vec![DataType::Utf8])
}

fn coerce_three_texts(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("regexp_replace", args, &[3])?;
    if !args.iter().all(is_text) {
        return plan_err!("Failed to coerce arguments: REGEXP_REPLACE takes three strings");
    }
    Ok(vec![DataType::Utf8; 3])
}

fn coerce_split_index(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("split_index", args, &[3])?;
    if !is_integer(&args[2]) {
        return plan_err!("Failed to coerce arguments: SPLIT_INDEX takes a string, a separator and an index");
    }
    Ok(vec![DataType::Utf8, DataType::Utf8, DataType::Int64])
}

fn coerce_regexp_extract(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("regexp_extract", args, &[2, 3])?;
    let mut out = vec![DataType::Utf8, DataType::Utf8];
    if args.len() == 3 {
        if !is_integer(&args[2]) {
            return plan_err!("Failed to coerce arguments: REGEXP_EXTRACT takes a group index");
        }
        out.push(DataType::Int64);
    }
    Ok(out)
}

fn regex(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).or_else(|e| exec_err!("invalid regular expression '{pattern}': {e}"))
}

/// SPLIT_INDEX(str, sep, index): the index-th (from 0) part, or NULL.
fn split_index(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(sep), Some(i)) = (text(&args[0]), text(&args[1]), int(&args[2])) else {
        return Ok(utf8(None));
    };
    if i < 0 || sep.is_empty() {
        return Ok(utf8(None));
    }
    Ok(utf8(s.split(sep).nth(i as usize).map(str::to_owned)))
}

/// REGEXP_EXTRACT(str, regex [, group]): group `group` (default 1; 0 = whole match) of
/// the first match, or NULL.
fn regexp_extract(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pattern)) = (text(&args[0]), text(&args[1])) else {
        return Ok(utf8(None));
    };
    let group = match args.get(2) {
        Some(v) => match int(v) {
            Some(g) => g,
            None => return Ok(utf8(None)),
        },
        None => 1,
    };
    let re = regex(pattern)?;
    if group < 0 || group as usize > re.captures_len() - 1 {
        return exec_err!(
            "REGEXP_EXTRACT: group {group} exceeds the {} groups of '{pattern}'",
            re.captures_len() - 1
        );
    }
    Ok(utf8(re.captures(s).and_then(|c| c.get(group as usize)).map(|m| m.as_str().to_owned())))
}

/// REGEXP_REPLACE(str, regex, replacement): every match replaced (`$1` for groups).
fn regexp_replace(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pattern), Some(replacement)) = (text(&args[0]), text(&args[1]), text(&args[2])) else {
        return Ok(utf8(None));
    };
    Ok(utf8(Some(regex(pattern)?.replace_all(s, replacement).into_owned())))
}

/// HASH_CODE(str): Java's String.hashCode().
fn hash_code(args: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(ScalarValue::Int32(text(&args[0]).map(java_hash)))
}

/// `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping like Java's int.
pub fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(unit as i32))
}

#[cfg(test)]
mod tests {
    use super::super::testing::eval;

    #[tokio::test]
    async fn string_functions_behave_as_in_flink() {
        assert_eq!(eval("split_index('Jack,John,Mary', ',', 2)").await, ("Mary".into(), "Utf8".into()));
        assert_eq!(eval("split_index('Jack,John,Mary', ',', 3)").await.0, "NULL");
        assert_eq!(eval("regexp_extract('foothebar', 'foo(.*?)(bar)', 2)").await.0, "bar");
        assert_eq!(eval("regexp_extract('foothebar', 'foo(.*?)(bar)')").await.0, "the");
        assert_eq!(eval("regexp_extract('foothebar', 'x(y)')").await.0, "NULL");
        assert_eq!(eval("regexp_replace('foobarbar', 'bar', 'x')").await.0, "fooxx");
        assert_eq!(
            eval("regexp_replace('2026-01-02', '(\\d+)-(\\d+)-(\\d+)', '$3/$2/$1')").await.0,
            "02/01/2026"
        );
        assert_eq!(eval("hash_code('hello')").await, ("99162322".into(), "Int32".into()));
        assert_eq!(eval("hash_code('')").await.0, "0");
        // DataFusion's own, with Flink's semantics
        assert_eq!(eval("concat_ws('~', 'AA', NULL, 'BB', '', 'CC')").await.0, "AA~BB~~CC");
        assert_eq!(eval("lpad('hi', 4, '??')").await.0, "??hi");
        assert_eq!(eval("lpad('hi', 1, '??')").await.0, "h");
        assert_eq!(eval("rpad('hi', 4, '??')").await.0, "hi??");
        assert_eq!(eval("length(uuid())").await.0, "36");
    }

    #[test]
    fn java_hash_matches_java() {
        assert_eq!(super::java_hash("Sluice"), -1_815_417_873);
        assert_eq!(super::java_hash("é"), 233);
    }
}
