//! Writing HOCON, the syntax of SeaTunnel job configs: `key = value` lines in `{ }`
//! blocks. Strings are always quoted (JSON escapes), keys only when they must be.

use std::fmt::Write;

/// The entries of a block, in order.
pub type Entries = Vec<(String, Hocon)>;

/// A HOCON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Hocon {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Hocon>),
    Object(Vec<(String, Hocon)>),
}

impl Hocon {
    pub fn str(s: impl Into<String>) -> Hocon {
        Hocon::Str(s.into())
    }

    /// A number if `s` is one, else a string (option values are kept as text).
    pub fn scalar(s: &str) -> Hocon {
        match (s.parse::<i64>(), s) {
            (Ok(n), _) if !(s.starts_with('+') || (s.starts_with('0') && s.len() > 1)) => Hocon::Int(n),
            (_, "true") => Hocon::Bool(true),
            (_, "false") => Hocon::Bool(false),
            _ => Hocon::Str(s.to_owned()),
        }
    }
}

/// A block `name { … }` of a config: `env`, `source`, a plugin …
pub fn block(out: &mut String, indent: usize, name: &str, entries: &[(String, Hocon)]) {
    let pad = "  ".repeat(indent);
    let _ = writeln!(out, "{pad}{} {{", key(name));
    for (k, v) in entries {
        entry(out, indent + 1, k, v);
    }
    let _ = writeln!(out, "{pad}}}");
}

fn entry(out: &mut String, indent: usize, k: &str, v: &Hocon) {
    let pad = "  ".repeat(indent);
    match v {
        Hocon::Object(entries) => {
            let _ = writeln!(out, "{pad}{} = {{", key(k));
            for (k, v) in entries {
                entry(out, indent + 1, k, v);
            }
            let _ = writeln!(out, "{pad}}}");
        }
        other => {
            let _ = writeln!(out, "{pad}{} = {}", key(k), value(other));
        }
    }
}

fn value(v: &Hocon) -> String {
    match v {
        Hocon::Str(s) => string(s),
        Hocon::Int(n) => n.to_string(),
        Hocon::Bool(b) => b.to_string(),
        Hocon::List(items) => format!("[{}]", items.iter().map(value).collect::<Vec<_>>().join(", ")),
        Hocon::Object(entries) => {
            let inner: Vec<String> =
                entries.iter().map(|(k, v)| format!("{} = {}", key(k), value(v))).collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

/// A quoted string: `"…"` with `"`, `\` and control characters escaped.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when it is letters, digits, `_`, `-` and `.` (dots are paths, as SeaTunnel
/// writes `job.mode`), quoted otherwise.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !k.starts_with('.')
        && !k.ends_with('.')
        && !k.contains("..");
    if bare { k.to_owned() } else { string(k) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_keys_quoted_when_needed() {
        let mut out = String::new();
        block(
            &mut out,
            0,
            "Jdbc",
            &[
                ("password".into(), Hocon::str("a\"b\\c${x}")),
                ("job.mode".into(), Hocon::str("BATCH")),
                ("odd key".into(), Hocon::Int(3)),
                ("list".into(), Hocon::List(vec![Hocon::str("a"), Hocon::Int(1)])),
            ],
        );
        assert_eq!(
            out,
            "Jdbc {\n  password = \"a\\\"b\\\\c${x}\"\n  job.mode = \"BATCH\"\n  \"odd key\" = 3\n  list = [\"a\", 1]\n}\n"
        );
        assert_eq!(Hocon::scalar("0700"), Hocon::str("0700"));
        assert_eq!(Hocon::scalar("42"), Hocon::Int(42));
    }
}
