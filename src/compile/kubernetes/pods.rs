//! What a pipeline's Flink pods get besides its script: extra jars (the pipeline's `jars`,
//! the target's `connector_jars` per source type), the target's pod template and CPU.

use serde_json::{Value, json};

use super::Settings;
use crate::error::{Result, SluiceError};
use crate::plan::PipelinePlan;

/// Where application clusters' init containers put downloaded jars (under usrlib, the
/// user classpath of application clusters).
pub const JAR_DIR: &str = "/opt/flink/usrlib/sluice";

/// A CPU option as the CRD's number.
pub fn cpu(k8s: &Settings, key: &str) -> Result<f64> {
    let text = k8s.get(key).unwrap_or_else(|| "1".into());
    text.trim().parse::<f64>().ok().filter(|c| *c > 0.0).ok_or_else(|| SluiceError::InvalidOption {
        message: format!("{key} must be a positive number of cores, not '{text}'"),
        hint: None,
    })
}

/// The `pod_template` option: a Pod in YAML.
pub fn pod_template(text: &str) -> Result<Value> {
    let invalid = |why: String| SluiceError::InvalidOption {
        message: format!("pod_template is not a Pod: {why}"),
        hint: Some(
            "Give a Pod manifest in YAML (kind: Pod, spec: …), as a multi-line string literal.".into(),
        ),
    };
    let mut pod: Value = serde_yaml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if !pod.is_object() || pod.get("kind").is_some_and(|k| k != "Pod") {
        return Err(invalid("expected a mapping with kind: Pod".into()));
    }
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    Ok(pod)
}

/// The extra jars of `plan`: its `jars` option, then the target's `connector_jars` of each
/// source type it uses (each jar once).
pub fn jars(plan: &PipelinePlan, k8s: &Settings) -> Result<Vec<String>> {
    let mut jars = plan.settings().jars.clone();
    if let Some(text) = k8s.get("connector_jars") {
        let by_type = connector_jars(&text)?;
        for table in &plan.bound.tables {
            for jar in by_type.get(table.source_type.name).into_iter().flatten() {
                jars.push(jar.clone());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    jars.retain(|j| seen.insert(j.clone()));
    Ok(jars)
}

/// `'mysql: https://…/a.jar https://…/b.jar; kafka: https://…/k.jar'` by source type.
pub fn connector_jars(text: &str) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    let mut map = std::collections::BTreeMap::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((source_type, jars)) = entry.split_once(':').filter(|(t, _)| !t.contains('/')) else {
            return Err(SluiceError::InvalidOption {
                message: format!("connector_jars entry \"{entry}\" is not \"<source type>: <jar> …\""),
                hint: Some(
                    "For example: 'mysql: https://repo/flink-sql-connector-mysql-cdc.jar; kafka: …'".into(),
                ),
            });
        };
        let source_type = source_type.trim().to_lowercase();
        if crate::connectors::source_type(&source_type).is_none() {
            return Err(SluiceError::InvalidOption {
                message: format!("connector_jars names unknown source type \"{source_type}\""),
                hint: Some("SHOW SOURCE TYPES lists them.".into()),
            });
        }
        let jars: Vec<String> = jars.split_whitespace().map(str::to_owned).collect();
        map.entry(source_type).or_insert_with(Vec::new).extend(jars);
    }
    Ok(map)
}

pub fn file_name(jar: &str) -> &str {
    jar.rsplit('/').next().filter(|f| !f.is_empty()).unwrap_or("extra.jar")
}

/// Application mode: (jars to download over http(s), `file://` classpaths of jars in the image).
pub fn application_jars(jars: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let (mut fetched, mut in_image) = (Vec::new(), Vec::new());
    for jar in jars {
        if jar.starts_with("https://") || jar.starts_with("http://") {
            fetched.push(jar.clone());
        } else if let Some(path) = jar.strip_prefix("local://") {
            in_image.push(format!("file://{path}"));
        } else {
            return Err(SluiceError::InvalidOption {
                message: format!("jar \"{jar}\" cannot reach an application cluster"),
                hint: Some(
                    "Give an https:// URL (downloaded by the pods) or a local:// path inside the image; gateway files are served to session jobs only.".into(),
                ),
            });
        }
    }
    Ok((fetched, in_image))
}

/// Session mode: each jar as the session cluster fetches it — URLs as given, files on the
/// gateway through `publish` (the artifact endpoint).
pub fn session_jars(jars: &[String], mut publish: impl FnMut(&str) -> Result<String>) -> Result<Vec<String>> {
    jars.iter()
        .map(|jar| {
            if jar.contains("://") && !jar.starts_with("file://") {
                Ok(jar.clone())
            } else if jar.ends_with(".jar") {
                publish(jar.trim_start_matches("file://"))
            } else {
                // the endpoint serves jars, not any file of the gateway's
                Err(SluiceError::InvalidOption {
                    message: format!("extra jar \"{jar}\" is not a .jar file"),
                    hint: None,
                })
            }
        })
        .collect()
}
