//! Option lists (`WITH (key = value, …)`) of arbitrary keys and values, written as a user
//! would quote them, in every statement that takes one: each parses to exactly the keys
//! (in lower case) and values written, a key given twice is refused, the statement prints
//! back to itself, and durations read as their values in milliseconds.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sluice_sql::ast::options::{OptionValue, SqlOption};
use sluice_sql::{GatewayStatement, Statement, parse};

#[derive(Arbitrary, Debug)]
enum Value {
    Text(String),
    Int(i64),
    Decimal(u32, u16),
    Bool(bool),
    Secret(String),
    Duration(u32, u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    statement: u8,
    options: Vec<(String, Value)>,
}

const UNITS: &[(&str, u64)] = &[("", 1), ("ms", 1), ("s", 1_000), ("min", 60_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

fn quoted(text: &str, quote: char) -> String {
    let doubled = text.replace(quote, &format!("{quote}{quote}"));
    format!("{quote}{doubled}{quote}")
}

/// The value as written in SQL, and as the parser must read it.
fn written(value: &Value) -> Option<(String, OptionValue)> {
    Some(match value {
        Value::Text(t) => (quoted(t, '\''), OptionValue::String(t.clone())),
        Value::Int(n) => (n.to_string(), OptionValue::Number(n.to_string())),
        Value::Decimal(a, b) => (format!("{a}.{b}"), OptionValue::Number(format!("{a}.{b}"))),
        Value::Bool(b) => (b.to_string(), OptionValue::Bool(*b)),
        Value::Secret(name) => {
            if name.is_empty() || name.contains('\0') {
                return None; // PostgreSQL has no empty or NUL identifier either
            }
            // quoted, the name keeps its case
            (format!("SECRET {}", quoted(name, '"')), OptionValue::Secret(sluice_sql::Ident::new(name.clone())))
        }
        Value::Duration(n, unit) => {
            let (suffix, _) = UNITS[*unit as usize % UNITS.len()];
            let text = format!("{n}{suffix}");
            (quoted(&text, '\''), OptionValue::String(text))
        }
    })
}

fn statement(kind: u8, list: &str) -> String {
    match kind % 6 {
        0 => format!("CREATE SOURCE s TYPE postgres WITH {list}"),
        1 => format!("ALTER SOURCE s SET {list}"),
        2 => format!("CREATE TABLE s.t (a INT) WITH {list}"),
        3 => format!("CREATE TARGET t TYPE flink WITH {list}"),
        4 => format!("CREATE PIPELINE p WITH {list} AS INSERT INTO a.b SELECT * FROM c.d"),
        _ => format!("CREATE SYNC DATABASE y FROM a DATABASE b TO c DATABASE d WITH {list}"),
    }
}

fuzz_target!(|input: Input| {
    let mut expected: Vec<SqlOption> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    for (key, value) in &input.options {
        if key.contains('\0') {
            return;
        }
        let Some((text, parsed)) = written(value) else { return };
        parts.push(format!("{} = {text}", quoted(key, '\'')));
        expected.push(SqlOption { key: key.to_lowercase(), value: parsed });
        if let Value::Duration(n, unit) = value {
            let (suffix, factor) = UNITS[*unit as usize % UNITS.len()];
            let millis = sluice_sql::units::parse_millis(&format!("{n}{suffix}"));
            assert_eq!(millis, u64::from(*n).checked_mul(factor), "{n}{suffix}");
        }
    }
    let list = format!("({})", parts.join(", "));
    let sql = statement(input.statement, &list);
    let twice = (1..expected.len()).any(|i| expected[..i].iter().any(|o| o.key == expected[i].key));
    let parsed = parse(&sql);
    if twice {
        let e = parsed.expect_err(&sql);
        assert!(e.to_string().contains("specified more than once"), "{sql}: {e}");
        return;
    }
    let mut parsed = parsed.unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(parsed.len(), 1, "{sql}");
    let Statement::Gateway(g) = parsed.remove(0).statement else { panic!("{sql}: not a gateway statement") };
    assert_eq!(options(&g), Some(&expected[..]), "{sql}");
    let shown = g.to_string();
    let again = parse(&shown).unwrap_or_else(|e| panic!("{shown} (from {sql}): {e}"));
    assert!(matches!(&again[0].statement, Statement::Gateway(back) if *back == g), "{shown} (from {sql})");
});

fn options(g: &GatewayStatement) -> Option<&[SqlOption]> {
    use sluice_sql::ast::source::AlterSourceOperation;
    match g {
        GatewayStatement::CreateSource(s) => Some(&s.options),
        GatewayStatement::AlterSource(s) => match &s.operation {
            AlterSourceOperation::Set(o) => Some(o),
            _ => None,
        },
        GatewayStatement::CreateTable(t) => Some(&t.options),
        GatewayStatement::CreateTarget(t) => Some(&t.options),
        GatewayStatement::CreatePipeline(p) => Some(&p.options),
        GatewayStatement::CreateSync(s) => Some(&s.options),
        _ => None,
    }
}
