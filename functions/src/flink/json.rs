//! JSON_VALUE and JSON_QUERY with a JSON path (`$`, `.key`, `['key']`, `[index]`).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ScalarUDF, Volatility};
use serde_json::Value;

use super::row::{RowFn, arity, is_text, text, utf8};

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        RowFn::udf("json_value", Volatility::Immutable, DataType::Utf8, coerce, json_value),
        RowFn::udf("json_query", Volatility::Immutable, DataType::Utf8, coerce, json_query),
    ]
}

fn coerce(args: &[DataType]) -> Result<Vec<DataType>> {
    arity("json_value/json_query", args, &[2])?;
    if !args.iter().all(is_text) {
        return plan_err!(
            "Failed to coerce arguments: JSON_VALUE and JSON_QUERY take a JSON string and a path"
        );
    }
    Ok(vec![DataType::Utf8; 2])
}

enum Step {
    Key(String),
    Index(usize),
}

/// Parses `$.a.b[0]['c d']`; `None` for a path outside this subset.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(r[..end].to_owned()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            if let Some(key) = inner.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')) {
                steps.push(Step::Key(key.to_owned()));
            } else {
                steps.push(Step::Index(inner.parse().ok()?));
            }
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

fn select(args: &[ScalarValue]) -> Option<Value> {
    let document: Value = serde_json::from_str(text(&args[0])?).ok()?;
    let mut current = &document;
    for step in parse_path(text(&args[1])?)? {
        current = match step {
            Step::Key(k) => current.get(&k)?,
            Step::Index(i) => current.get(i)?,
        };
    }
    Some(current.clone())
}

/// JSON_VALUE: a scalar at the path as a string; NULL for objects, arrays, null, or
/// when the path finds nothing.
fn json_value(args: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(utf8(match select(args) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }))
}

/// JSON_QUERY: the object or array at the path, as JSON text; NULL otherwise.
fn json_query(args: &[ScalarValue]) -> Result<ScalarValue> {
    Ok(utf8(match select(args) {
        Some(v @ (Value::Object(_) | Value::Array(_))) => Some(v.to_string()),
        _ => None,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::eval;

    #[tokio::test]
    async fn json_functions_read_paths() {
        let doc = r#"'{"a": {"b": [1, {"c": "x"}], "n": 2.5, "t": true}}'"#;
        assert_eq!(eval(&format!("json_value({doc}, '$.a.b[1].c')")).await, ("x".into(), "Utf8".into()));
        assert_eq!(eval(&format!("json_value({doc}, '$.a.n')")).await.0, "2.5");
        assert_eq!(eval(&format!("json_value({doc}, '$.a.t')")).await.0, "true");
        assert_eq!(eval(&format!("json_value({doc}, '$.a.b')")).await.0, "NULL");
        assert_eq!(eval(&format!("json_value({doc}, '$.missing')")).await.0, "NULL");
        assert_eq!(eval(&format!("json_query({doc}, '$.a.b')")).await.0, r#"[1,{"c":"x"}]"#);
        assert_eq!(eval(&format!("json_query({doc}, '$[''a''].n')")).await.0, "NULL");
        assert_eq!(eval("json_value('not json', '$.a')").await.0, "NULL");
    }
}
