//! Validates Kubernetes objects against a CRD's `openAPIV3Schema` the way the API server's
//! structural-schema checks would: types, enums, `required`, `items`, `additionalProperties`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`. Stricter in one
//! way: a field the schema does not know is an error (the API server would silently drop
//! it, which for a deployment is as bad).

use serde_yaml::Value;

/// The `openAPIV3Schema` of the served version of the CRD in `file` (under tests/fixtures).
pub fn crd_schema(file: &str) -> (String, Value) {
    let path = crate::common::repo().join("tests/fixtures/flink-kubernetes-operator").join(file);
    let crd: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_owned();
    let version = &crd["spec"]["versions"][0];
    (kind, version["schema"]["openAPIV3Schema"].clone())
}

/// Every violation of `schema` by `value`, with its path.
pub fn validate(value: &Value, schema: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    // apiVersion, kind and metadata are every object's, not in the CRD's schema
    let mut body = value.clone();
    if let Some(map) = body.as_mapping_mut() {
        for key in ["apiVersion", "kind", "metadata"] {
            map.remove(key);
        }
    }
    check(&body, schema, "", &mut errors);
    errors.extend(metadata(&value["metadata"]));
    errors
}

/// A DNS-1123 label: what object names, label values (here) must be.
fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Object metadata: a name that is a DNS label, label values Kubernetes accepts.
pub fn metadata(meta: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    match meta["name"].as_str() {
        Some(name) if dns_label(name) => {}
        other => errors.push(format!(".metadata.name: {other:?} is not a DNS-1123 label")),
    }
    if let Some(labels) = meta["labels"].as_mapping() {
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_default();
            let ok = v.len() <= 63
                && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && v.chars().next().is_none_or(|c| c.is_ascii_alphanumeric())
                && v.chars().last().is_none_or(|c| c.is_ascii_alphanumeric());
            if !ok {
                errors.push(format!(
                    ".metadata.labels.{}: {v:?} is not a label value",
                    k.as_str().unwrap_or("?")
                ));
            }
        }
    }
    errors
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "array",
        Value::Mapping(_) => "object",
        Value::Tagged(_) => "tagged",
    }
}

fn check(value: &Value, schema: &Value, path: &str, errors: &mut Vec<String>) {
    if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        if !matches!(type_name(value), "integer" | "string") {
            errors.push(format!("{path}: expected an integer or a string, got {}", type_name(value)));
        }
        return;
    }
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true);
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let actual = type_name(value);
        let ok = actual == expected || (expected == "number" && actual == "integer");
        if !ok {
            errors.push(format!("{path}: expected {expected}, got {actual}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_sequence)
        && !allowed.contains(value)
    {
        errors.push(format!("{path}: {value:?} is not one of {allowed:?}"));
    }
    match value {
        Value::Mapping(map) => {
            if let Some(required) = schema.get("required").and_then(Value::as_sequence) {
                for r in required {
                    if !map.contains_key(r) {
                        errors.push(format!("{path}: missing required {}", r.as_str().unwrap_or("?")));
                    }
                }
            }
            let properties = schema.get("properties").and_then(Value::as_mapping);
            let additional = schema.get("additionalProperties");
            for (k, v) in map {
                let key = k.as_str().unwrap_or("?");
                let child = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => check(v, s, &child, errors),
                    (None, Some(Value::Bool(true))) => {}
                    (None, Some(s @ Value::Mapping(_))) => check(v, s, &child, errors),
                    (None, _) if preserve => {}
                    (None, _) => errors.push(format!("{child}: unknown field")),
                }
            }
        }
        Value::Sequence(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item, item_schema, &format!("{path}[{i}]"), errors);
                }
            }
        }
        _ => {}
    }
}
