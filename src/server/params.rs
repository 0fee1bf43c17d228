//! Session parameters: what clients SET, SHOW and RESET (the known parameters are listed
//! in [`crate::parameters`]). Parameters PostgreSQL reports
//! to the client (`GUC_REPORT`) are sent back as ParameterStatus when they change. Custom
//! parameters with a dot in the name (`myapp.tenant`) are accepted as PostgreSQL does.

use std::collections::BTreeMap;

use crate::error::{Result, SluiceError};
use crate::parameters::{PARAMS, ParamDef, lookup};
use crate::units::parse_millis;
use crate::version::server_version;

/// One session's parameter values (defaults are not stored).
#[derive(Debug, Clone, Default)]
pub struct SessionParams {
    set: BTreeMap<String, String>,
}

/// The result of a SET: which reported parameter changed, for ParameterStatus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub name: &'static str,
    pub value: String,
}

impl SessionParams {
    /// Current value of `name` (canonical or any case); `None` if unknown.
    pub fn get(&self, name: &str) -> Option<String> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.set.get(&key) {
            return Some(v.clone());
        }
        match lookup(name) {
            Some(p) if p.name == "server_version" => Some(server_version()),
            Some(p) => Some(p.default.to_owned()),
            None => None,
        }
    }

    /// Sets a read-only parameter from the server side (is_superuser, session_authorization).
    pub fn set_internal(&mut self, name: &str, value: impl Into<String>) {
        self.set.insert(name.to_ascii_lowercase(), value.into());
    }

    /// `SET name = value`; validates and normalises the value. Returns the ParameterStatus
    /// to send, if the parameter is reported.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<Reported>> {
        let Some(def) = lookup(name) else {
            if name.contains('.') {
                self.set.insert(name.to_ascii_lowercase(), value.to_owned());
                return Ok(None);
            }
            return Err(SluiceError::UnknownParameter(name.to_owned()));
        };
        if def.read_only {
            return Err(SluiceError::InvalidValue {
                name: def.name.to_owned(),
                message: format!("parameter \"{}\" cannot be changed", def.name),
                hint: None,
            });
        }
        let value = normalise(def, value)?;
        self.set.insert(def.name.to_ascii_lowercase(), value.clone());
        Ok(def.reported.then_some(Reported { name: def.name, value }))
    }

    /// `RESET name`.
    pub fn reset(&mut self, name: &str) -> Result<Option<Reported>> {
        let key = name.to_ascii_lowercase();
        match lookup(name) {
            Some(def) if def.read_only => Err(SluiceError::InvalidValue {
                name: def.name.to_owned(),
                message: format!("parameter \"{}\" cannot be changed", def.name),
                hint: None,
            }),
            Some(def) => {
                self.set.remove(&key);
                Ok(def.reported.then(|| Reported { name: def.name, value: def.default.to_owned() }))
            }
            None if name.contains('.') => {
                self.set.remove(&key);
                Ok(None)
            }
            None => Err(SluiceError::UnknownParameter(name.to_owned())),
        }
    }

    /// `RESET ALL`: every settable parameter back to its default.
    pub fn reset_all(&mut self) -> Vec<Reported> {
        let mut changed = Vec::new();
        for def in PARAMS.iter().filter(|p| !p.read_only) {
            if self.set.remove(&def.name.to_ascii_lowercase()).is_some() && def.reported {
                changed.push(Reported { name: def.name, value: def.default.to_owned() });
            }
        }
        self.set.retain(|k, _| !k.contains('.'));
        changed
    }

    /// `(name, setting, description)` of every known parameter, for SHOW ALL.
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<_> = PARAMS
            .iter()
            .map(|p| (p.name.to_owned(), self.get(p.name).unwrap_or_default(), p.description.to_owned()))
            .collect();
        rows.extend(
            self.set
                .iter()
                .filter(|(k, _)| k.contains('.'))
                .map(|(k, v)| (k.clone(), v.clone(), String::new())),
        );
        rows.sort_by_key(|(name, _, _)| name.to_ascii_lowercase());
        rows
    }

    /// The schemas of `search_path`, in order, with `"$user"` resolved to `user`.
    pub fn search_path(&self, user: &str) -> Vec<String> {
        let path = self.get("search_path").unwrap_or_default();
        path.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let unquoted = s.strip_prefix('"').and_then(|s| s.strip_suffix('"'));
                match unquoted {
                    Some("$user") => user.to_owned(),
                    Some(q) => q.to_owned(),
                    None => s.to_lowercase(),
                }
            })
            .collect()
    }
}

fn invalid(def: &ParamDef, value: &str, hint: Option<&str>) -> SluiceError {
    SluiceError::InvalidValue {
        name: def.name.to_owned(),
        message: format!("invalid value for parameter \"{}\": \"{value}\"", def.name),
        hint: hint.map(str::to_owned),
    }
}

/// Validates a value the way PostgreSQL would and returns the form SHOW prints.
fn normalise(def: &ParamDef, value: &str) -> Result<String> {
    let v = value.trim();
    match def.name {
        "client_encoding" => {
            let upper = v.to_ascii_uppercase().replace(['-', '_'], "");
            if upper == "UTF8" || upper == "UNICODE" {
                Ok("UTF8".to_owned())
            } else {
                Err(invalid(def, value, Some("Sluice speaks UTF8 only.")))
            }
        }
        "DateStyle" => normalise_datestyle(v).ok_or_else(|| invalid(def, value, None)),
        "IntervalStyle" => match v.to_ascii_lowercase().as_str() {
            s @ ("postgres" | "postgres_verbose" | "sql_standard" | "iso_8601") => Ok(s.to_owned()),
            _ => Err(invalid(def, value, None)),
        },
        "extra_float_digits" => match v.parse::<i8>() {
            Ok(n) if (-15..=3).contains(&n) => Ok(n.to_string()),
            _ => Err(invalid(def, value, Some("extra_float_digits is an integer from -15 to 3."))),
        },
        "bytea_output" => match v.to_ascii_lowercase().as_str() {
            s @ ("hex" | "escape") => Ok(s.to_owned()),
            _ => Err(invalid(def, value, None)),
        },
        "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
            parse_millis(v).map(|ms| ms.to_string()).ok_or_else(|| invalid(def, value, None))
        }
        "TimeZone" => normalise_timezone(v).ok_or_else(|| invalid(def, value, None)),
        "default_transaction_isolation" | "transaction_isolation" => match v.to_ascii_lowercase().as_str() {
            s @ ("read committed" | "read uncommitted" | "repeatable read" | "serializable") => {
                Ok(s.to_owned())
            }
            _ => Err(invalid(def, value, None)),
        },
        "default_transaction_read_only" | "transaction_read_only" => parse_bool(v)
            .map(|b| if b { "on" } else { "off" }.to_owned())
            .ok_or_else(|| invalid(def, value, None)),
        _ => Ok(v.to_owned()),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "t" => Some(true),
        "off" | "false" | "no" | "0" | "f" => Some(false),
        _ => None,
    }
}

fn normalise_datestyle(v: &str) -> Option<String> {
    let mut output = "ISO";
    let mut order = "MDY";
    for part in v.split(',').map(|p| p.trim().to_ascii_uppercase()) {
        match part.as_str() {
            "ISO" => output = "ISO",
            "SQL" => output = "SQL",
            "POSTGRES" => output = "Postgres",
            "GERMAN" => output = "German",
            "MDY" | "US" | "NONEURO" | "NONEUROPEAN" => order = "MDY",
            "DMY" | "EURO" | "EUROPEAN" => order = "DMY",
            "YMD" => order = "YMD",
            "" => {}
            _ => return None,
        }
    }
    Some(format!("{output}, {order}"))
}

fn normalise_timezone(v: &str) -> Option<String> {
    if v.eq_ignore_ascii_case("utc") || v.eq_ignore_ascii_case("gmt") || v.eq_ignore_ascii_case("z") {
        return Some("UTC".to_owned());
    }
    // Offsets such as +08:00 / -5, or IANA names such as Asia/Shanghai.
    let looks_like_offset =
        v.starts_with(['+', '-']) && v[1..].chars().all(|c| c.is_ascii_digit() || c == ':');
    let looks_like_name =
        !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    (looks_like_offset || looks_like_name).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_show_reset() {
        let mut p = SessionParams::default();
        assert_eq!(p.get("datestyle").as_deref(), Some("ISO, MDY"));
        let reported = p.set("DATESTYLE", "german, dmy").expect("valid");
        assert_eq!(reported, Some(Reported { name: "DateStyle", value: "German, DMY".into() }));
        assert_eq!(p.get("DateStyle").as_deref(), Some("German, DMY"));
        p.reset("datestyle").expect("known");
        assert_eq!(p.get("DateStyle").as_deref(), Some("ISO, MDY"));
    }

    #[test]
    fn bad_values_and_names_are_rejected() {
        let mut p = SessionParams::default();
        assert!(matches!(p.set("no_such_thing", "1"), Err(SluiceError::UnknownParameter(_))));
        assert!(p.set("extra_float_digits", "9").is_err());
        assert!(p.set("client_encoding", "LATIN1").is_err());
        assert!(p.set("server_version", "1").is_err());
        assert!(p.set("myapp.tenant", "7").is_ok());
        assert_eq!(p.get("MYAPP.TENANT").as_deref(), Some("7"));
    }

    #[test]
    fn search_path_resolves_user() {
        let p = SessionParams::default();
        assert_eq!(p.search_path("alice"), ["alice", "public"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_millis("30s"), Some(30_000));
        assert_eq!(parse_millis("250"), Some(250));
        assert_eq!(parse_millis("2 min"), Some(120_000));
        assert_eq!(parse_millis("x"), None);
    }
}
