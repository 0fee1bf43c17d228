//! Option schemas: the typed description of what a source type accepts, and its JSON
//! Schema (2020-12) for form UIs.

use serde_json::{Map, Value, json};

use super::SourceType;

/// The section a form shows an option in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// What every user sets: where the system is and how to log in.
    Basic,
    /// Timeouts, batch sizes, retries.
    Tuning,
    /// Everything else.
    Advanced,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Basic => "basic",
            Group::Tuning => "tuning",
            Group::Advanced => "advanced",
        }
    }
}

/// What values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    Int,
    Bool,
    /// A duration: `500ms`, `5s`, `2min`, `1h` (a bare number is milliseconds).
    Duration,
    /// One of these strings (case-insensitive).
    Enum(&'static [&'static str]),
}

impl ValueType {
    /// The name `DESCRIBE SOURCE TYPE` shows.
    pub fn name(&self) -> String {
        match self {
            ValueType::String => "string".into(),
            ValueType::Int => "integer".into(),
            ValueType::Bool => "boolean".into(),
            ValueType::Duration => "duration".into(),
            ValueType::Enum(values) => format!("enum({})", values.join(", ")),
        }
    }

    /// Checks a value given as text; returns it normalised.
    pub fn check_text(&self, text: &str) -> Result<String, String> {
        match self {
            ValueType::String => Ok(text.to_owned()),
            ValueType::Int => text
                .trim()
                .parse::<i64>()
                .map(|n| n.to_string())
                .map_err(|_| format!("expected an integer, got '{text}'")),
            ValueType::Bool => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => Ok("true".into()),
                "false" | "off" | "no" | "0" => Ok("false".into()),
                _ => Err(format!("expected true or false, got '{text}'")),
            },
            ValueType::Duration => crate::units::parse_millis(text)
                .map(|_| text.trim().to_owned())
                .ok_or_else(|| format!("expected a duration such as 500ms, 5s, 2min or 1h, got '{text}'")),
            ValueType::Enum(values) => values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(text.trim()))
                .map(|v| (*v).to_owned())
                .ok_or_else(|| match super::closest(text, values.iter().copied()) {
                    Some(near) => format!(
                        "expected one of {}, got '{text}' (did you mean '{near}'?)",
                        values.join(", ")
                    ),
                    None => format!("expected one of {}, got '{text}'", values.join(", ")),
                }),
        }
    }
}

/// One option of a source type.
#[derive(Debug)]
pub struct OptionSpec {
    pub name: &'static str,
    pub value_type: ValueType,
    pub required: bool,
    pub default: Option<&'static str>,
    /// May (and for passwords, should) be given as `SECRET name`; never shown.
    pub secret: bool,
    pub group: Group,
    pub description: &'static str,
    /// The Flink connector option it becomes (`""`: it is folded into another, such as
    /// host and port into the JDBC URL).
    pub flink: &'static str,
    /// The SeaTunnel plugin option it becomes (`""` as above).
    pub seatunnel: &'static str,
}

/// Shorthand constructors for the per-type tables.
pub const fn opt(
    name: &'static str,
    value_type: ValueType,
    group: Group,
    description: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        value_type,
        required: false,
        default: None,
        secret: false,
        group,
        description,
        flink: "",
        seatunnel: "",
    }
}

impl OptionSpec {
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// Its Flink connector and SeaTunnel plugin option names.
    pub const fn maps_to(mut self, flink: &'static str, seatunnel: &'static str) -> Self {
        self.flink = flink;
        self.seatunnel = seatunnel;
        self
    }
}

/// The JSON Schema (2020-12) of a source type's options: `x-group` says which form
/// section an option belongs to, `x-secret` that it takes a secret reference. The options
/// of declared tables, where the type has them, are under `$defs/table`.
pub fn json_schema(t: &SourceType) -> Value {
    let mut schema = object_schema(t.options, t.passthrough);
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["$id"] = json!(format!("urn:sluice:source-type:{}", t.name));
    schema["title"] = json!(format!("{} source options", t.name));
    schema["description"] = json!(t.description);
    if !t.table_options.is_empty() || !t.table_passthrough.is_empty() {
        let mut table = object_schema(t.table_options, t.table_passthrough);
        table["title"] = json!(format!("options of {} tables", t.name));
        schema["$defs"] = json!({ "table": table });
    }
    schema
}

fn object_schema(options: &[OptionSpec], passthrough: &[&str]) -> Value {
    let mut properties = Map::new();
    for o in options {
        let mut p = Map::new();
        match o.value_type {
            ValueType::String => {
                p.insert("type".into(), json!("string"));
            }
            ValueType::Int => {
                p.insert("type".into(), json!("integer"));
            }
            ValueType::Bool => {
                p.insert("type".into(), json!("boolean"));
            }
            ValueType::Duration => {
                p.insert("type".into(), json!("string"));
                p.insert("pattern".into(), json!("^[0-9]+ ?(ms|s|min|h|d)?$"));
            }
            ValueType::Enum(values) => {
                p.insert("type".into(), json!("string"));
                p.insert("enum".into(), json!(values));
            }
        }
        if let Some(default) = o.default {
            let value = match o.value_type {
                ValueType::Int => default.parse::<i64>().map(Value::from).unwrap_or(json!(default)),
                ValueType::Bool => json!(default == "true"),
                _ => json!(default),
            };
            p.insert("default".into(), value);
        }
        p.insert("description".into(), json!(o.description));
        p.insert("x-group".into(), json!(o.group.as_str()));
        if o.secret {
            p.insert("x-secret".into(), json!(true));
            p.insert("writeOnly".into(), json!(true));
        }
        properties.insert(o.name.into(), Value::Object(p));
    }
    let required: Vec<&str> = options.iter().filter(|o| o.required).map(|o| o.name).collect();
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if !passthrough.is_empty() {
        let patterns: Map<String, Value> = passthrough
            .iter()
            .map(|prefix| {
                (
                    format!("^{}", prefix.replace('.', "\\.")),
                    json!({ "type": "string", "x-group": "advanced", "description": format!("passed through as {prefix}*") }),
                )
            })
            .collect();
        schema["patternProperties"] = Value::Object(patterns);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schemas_group_options_for_forms() {
        let mysql = json_schema(&crate::connectors::mysql::MYSQL);
        assert_eq!(mysql["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(mysql["type"], "object");
        assert_eq!(mysql["additionalProperties"], false);
        assert_eq!(mysql["properties"]["port"]["type"], "integer");
        assert_eq!(mysql["properties"]["port"]["default"], 3306);
        assert_eq!(mysql["properties"]["port"]["x-group"], "basic");
        assert_eq!(mysql["properties"]["connect_timeout"]["x-group"], "tuning");
        assert_eq!(mysql["properties"]["password"]["x-secret"], true);
        assert!(mysql["properties"]["ssl_mode"]["enum"].as_array().unwrap().iter().any(|v| v == "required"));
        let required: Vec<&str> =
            mysql["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(required, ["host", "username"]);
        assert!(mysql["patternProperties"]["^jdbc\\.properties\\."].is_object());
        let kafka = json_schema(&crate::connectors::kafka::KAFKA);
        assert_eq!(kafka["$defs"]["table"]["required"][0], "topic");
    }
}
