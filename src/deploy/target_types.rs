//! Target types and their options: a typed schema per type, as for source types, so
//! unknown keys and bad values are refused at CREATE TARGET.

use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Duration, Enum, Int, String as Text},
    opt,
};
use crate::connectors::validate::{Schema, validate_with};
use crate::connectors::{ResolvedOptions, StoredValue};
use crate::error::{Result, SluiceError};
use crate::sql::ast::options::SqlOption;

/// A kind of place pipelines run.
#[derive(Debug)]
pub struct TargetType {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
    /// Whether START works on it in this version (the others can be created and shown).
    pub runs: bool,
    /// The pipeline engine its jobs are written for (`flink`, `seatunnel`); `None` when it
    /// takes any (a directory renders every artifact; the local target runs batch SQL).
    pub engine: Option<sluice_catalog::PipelineEngine>,
    /// Runs jobs inside the gateway (DataFusion over the live tables): batch only.
    pub in_gateway: bool,
    /// Hands jobs to an external engine, which starts from and takes savepoints.
    pub external_engine: bool,
    /// Delivers a pipeline's extra jars to its job.
    pub delivers_jars: bool,
    /// How the watcher learns what became of a job no statement waits for.
    pub observation: Observation,
    /// Checks of its options beyond their schema (CREATE TARGET), naming the target.
    pub check: fn(&str, &ResolvedOptions) -> Result<()>,
    /// Makes the deployer of a target of this type.
    pub deployer: MakeDeployer,
}

/// Builds the deployer of one target.
pub type MakeDeployer =
    for<'a> fn(&Target, &'a crate::runtime::Runtime) -> Result<Box<dyn super::Deployer + 'a>>;

/// How the watcher follows the jobs of a target type that no statement waits for (the
/// gateway that submitted them may have stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// Jobs run inside a gateway: one whose progress has not been written for a while
    /// lost its gateway and has failed.
    InGateway,
    /// Asked for job states ([`super::Deployer::observe`]); nothing to re-attach.
    Poll,
    /// Asked for job states; the job id was chosen and recorded before the submission
    /// (Flink's run request and SeaTunnel's submit-job take one), so an interrupted one is
    /// observed by it, or fails after `submit_timeout`.
    PollById,
    /// States are pushed by a watch on the target (the Kubernetes operator's status); an
    /// interrupted submission fails after twice its `timeout` and a minute (a START may
    /// first wait for an earlier resource to go).
    Watch,
}

/// Options need no check beyond their schema.
fn no_check(_name: &str, _options: &ResolvedOptions) -> Result<()> {
    Ok(())
}

const RUNNERS: &[&str] = &["sluice", "sql_driver"];

pub const LOCAL: TargetType = TargetType {
    name: "local",
    description: "Batch pipelines run inside the gateway (DataFusion); the default target.",
    options: &[opt("batch_size", Int, Tuning, "Rows per write to a database sink.").default("5000")],
    runs: true,
    engine: None,
    in_gateway: true,
    external_engine: false,
    delivers_jars: false,
    observation: Observation::InGateway,
    check: no_check,
    deployer: super::local::make,
};

// How an engine's REST API over https is trusted and authenticated (flink, seatunnel).
const CA_FILE: OptionSpec = opt(
    "ca_file",
    Text,
    Advanced,
    "PEM file of the CA (or certificate) the https endpoint is verified with.",
);
const TOKEN: OptionSpec =
    opt("token", Text, Advanced, "Bearer token sent with every request, as SECRET name.").secret();
const USERNAME: OptionSpec = opt("username", Text, Advanced, "User for HTTP basic authentication.");
const PASSWORD: OptionSpec =
    opt("password", Text, Advanced, "Password for HTTP basic authentication, as SECRET name.").secret();

pub const FLINK: TargetType = TargetType {
    name: "flink",
    description: "A Flink session cluster, reached over its REST API.",
    options: &[
        opt("rest_url", Text, Basic, "The JobManager's REST endpoint, e.g. http://127.0.0.1:8081.")
            .required(),
        opt(
            "runner",
            Enum(RUNNERS),
            Basic,
            "sluice: the runner jar from runner/ (any cluster); sql_driver: Flink's SqlDriver \
             (clusters that ship flink-sql-gateway.jar).",
        )
        .default("sluice"),
        opt(
            "runner_jar",
            Text,
            Basic,
            "A local path to the runner jar, uploaded when the cluster does not have it yet.",
        ),
        opt(
            "savepoint_dir",
            Text,
            Tuning,
            "Where STOP WITH SAVEPOINT and SUSPEND write (else the cluster's default).",
        ),
        opt("submit_timeout", Duration, Tuning, "How long START and STOP wait for the cluster.")
            .default("120s"),
        opt("poll_interval", Duration, Tuning, "How often the watcher asks the cluster for job states.")
            .default("1s"),
        CA_FILE,
        TOKEN,
        USERNAME,
        PASSWORD,
    ],
    runs: true,
    engine: Some(sluice_catalog::PipelineEngine::Flink),
    in_gateway: false,
    external_engine: true,
    delivers_jars: false,
    observation: Observation::PollById,
    check: super::flink::check_options,
    deployer: super::flink::make,
};

pub const DIRECTORY: TargetType = TargetType {
    name: "directory",
    description: "Writes every artifact to path/<pipeline>/<version>/ (a dry run for GitOps).",
    options: &[opt("path", Text, Basic, "The directory (created when missing).").required()],
    runs: true,
    engine: None,
    in_gateway: false,
    external_engine: false,
    delivers_jars: false,
    observation: Observation::Poll,
    check: no_check,
    deployer: super::directory::make,
};

pub const KUBERNETES: TargetType = TargetType {
    name: "kubernetes",
    description: "The Flink Kubernetes Operator (FlinkDeployment / FlinkSessionJob).",
    options: crate::compile::kubernetes::OPTIONS,
    runs: true,
    engine: Some(sluice_catalog::PipelineEngine::Flink),
    in_gateway: false,
    external_engine: true,
    delivers_jars: true,
    observation: Observation::Watch,
    check: super::kubernetes::check_options,
    deployer: super::kubernetes::make,
};

pub const SEATUNNEL: TargetType = TargetType {
    name: "seatunnel",
    description: "A SeaTunnel (Zeta) engine, reached over its REST API v2.",
    options: &[
        opt("rest_url", Text, Basic, "The engine's REST API v2 endpoint, e.g. http://127.0.0.1:8080.")
            .required(),
        opt("submit_timeout", Duration, Tuning, "How long START and STOP wait for the engine.")
            .default("120s"),
        opt("poll_interval", Duration, Tuning, "How often the watcher asks the engine for job states.")
            .default("1s"),
        CA_FILE,
        TOKEN,
        USERNAME,
        PASSWORD,
    ],
    runs: true,
    engine: Some(sluice_catalog::PipelineEngine::SeaTunnel),
    in_gateway: false,
    external_engine: true,
    delivers_jars: false,
    observation: Observation::PollById,
    check: super::flink::check_options,
    deployer: super::seatunnel::make,
};

/// Every target type, in the order `SHOW TARGET TYPES` lists them.
pub const TARGET_TYPES: &[&TargetType] = &[&LOCAL, &FLINK, &DIRECTORY, &KUBERNETES, &SEATUNNEL];

/// The target type called `name`, or 22023 naming the known ones.
pub fn target_type(name: &str) -> Result<&'static TargetType> {
    TARGET_TYPES.iter().copied().find(|t| t.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let names: Vec<&str> = TARGET_TYPES.iter().map(|t| t.name).collect();
        let hint = crate::connectors::closest(name, names.iter().copied())
            .map(|near| format!("Did you mean \"{near}\"?"))
            .unwrap_or_else(|| format!("Target types: {}.", names.join(", ")));
        SluiceError::InvalidOption { message: format!("unknown target type \"{name}\""), hint: Some(hint) }
    })
}

/// Checks the options of target `name` against `t`'s schema and the type's own checks.
pub fn validate(t: &TargetType, name: &str, options: &[SqlOption]) -> Result<ResolvedOptions> {
    let owner = format!("target type {}", t.name);
    let listing = format!("DESCRIBE TARGET TYPE {}", t.name);
    let schema = Schema { owner: &owner, listing: &listing, options: t.options, passthrough: &[] };
    let resolved = validate_with(schema, &ResolvedOptions::default(), options)?;
    (t.check)(name, &resolved)?;
    Ok(resolved)
}

/// A stored target: its type and options, with defaults applied on read, and the values
/// of the secrets its options name (decrypted when it is loaded).
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub target_type: &'static TargetType,
    pub options: ResolvedOptions,
    pub secrets: SecretValues,
}

/// Values of secrets, by secret name; `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct SecretValues(pub std::collections::HashMap<String, Vec<u8>>);

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Target {
    /// A secret option's value as text (`None` when not given).
    pub fn secret_text(&self, key: &str) -> Option<String> {
        match self.options.0.get(key)? {
            StoredValue::Secret { secret } => {
                self.secrets.0.get(secret).map(|v| String::from_utf8_lossy(v).into_owned())
            }
            StoredValue::Text(_) => None,
        }
    }

    /// Option `key` as given, else its default.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.options.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            _ => self
                .target_type
                .options
                .iter()
                .find(|o| o.name == key)
                .and_then(|o| o.default)
                .map(str::to_owned),
        }
    }

    /// A duration option in milliseconds.
    pub fn millis(&self, key: &str) -> Option<u64> {
        self.text(key).and_then(|t| crate::units::parse_millis(&t))
    }

    /// The options as `WITH (…)` would give them (defaults left out).
    pub fn to_sql(&self) -> Vec<SqlOption> {
        self.options.to_sql_with(self.target_type.options)
    }
}
