//! A pipeline as Flink Kubernetes Operator resources (`flink.apache.org/v1beta1`, schemas
//! in `../shared/reference/flink-kubernetes-operator/`):
//!
//! * application mode — a `ConfigMap` holding the Flink SQL script and a `FlinkDeployment`
//!   that runs Flink's `SqlDriver --scriptUri` on it. When the script uses secrets, an init
//!   container of the JobManager fills their placeholders from the Kubernetes Secret
//!   `<name>-secrets` (env `secretKeyRef`s), doubling quotes as SQL literals need.
//! * session mode — a `FlinkSessionJob` on an existing session cluster, the script inline.
//!
//! Streaming pipelines upgrade with savepoints, batch ones statelessly.

use serde_json::{Value, json};

use super::connector::Secrets;
use super::{Artifact, flink_sql};
use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Enum, Int, String as Text},
    opt,
};
use crate::connectors::validate::{Schema, validate_with};
use crate::connectors::{ResolvedOptions, StoredValue};
use crate::error::{Result, SluiceError};
use crate::plan::PipelinePlan;
use crate::sql::ast::options::SqlOption;

/// `spec.flinkVersion` values the operator (1.15) accepts.
pub const FLINK_VERSIONS: &[&str] =
    &["v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20", "v2_0", "v2_1", "v2_2"];
const MODES: &[&str] = &["application", "session"];

/// Where and how the resources run (a Kubernetes target's options; `EXPLAIN … FORMAT
/// kubernetes WITH (…)` takes them too).
pub const OPTIONS: &[OptionSpec] = &[
    opt("namespace", Text, Basic, "Namespace of the resources.").default("default"),
    opt(
        "flink_version",
        Enum(FLINK_VERSIONS),
        Basic,
        "Flink version of the image (the operator's flinkVersion).",
    )
    .default("v2_2"),
    opt("image", Text, Basic, "Flink image (else flink:<version>)."),
    opt(
        "mode",
        Enum(MODES),
        Basic,
        "application: a cluster per pipeline; session: a job on a session cluster.",
    )
    .default("application"),
    opt("session_cluster", Text, Basic, "The FlinkDeployment of the session cluster (session mode)."),
    opt("service_account", Text, Tuning, "Service account of the Flink pods.").default("flink"),
    opt("jobmanager_memory", Text, Tuning, "JobManager memory.").default("2048m"),
    opt("taskmanager_memory", Text, Tuning, "TaskManager memory.").default("2048m"),
    opt("task_slots", Int, Tuning, "Slots per TaskManager.").default("2"),
    opt("jar_uri", Text, Advanced, "The jar with Flink's SQL gateway (SqlDriver needs it)."),
    opt("checkpoint_dir", Text, Advanced, "Durable directory for checkpoints (s3://…) of streaming jobs."),
    opt("savepoint_dir", Text, Advanced, "Durable directory for savepoints (s3://…) of streaming jobs."),
];

/// Checked Kubernetes settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    options: ResolvedOptions,
}

impl Settings {
    /// Checks `options` (unknown keys and bad values are errors).
    pub fn new(options: &[SqlOption]) -> Result<Settings> {
        let schema = Schema {
            owner: "Kubernetes resources",
            listing: "the Kubernetes target documentation",
            options: OPTIONS,
            passthrough: &[],
        };
        let options = validate_with(schema, &ResolvedOptions::default(), options)?;
        Ok(Settings { options })
    }

    fn get(&self, key: &str) -> Option<String> {
        match self.options.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            _ => OPTIONS.iter().find(|o| o.name == key).and_then(|o| o.default).map(str::to_owned),
        }
    }
}

/// A Kubernetes object name: lower-case letters, digits and `-`, at most 45 characters
/// (the operator derives longer service names from it).
pub fn resource_name(pipeline: &str) -> String {
    let mut name: String = pipeline
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_owned();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("p-{name}");
    }
    name.truncate(45);
    name.trim_end_matches('-').to_owned()
}

/// `v2_2` → `2.2.0`.
fn release(version: &str) -> String {
    format!("{}.0", version.trim_start_matches('v').replace('_', "."))
}

const SQL_DRIVER: &str = "org.apache.flink.table.runtime.application.SqlDriver";
const SCRIPT_DIR: &str = "/opt/sluice/script";
const TEMPLATE_DIR: &str = "/opt/sluice/template";
const SCRIPT_FILE: &str = "pipeline.sql";

/// Replaces each `${SLUICE_SECRET_X}` with `$ENV{SLUICE_SECRET_X}`, quotes doubled; reads
/// the template (first argument), writes the script (second). Perl is in every Debian and
/// Ubuntu based image (perl-base is essential), so in Flink's images.
const RENDER_SCRIPT: &str = r#"open(my $in, '<', $ARGV[0]) or die "$ARGV[0]: $!"; open(my $out, '>', $ARGV[1]) or die "$ARGV[1]: $!"; while (my $line = <$in>) { $line =~ s/\$\{(SLUICE_SECRET_\w+)\}/my $v = $ENV{$1}; defined $v or die "secret $1 is not set"; $v =~ s{'}{''}g; $v/ge; print $out $line } close($out) or die $!;"#;

/// Compiles `plan` into Kubernetes resources (one artifact per object).
pub fn compile(plan: &PipelinePlan, k8s: &Settings) -> Result<Vec<Artifact>> {
    let mut secrets = Secrets::default();
    let script = flink_sql::compile(plan, &mut secrets)?;
    let name = resource_name(&plan.name);
    let namespace = k8s.get("namespace").unwrap_or_else(|| "default".into());
    let version = k8s.get("flink_version").unwrap_or_else(|| "v2_2".into());
    let streaming = plan.settings().streaming;
    let metadata = |object: &str| {
        json!({
            "name": object,
            "namespace": namespace,
            "labels": { "app.kubernetes.io/managed-by": "sluice", "sluice.io/pipeline": name },
            "annotations": { "sluice.io/pipeline": plan.name },
        })
    };
    let job = |args: Vec<String>, jar: String| {
        json!({
            "jarURI": jar,
            "entryClass": SQL_DRIVER,
            "args": args,
            "parallelism": plan.settings().parallelism,
            "upgradeMode": if streaming { "savepoint" } else { "stateless" },
            "state": "running",
        })
    };
    let mut configuration = serde_json::Map::new();
    if streaming {
        let dir = |key: &str, kind: &str| {
            k8s.get(key).unwrap_or_else(|| format!("file:///flink-data/{kind}/{name}"))
        };
        configuration.insert(
            "execution.checkpointing.dir".into(),
            Value::String(dir("checkpoint_dir", "checkpoints")),
        );
        configuration.insert(
            "execution.checkpointing.savepoint-dir".into(),
            Value::String(dir("savepoint_dir", "savepoints")),
        );
    }

    if k8s.get("mode").as_deref() == Some("session") {
        let cluster = k8s.get("session_cluster").ok_or_else(|| SluiceError::InvalidOption {
            message:
                "session mode needs option \"session_cluster\": the FlinkDeployment of the session cluster"
                    .into(),
            hint: None,
        })?;
        let jar = k8s.get("jar_uri").unwrap_or_else(|| {
            let r = release(&version);
            format!("https://repo1.maven.org/maven2/org/apache/flink/flink-sql-gateway/{r}/flink-sql-gateway-{r}.jar")
        });
        let mut meta = metadata(&name);
        if !secrets.vars.is_empty() {
            let vars: Vec<&str> = secrets.vars.values().map(String::as_str).collect();
            meta["annotations"]["sluice.io/secret-placeholders"] = Value::String(vars.join(","));
        }
        let resource = json!({
            "apiVersion": "flink.apache.org/v1beta1",
            "kind": "FlinkSessionJob",
            "metadata": meta,
            "spec": {
                "deploymentName": cluster,
                "flinkConfiguration": configuration,
                "job": job(vec!["--script".into(), script], jar),
            },
        });
        return Ok(vec![Artifact {
            name: format!("{name}-flinksessionjob.yaml"),
            content: yaml(&resource)?,
        }]);
    }

    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(&format!("{name}-script")),
        "data": { SCRIPT_FILE: script },
    });
    let script_volume = json!({ "name": "script", "configMap": { "name": format!("{name}-script") } });
    let mut volumes = vec![script_volume];
    let mut main_mounts = Vec::new();
    let mut init_containers = Vec::new();
    let image = k8s
        .get("image")
        .unwrap_or_else(|| format!("flink:{}", version.trim_start_matches('v').replace('_', ".")));
    if secrets.vars.is_empty() {
        main_mounts.push(json!({ "name": "script", "mountPath": SCRIPT_DIR }));
    } else {
        volumes.push(json!({ "name": "rendered-script", "emptyDir": {} }));
        main_mounts.push(json!({ "name": "rendered-script", "mountPath": SCRIPT_DIR }));
        let env: Vec<Value> = secrets
            .vars
            .iter()
            .map(|(secret, var)| {
                json!({ "name": var, "valueFrom": { "secretKeyRef": { "name": format!("{name}-secrets"), "key": secret } } })
            })
            .collect();
        init_containers.push(json!({
            "name": "render-script",
            "image": image,
            "command": ["perl", "-e", RENDER_SCRIPT, format!("{TEMPLATE_DIR}/{SCRIPT_FILE}"), format!("{SCRIPT_DIR}/{SCRIPT_FILE}")],
            "env": env,
            "volumeMounts": [
                { "name": "script", "mountPath": TEMPLATE_DIR },
                { "name": "rendered-script", "mountPath": SCRIPT_DIR },
            ],
        }));
    }
    let mut pod_spec = json!({
        "containers": [{ "name": "flink-main-container", "volumeMounts": main_mounts }],
        "volumes": volumes,
    });
    if !init_containers.is_empty() {
        pod_spec["initContainers"] = Value::Array(init_containers);
    }
    configuration.insert(
        "taskmanager.numberOfTaskSlots".into(),
        Value::String(k8s.get("task_slots").unwrap_or_default()),
    );
    let jar = k8s
        .get("jar_uri")
        .unwrap_or_else(|| format!("local:///opt/flink/opt/flink-sql-gateway-{}.jar", release(&version)));
    let deployment = json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": metadata(&name),
        "spec": {
            "image": image,
            "flinkVersion": version,
            "serviceAccount": k8s.get("service_account"),
            "mode": "native",
            "flinkConfiguration": configuration,
            "jobManager": {
                "replicas": 1,
                "resource": { "memory": k8s.get("jobmanager_memory"), "cpu": 1.0 },
                "podTemplate": { "apiVersion": "v1", "kind": "Pod", "spec": pod_spec },
            },
            "taskManager": { "resource": { "memory": k8s.get("taskmanager_memory"), "cpu": 1.0 } },
            "job": job(vec!["--scriptUri".into(), format!("file://{SCRIPT_DIR}/{SCRIPT_FILE}")], jar),
        },
    });
    Ok(vec![
        Artifact { name: format!("{name}-configmap.yaml"), content: yaml(&config_map)? },
        Artifact { name: format!("{name}-flinkdeployment.yaml"), content: yaml(&deployment)? },
    ])
}

fn yaml(value: &Value) -> Result<String> {
    serde_yaml::to_string(value).map_err(|e| SluiceError::Internal(format!("rendering YAML: {e}")))
}
