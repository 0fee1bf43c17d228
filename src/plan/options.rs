//! Pipeline options: a typed schema like the source types', so unknown keys are refused.
//! The Flink names on the right are the configuration keys they become (`SET …`).

use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Duration, Enum, Int, String as Text},
    opt,
};

use sluice_catalog::{PipelineEngine, PipelineMode};

use crate::connectors::sink::{TransactionScope, WriteMode};
use crate::error::{Result, SluiceError};

/// [`PipelineEngine`], [`PipelineMode`] and [`WriteMode`] as the schema lists them (a test
/// keeps them equal).
const ENGINES: &[&str] = &["flink", "seatunnel", "flink-cdc"];
const MODES: &[&str] = &["streaming", "batch"];
const CHECKPOINT_MODES: &[&str] = &["exactly_once", "at_least_once"];
const RESTARTS: &[&str] = &["none", "fixed-delay", "exponential-delay"];
const WRITE_MODES: &[&str] = &["append", "overwrite"];
const TRANSACTIONS: &[&str] = &["job", "table"];

pub const OPTIONS: &[OptionSpec] = &[
    opt(
        "engine",
        Enum(ENGINES),
        Basic,
        "What runs the pipeline: Flink SQL, SeaTunnel, or a Flink CDC pipeline.",
    )
    .default("flink"),
    opt(
        "mode",
        Enum(MODES),
        Basic,
        "streaming reads databases as change streams (CDC); batch reads a bounded snapshot.",
    )
    .default("streaming")
    .maps_to("execution.runtime-mode", "job.mode"),
    opt("target", Text, Basic, "Where START runs it (a target's name)."),
    opt("parallelism", Int, Basic, "Parallel tasks per operator.")
        .default("1")
        .maps_to("parallelism.default", "parallelism"),
    opt("job_name", Text, Basic, "The job's name on the cluster (else the pipeline's).")
        .maps_to("pipeline.name", "job.name"),
    opt("checkpoint_interval", Duration, Tuning, "How often a streaming job checkpoints.")
        .default("60s")
        .maps_to("execution.checkpointing.interval", "checkpoint.interval"),
    opt("checkpoint_mode", Enum(CHECKPOINT_MODES), Tuning, "Checkpoint guarantee.")
        .default("exactly_once")
        .maps_to("execution.checkpointing.mode", ""),
    opt("restart_strategy", Enum(RESTARTS), Tuning, "What the job does after a failure.")
        .default("exponential-delay")
        .maps_to("restart-strategy.type", ""),
    opt("restart_attempts", Int, Tuning, "Attempts of the fixed-delay strategy.")
        .maps_to("restart-strategy.fixed-delay.attempts", ""),
    opt("state_ttl", Duration, Advanced, "How long idle state is kept (joins, aggregations).")
        .maps_to("table.exec.state.ttl", ""),
    opt(
        "write_mode",
        Enum(WRITE_MODES),
        Basic,
        "append adds rows to the sinks; overwrite first removes their rows (the local target, in the same transaction).",
    )
    .default("append"),
    opt(
        "batch_size",
        Int,
        Tuning,
        "Rows per multi-row INSERT into MySQL sinks on the local target (else the target's batch_size).",
    ),
    opt(
        "transaction",
        Enum(TRANSACTIONS),
        Tuning,
        "What one transaction covers on the local target: the whole job (no sink changes unless every \
         table is written), or each table (committed as soon as it is written).",
    )
    .default("job"),
    opt(
        "workers",
        Int,
        Tuning,
        "Tables the local target copies at once, each worker with one connection per sink server \
         (default: the gateway's cores).",
    ),
    opt(
        "jars",
        Text,
        Advanced,
        "Extra jars the job needs (connectors, UDFs): comma-separated https URLs, local:// paths in \
         the image, or (session mode) files on the gateway. Kubernetes targets deliver them.",
    ),
    opt("description", Text, Advanced, "What the pipeline is for."),
];

/// Engine settings passed through as they are (`'flink.table.exec.mini-batch.enabled' = 'true'`).
pub const PASSTHROUGH: &[&str] = &["flink.", "seatunnel."];

/// How a pipeline runs: its options, typed, with defaults applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub engine: PipelineEngine,
    pub streaming: bool,
    pub target: Option<String>,
    pub parallelism: u32,
    /// `job_name`, when given (else jobs are named after the pipeline).
    pub job_name: Option<String>,
    /// How often a streaming job checkpoints.
    pub checkpoint_interval: std::time::Duration,
    /// How the local target treats the sinks' existing rows.
    pub write_mode: WriteMode,
    /// Rows per multi-row INSERT on the local target (else the target's).
    pub batch_size: Option<usize>,
    /// What one transaction of the local target covers.
    pub transaction: TransactionScope,
    /// Tables the local target copies at once (else the gateway's cores).
    pub workers: Option<usize>,
    /// Extra jars (`jars`), in the order given.
    pub jars: Vec<String>,
    /// Every option with a value (given or default), by key — for the engines' settings.
    pub values: Vec<(&'static OptionSpec, String)>,
    /// `flink.*` / `seatunnel.*` settings given as they are (prefix removed).
    pub flink_passthrough: Vec<(String, String)>,
    pub seatunnel_passthrough: Vec<(String, String)>,
}

impl Settings {
    /// The settings of validated `options`; an engine or mode outside the schema's (only
    /// in options that were never validated, as in a damaged catalog) is 22023.
    pub fn new(options: &crate::connectors::ResolvedOptions) -> Result<Settings> {
        use crate::connectors::StoredValue;
        let text = |key: &str| match options.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            _ => OPTIONS.iter().find(|o| o.name == key).and_then(|o| o.default).map(str::to_owned),
        };
        let values = OPTIONS.iter().filter_map(|o| text(o.name).map(|v| (o, v))).collect();
        let passthrough = |prefix: &str| {
            options
                .0
                .iter()
                .filter_map(|(k, v)| match v {
                    StoredValue::Text(v) => k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())),
                    StoredValue::Secret { .. } => None,
                })
                .collect()
        };
        let parsed = |key: &str| text(key).unwrap_or_default();
        let invalid = |message: String| SluiceError::InvalidOption {
            message: format!("pipeline option {message}"),
            hint: None,
        };
        let engine: PipelineEngine = parsed("engine").parse().map_err(invalid)?;
        let mode: PipelineMode = parsed("mode").parse().map_err(invalid)?;
        Ok(Settings {
            engine,
            streaming: mode == PipelineMode::Streaming,
            target: text("target"),
            parallelism: text("parallelism").and_then(|p| p.parse().ok()).unwrap_or(1),
            job_name: text("job_name"),
            checkpoint_interval: std::time::Duration::from_millis(
                text("checkpoint_interval").and_then(|i| crate::units::parse_millis(&i)).unwrap_or(60_000),
            ),
            write_mode: parsed("write_mode").parse().map_err(invalid)?,
            batch_size: text("batch_size").and_then(|b| b.parse().ok()),
            transaction: parsed("transaction").parse().map_err(invalid)?,
            workers: text("workers").and_then(|w| w.parse().ok()).filter(|w| *w > 0),
            jars: text("jars")
                .map(|j| j.split(',').map(str::trim).filter(|j| !j.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            values,
            flink_passthrough: passthrough("flink."),
            seatunnel_passthrough: passthrough("seatunnel."),
        })
    }

    pub fn mode(&self) -> PipelineMode {
        if self.streaming { PipelineMode::Streaming } else { PipelineMode::Batch }
    }

    /// The job's name on its engine: the `job_name` option, else the pipeline's name.
    pub fn job_name<'a>(&'a self, pipeline: &'a str) -> &'a str {
        self.job_name.as_deref().unwrap_or(pipeline)
    }

    /// The value of option `key` (given or default).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.iter().find(|(o, _)| o.name == key).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_lists_exactly_the_engines_and_modes_the_store_keeps() {
        let engines: Vec<&str> = PipelineEngine::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(engines, ENGINES);
        let mut modes: Vec<&str> = PipelineMode::ALL.iter().map(|m| m.as_str()).collect();
        let mut listed = MODES.to_vec();
        modes.sort();
        listed.sort();
        assert_eq!(modes, listed);
        let write_modes: Vec<&str> = WriteMode::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(write_modes, WRITE_MODES);
        let scopes: Vec<&str> = TransactionScope::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(scopes, TRANSACTIONS);
    }

    #[test]
    fn an_engine_outside_the_schema_is_refused_not_defaulted() {
        use crate::connectors::{ResolvedOptions, StoredValue};
        let options = ResolvedOptions([("engine".to_owned(), StoredValue::Text("spark".into()))].into());
        let err = Settings::new(&options).expect_err("unknown engine");
        assert_eq!(err.sqlstate().code(), "22023");
        assert!(err.to_string().contains("'spark'"), "{err}");
    }
}
