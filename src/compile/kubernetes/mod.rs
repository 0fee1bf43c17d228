//! A pipeline as Flink Kubernetes Operator resources (`flink.apache.org/v1beta1`, schemas
//! in `../shared/reference/flink-kubernetes-operator/`):
//!
//! * application mode — a `ConfigMap` holding the Flink SQL script and a `FlinkDeployment`
//!   that runs Flink's `SqlDriver --scriptUri` on it. When the script uses secrets, an init
//!   container of the JobManager fills their placeholders from the Kubernetes Secret
//!   `<name>-secrets` (env `secretKeyRef`s), doubling quotes as SQL literals need. START
//!   fills the Secret; rendered alone (EXPLAIN) it lists its keys with empty values.
//! * session mode — a `FlinkSessionJob` on an existing session cluster running Sluice's
//!   runner jar, which reads the script from the gateway's https artifact endpoint (a
//!   session cluster's pods cannot mount the pipeline's ConfigMap or Secret).
//!
//! Streaming pipelines upgrade with savepoints, batch ones statelessly.

use std::collections::HashMap;

use serde_json::Value;

pub mod pods;
mod resources;

pub use resources::resources;

pub use pods::{connector_jars, jars, pod_template, session_jars};

use super::Artifact;
use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Duration, Enum, Int, String as Text},
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
    opt("jobmanager_cpu", Text, Tuning, "JobManager CPU cores (e.g. 0.5, 2).").default("1"),
    opt("taskmanager_cpu", Text, Tuning, "TaskManager CPU cores.").default("1"),
    opt(
        "pod_template",
        Text,
        Advanced,
        "A Pod (YAML) every Flink pod starts from (spec.podTemplate: node selectors, tolerations, \
         sidecars); Sluice's own containers and volumes are merged in by the operator.",
    ),
    opt("task_slots", Int, Tuning, "Slots per TaskManager.").default("2"),
    opt("jar_uri", Text, Advanced, "The jar with Flink's SQL gateway (SqlDriver needs it)."),
    opt(
        "kubeconfig",
        Text,
        Basic,
        "Path of a kubeconfig file (else KUBECONFIG, ~/.kube/config or the in-cluster service account).",
    ),
    opt("context", Text, Basic, "The kubeconfig context to use (else its current context)."),
    opt(
        "runner_jar",
        Text,
        Basic,
        "Session mode: a local path to Sluice's runner jar, served to the operator over the artifact endpoint.",
    ),
    opt(
        "connector_jars",
        Text,
        Advanced,
        "Jars every pipeline reading or writing a source type needs, registered once: \
         'mysql: https://…/a.jar https://…/b.jar; kafka: https://…/k.jar'.",
    ),
    opt(
        "fetch_image",
        Text,
        Advanced,
        "Application mode: the image of the init container that downloads https jars (runs curl).",
    )
    .default("curlimages/curl:8.11.1"),
    opt("timeout", Duration, Tuning, "How long START, STOP and SUSPEND wait for the operator.")
        .default("300s"),
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

    /// Session mode: jobs on a session cluster.
    pub fn session(&self) -> bool {
        self.get("mode").as_deref() == Some("session")
    }

    /// The operator's resource kind the jobs are: FlinkSessionJob or FlinkDeployment.
    pub fn kind(&self) -> &'static str {
        if self.session() { "FlinkSessionJob" } else { "FlinkDeployment" }
    }

    pub fn namespace(&self) -> String {
        self.get("namespace").unwrap_or_else(|| "default".into())
    }

    /// A target's stored options (checked at CREATE TARGET).
    pub fn from_resolved(options: ResolvedOptions) -> Settings {
        Settings { options }
    }

    /// Option `key` as given, else its default.
    pub fn get(&self, key: &str) -> Option<String> {
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

/// Where a session job's operator fetches the runner jar and the script from: the
/// gateway's artifact endpoint (one token per artifact).
#[derive(Debug, Clone)]
pub struct Links {
    pub runner_jar: String,
    pub script: String,
    /// The extra jars, as the session cluster fetches them.
    pub jars: Vec<String>,
}

/// What START adds to the rendered resources.
#[derive(Default)]
pub struct Delivery<'a> {
    /// Secret values by Sluice secret name; without them the Secret lists its keys with
    /// empty values (EXPLAIN, the directory target).
    pub secret_values: Option<&'a HashMap<String, Vec<u8>>>,
    /// Session mode: the artifact endpoint's URLs (else placeholders).
    pub links: Option<Links>,
    /// The deployment the resources belong to (label `sluice.io/deployment`).
    pub deployment: Option<i64>,
    /// Start from this savepoint (RESUME; `initialSavepointPath` + `savepointRedeployNonce`).
    pub savepoint: Option<&'a str>,
    /// A fresh nonce for `savepointRedeployNonce`.
    pub nonce: i64,
}

/// A pipeline's Kubernetes objects.
#[derive(Debug, Clone)]
pub struct Resources {
    pub name: String,
    pub namespace: String,
    /// `FlinkDeployment` (application mode) or `FlinkSessionJob` (session mode).
    pub job: Value,
    /// The script (application mode); its secrets are placeholders.
    pub config_map: Option<Value>,
    /// The values of the script's secrets (application mode, when it uses any).
    pub secret: Option<Value>,
    /// A bounded (batch) job, whose FlinkDeployment is deleted when it finishes.
    pub bounded: bool,
}

impl Resources {
    pub fn session(&self) -> bool {
        self.job["kind"] == "FlinkSessionJob"
    }
}

/// Label selecting every object Sluice manages.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by=sluice";
pub const DEPLOYMENT_LABEL: &str = "sluice.io/deployment";
pub const BOUNDED_LABEL: &str = "sluice.io/bounded";
pub const SESSION_RUNNER: &str = "io.sluice.runner.SqlRunner";

/// Compiles `plan` into Kubernetes resources (one artifact per object).
pub fn compile(plan: &PipelinePlan, k8s: &Settings) -> Result<Vec<Artifact>> {
    let r = resources(plan, k8s, &Delivery::default())?;
    let mut artifacts = Vec::new();
    for object in [&r.config_map, &r.secret].into_iter().flatten() {
        let kind = object["kind"].as_str().unwrap_or_default().to_lowercase();
        artifacts.push(Artifact { name: format!("{}-{kind}.yaml", r.name), content: yaml(object)? });
    }
    let kind = r.job["kind"].as_str().unwrap_or_default().to_lowercase();
    artifacts.push(Artifact { name: format!("{}-{kind}.yaml", r.name), content: yaml(&r.job)? });
    Ok(artifacts)
}

/// Where EXPLAIN shows session-mode artifacts (START puts the endpoint's URLs there).
const PLACEHOLDER_URL: &str = "https://<sluice-artifact-endpoint>/artifacts/<token>";

fn yaml(value: &Value) -> Result<String> {
    serde_yaml::to_string(value).map_err(|e| SluiceError::Internal(format!("rendering YAML: {e}")))
}
