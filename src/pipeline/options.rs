//! Pipeline options: a typed schema like the source types', so unknown keys are refused.
//! The Flink names on the right are the configuration keys they become (`SET …`).

use crate::connectors::schema::{Group::*, OptionSpec, ValueType::*, opt};

const ENGINES: &[&str] = &["flink", "seatunnel", "flink-cdc"];
const MODES: &[&str] = &["streaming", "batch"];
const CHECKPOINT_MODES: &[&str] = &["exactly_once", "at_least_once"];
const RESTARTS: &[&str] = &["none", "fixed-delay", "exponential-delay"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("engine", Enum(ENGINES), Basic, "What runs the pipeline: Flink SQL, SeaTunnel, or a Flink CDC pipeline.").default("flink"),
    opt("mode", Enum(MODES), Basic, "streaming reads databases as change streams (CDC); batch reads a bounded snapshot.")
        .default("streaming")
        .maps_to("execution.runtime-mode", "job.mode"),
    opt("target", String, Basic, "Where START runs it (a target's name)."),
    opt("parallelism", Int, Basic, "Parallel tasks per operator.").default("1").maps_to("parallelism.default", "parallelism"),
    opt("job_name", String, Basic, "The job's name on the cluster (else the pipeline's).").maps_to("pipeline.name", "job.name"),
    opt("checkpoint_interval", Duration, Tuning, "How often a streaming job checkpoints.")
        .default("60s")
        .maps_to("execution.checkpointing.interval", "checkpoint.interval"),
    opt("checkpoint_mode", Enum(CHECKPOINT_MODES), Tuning, "Checkpoint guarantee.")
        .default("exactly_once")
        .maps_to("execution.checkpointing.mode", ""),
    opt("restart_strategy", Enum(RESTARTS), Tuning, "What the job does after a failure.")
        .default("exponential-delay")
        .maps_to("restart-strategy.type", ""),
    opt("restart_attempts", Int, Tuning, "Attempts of the fixed-delay strategy.").maps_to("restart-strategy.fixed-delay.attempts", ""),
    opt("state_ttl", Duration, Advanced, "How long idle state is kept (joins, aggregations).").maps_to("table.exec.state.ttl", ""),
    opt("description", String, Advanced, "What the pipeline is for."),
];

/// Engine settings passed through as they are (`'flink.table.exec.mini-batch.enabled' = 'true'`).
pub const PASSTHROUGH: &[&str] = &["flink.", "seatunnel."];
