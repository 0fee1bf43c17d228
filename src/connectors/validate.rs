//! Checking `WITH (…)` options against a source type's schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{SourceType, closest};
use crate::error::{Result, SluiceError};
use crate::sql::ast::options::{OptionValue, SqlOption};

/// A stored option value: text (normalised) or a reference to a secret by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredValue {
    Text(String),
    Secret { secret: String },
}

/// A source's options after validation, without defaults, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedOptions(pub BTreeMap<String, StoredValue>);

impl ResolvedOptions {
    /// The names of the secrets these options refer to.
    pub fn secrets(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .values()
            .filter_map(|v| match v {
                StoredValue::Secret { secret } => Some(secret.clone()),
                StoredValue::Text(_) => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The text value of `key`, or its default in `t`.
    pub fn text<'a>(&'a self, t: &SourceType, key: &str) -> Option<&'a str> {
        match self.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v),
            Some(StoredValue::Secret { .. }) => None,
            None => t.option(key).and_then(|o| o.default),
        }
    }

    /// The options as SQL (`key = value`, secrets by name), for SHOW CREATE SOURCE.
    pub fn to_sql(&self, t: &SourceType) -> Vec<SqlOption> {
        self.to_sql_with(t.options)
    }

    /// [`ResolvedOptions::to_sql`] for any option schema.
    pub fn to_sql_with(&self, specs: &[super::OptionSpec]) -> Vec<SqlOption> {
        self.0
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    StoredValue::Secret { secret } => {
                        OptionValue::Secret(crate::sql::ast::Ident::new(secret.clone()))
                    }
                    StoredValue::Text(text) => {
                        match specs.iter().find(|o| o.name == key).map(|o| o.value_type) {
                            Some(super::ValueType::Int) => OptionValue::Number(text.clone()),
                            Some(super::ValueType::Bool) => OptionValue::Bool(text == "true"),
                            _ => OptionValue::String(text.clone()),
                        }
                    }
                };
                SqlOption { key: key.clone(), value }
            })
            .collect()
    }

    /// The options as JSON with secrets shown as `{"secret": name}` (never values).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// Options as the store keeps them ([`Self::to_json`]) for the `kind` called `name`
    /// — the one place stored options are decoded: JSON that does not read back is a
    /// corrupt catalog (an error naming the object), never empty options.
    pub fn from_stored(json: &str, kind: &'static str, name: &str) -> Result<ResolvedOptions> {
        SluiceError::stored_json(json, kind, name, "options").map(ResolvedOptions)
    }
}

fn option_error(message: String, hint: Option<String>) -> SluiceError {
    SluiceError::InvalidOption { message, hint }
}

/// What options are checked against: a source type's, or its tables'.
#[derive(Clone, Copy)]
pub struct Schema<'a> {
    /// For messages and hints: `source type mysql`, `tables of source type kafka`.
    pub owner: &'a str,
    /// The statement that lists the options, for hints.
    pub listing: &'a str,
    pub options: &'static [super::OptionSpec],
    pub passthrough: &'static [&'static str],
}

impl Schema<'_> {
    fn option(&self, name: &str) -> Option<&'static super::OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// Checks `options` against source type `t` and merges them over `base` (for ALTER …
/// SET; empty for CREATE). Required options are checked on the result.
pub fn validate(t: &SourceType, base: &ResolvedOptions, options: &[SqlOption]) -> Result<ResolvedOptions> {
    let owner = format!("source type {}", t.name);
    let listing = format!("DESCRIBE SOURCE TYPE {}", t.name);
    let schema = Schema { owner: &owner, listing: &listing, options: t.options, passthrough: t.passthrough };
    validate_with(schema, base, options)
}

/// [`validate`] against any option schema.
/// `base` with `keys` removed, checked against source type `t` (ALTER SOURCE … RESET).
pub fn reset(t: &SourceType, base: &ResolvedOptions, keys: &[String]) -> Result<ResolvedOptions> {
    let owner = format!("source type {}", t.name);
    let listing = format!("DESCRIBE SOURCE TYPE {}", t.name);
    let schema = Schema { owner: &owner, listing: &listing, options: t.options, passthrough: t.passthrough };
    reset_with(schema, base, keys)
}

/// `base` with `keys` removed (ALTER … RESET); a key `t` does not know is refused as
/// [`validate_with`] refuses it.
pub fn reset_with(t: Schema<'_>, base: &ResolvedOptions, keys: &[String]) -> Result<ResolvedOptions> {
    let mut resolved = base.clone();
    for key in keys {
        let known = t.option(key).is_some() || t.passthrough.iter().any(|p| key.starts_with(p));
        if !known {
            return Err(option_error(
                format!("unknown option \"{key}\" for {}", t.owner),
                Some(format!("{} lists the options.", t.listing)),
            ));
        }
        resolved.0.remove(key.as_str());
    }
    Ok(resolved)
}

pub fn validate_with(
    t: Schema<'_>,
    base: &ResolvedOptions,
    options: &[SqlOption],
) -> Result<ResolvedOptions> {
    let mut resolved = base.clone();
    for SqlOption { key, value } in options {
        let passthrough = t.passthrough.iter().any(|p| key.starts_with(p));
        let spec = t.option(key);
        let Some(spec) = spec.filter(|_| !passthrough) else {
            if passthrough {
                let stored = match value {
                    OptionValue::Secret(name) => StoredValue::Secret { secret: name.as_str().to_owned() },
                    OptionValue::String(s) | OptionValue::Number(s) => StoredValue::Text(s.clone()),
                    OptionValue::Bool(b) => StoredValue::Text(b.to_string()),
                };
                resolved.0.insert(key.clone(), stored);
                continue;
            }
            let known = t.options.iter().map(|o| o.name);
            let hint = closest(key, known)
                .map(|near| format!("Did you mean \"{near}\"? {} lists the options.", t.listing));
            return Err(option_error(
                format!("unknown option \"{key}\" for {}", t.owner),
                hint.or_else(|| Some(format!("{} lists the options.", t.listing))),
            ));
        };
        let stored = match value {
            OptionValue::Secret(name) if spec.secret => {
                StoredValue::Secret { secret: name.as_str().to_owned() }
            }
            OptionValue::Secret(_) => {
                return Err(option_error(
                    format!("option \"{key}\" of {} does not take a secret", t.owner),
                    None,
                ));
            }
            _ if spec.secret => {
                return Err(option_error(
                    format!("option \"{key}\" of {} must be given as SECRET name", t.owner),
                    Some(format!(
                        "Store the value first with CREATE SECRET, then write {key} = SECRET name."
                    )),
                ));
            }
            OptionValue::String(s) | OptionValue::Number(s) => {
                StoredValue::Text(spec.value_type.check_text(s).map_err(|m| {
                    option_error(format!("invalid value for option \"{key}\" of {}: {m}", t.owner), None)
                })?)
            }
            OptionValue::Bool(b) => {
                StoredValue::Text(spec.value_type.check_text(&b.to_string()).map_err(|m| {
                    option_error(format!("invalid value for option \"{key}\" of {}: {m}", t.owner), None)
                })?)
            }
        };
        resolved.0.insert(key.clone(), stored);
    }
    check_required_with(t, &resolved)?;
    Ok(resolved)
}

/// Errors if a required option of source type `t` is missing.
pub fn check_required(t: &SourceType, options: &ResolvedOptions) -> Result<()> {
    let owner = format!("source type {}", t.name);
    check_required_with(
        Schema { owner: &owner, listing: "", options: t.options, passthrough: t.passthrough },
        options,
    )
}

fn check_required_with(t: Schema<'_>, options: &ResolvedOptions) -> Result<()> {
    match t.options.iter().find(|o| o.required && !options.0.contains_key(o.name)) {
        Some(missing) => Err(option_error(
            format!("missing required option \"{}\" for {}", missing.name, t.owner),
            Some(missing.description.to_owned()),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::Ident;

    fn opt(key: &str, value: OptionValue) -> SqlOption {
        SqlOption { key: key.into(), value }
    }

    #[test]
    fn good_options_are_normalised_and_secrets_kept_by_name() {
        let mysql = &crate::connectors::mysql::MYSQL;
        let resolved = validate(
            mysql,
            &ResolvedOptions::default(),
            &[
                opt("host", OptionValue::String("db".into())),
                opt("port", OptionValue::String("3307".into())),
                opt("username", OptionValue::String("etl".into())),
                opt("password", OptionValue::Secret(Ident::new("pw"))),
                opt("ssl_mode", OptionValue::String("REQUIRED".into())),
            ],
        )
        .unwrap();
        assert_eq!(resolved.text(mysql, "port"), Some("3307"));
        assert_eq!(resolved.text(mysql, "ssl_mode"), Some("required"));
        assert_eq!(resolved.secrets(), ["pw"]);
        assert_eq!(
            resolved.to_json(),
            r#"{"host":"db","password":{"secret":"pw"},"port":"3307","ssl_mode":"required","username":"etl"}"#
        );
    }

    #[test]
    fn mistakes_name_the_option() {
        let mysql = &crate::connectors::mysql::MYSQL;
        let base = ResolvedOptions::default();
        let err = validate(mysql, &base, &[opt("hots", OptionValue::String("x".into()))]).unwrap_err();
        assert!(err.to_string().contains("\"hots\""), "{err}");
        assert!(err.hint().unwrap().contains("\"host\""), "{:?}", err.hint());
        assert_eq!(err.sqlstate().code(), "22023");
        let err = validate(
            mysql,
            &base,
            &[opt("host", OptionValue::String("h".into())), opt("port", OptionValue::String("x".into()))],
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"port\"") && err.to_string().contains("integer"), "{err}");
        let err = validate(mysql, &base, &[opt("port", OptionValue::Number("1".into()))]).unwrap_err();
        assert!(err.to_string().contains("missing required option \"host\""), "{err}");
        let err =
            validate(mysql, &base, &[opt("password", OptionValue::String("plain".into()))]).unwrap_err();
        assert!(err.to_string().contains("SECRET"), "{err}");
        assert!(!err.to_string().contains("plain"));
    }

    #[test]
    fn passthrough_keys_are_accepted() {
        let paimon = &crate::connectors::paimon::PAIMON;
        let resolved = validate(
            paimon,
            &ResolvedOptions::default(),
            &[
                opt("warehouse", OptionValue::String("s3://lake/wh".into())),
                opt("fs.s3.access-key", OptionValue::Secret(Ident::new("s3_key"))),
            ],
        )
        .unwrap();
        assert_eq!(resolved.secrets(), ["s3_key"]);
    }
}
