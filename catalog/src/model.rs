//! The metadata model: what the store keeps, as plain Rust values.

use crate::settings::{DeploymentState, JobEngine, PipelineEngine, PipelineMode};

/// A login or group role. Passwords are never kept: only a SCRAM-SHA-256 verifier in
/// PostgreSQL's text form (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    /// Whether its memberships pass their privileges on by default (INHERIT).
    pub inherit: bool,
    pub password_verifier: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Role")
            .field("name", &self.name)
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("has_password", &self.password_verifier.is_some())
            .finish()
    }
}

/// A role to create.
#[derive(Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    pub inherit: bool,
    pub password_verifier: Option<String>,
}

impl std::fmt::Debug for NewRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRole")
            .field("name", &self.name)
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("has_password", &self.password_verifier.is_some())
            .finish()
    }
}

/// Changes to an existing role; `None` leaves an attribute as it is.
#[derive(Clone, Default)]
pub struct RoleChanges {
    pub superuser: Option<bool>,
    pub can_login: Option<bool>,
    pub inherit: Option<bool>,
    /// `Some(None)` removes the password (`PASSWORD NULL`).
    pub password_verifier: Option<Option<String>>,
}

impl std::fmt::Debug for RoleChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleChanges")
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("password", &self.password_verifier.as_ref().map(|p| p.is_some()))
            .finish()
    }
}

impl RoleChanges {
    /// Whether applying these changes would change nothing.
    pub fn is_empty(&self) -> bool {
        self.superuser.is_none() && self.can_login.is_none() && self.password_verifier.is_none()
    }
}

/// A stored secret: its value sealed (see the gateway's `secrets` module). `Debug` shows
/// no bytes.
#[derive(Clone)]
pub struct SecretRecord {
    pub name: String,
    /// `text` or `binary`.
    pub kind: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for SecretRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRecord").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

/// A source as stored: its options as JSON in which secrets appear by name only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    pub name: String,
    pub source_type: String,
    pub options: String,
    pub status: String,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A source to create or replace, with the secrets its options refer to.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub source_type: String,
    pub options: String,
    pub secrets: Vec<String>,
}

/// A table of a source, as cached by REFRESH or declared with CREATE TABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRecord {
    pub source: String,
    /// `""` for sources without databases.
    pub database: String,
    pub name: String,
    /// `introspected` or `declared`.
    pub kind: String,
    pub definition: Option<String>,
    pub refreshed_at: i64,
}

/// A column of a cached or declared table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRecord {
    pub ordinal: i64,
    pub name: String,
    /// Sluice's (Flink SQL) type.
    pub data_type: String,
    /// The source system's own type name.
    pub source_type: String,
    pub nullable: bool,
    pub is_key: bool,
}

/// What may be shown of a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    pub name: String,
    pub kind: String,
    pub created_at: i64,
    /// Sources whose options refer to it.
    pub used_by: Vec<String>,
}

/// A pipeline as stored: its current version's options and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRecord {
    pub name: String,
    pub version: i64,
    pub engine: PipelineEngine,
    pub mode: PipelineMode,
    pub target: Option<String>,
    /// Options as given (JSON object, secrets by name).
    pub options: String,
    /// The body as normalised SQL.
    pub body: String,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A pipeline to create, replace or change; `sources` are the sources its body uses.
#[derive(Debug, Clone)]
pub struct NewPipeline {
    pub name: String,
    pub engine: PipelineEngine,
    pub mode: PipelineMode,
    pub target: Option<String>,
    pub options: String,
    pub body: String,
    pub sources: Vec<String>,
    /// Where each sink's rows come from, as the binder found it (stored with the body).
    pub lineage: Vec<LineageEdge>,
}

/// A table at either end of a lineage edge: `source.database.table`, or `source.table`
/// for sources without databases (`database` empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineageTable {
    pub source: String,
    pub database: String,
    pub table: String,
}

impl std::fmt::Display for LineageTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.database.is_empty() {
            write!(f, "{}.{}", self.source, self.table)
        } else {
            write!(f, "{}.{}.{}", self.source, self.database, self.table)
        }
    }
}

/// One edge of a pipeline's lineage: rows of `input` flow into `output`. With columns
/// (both or neither), `output_column` is computed from `input_column`; a pipeline has one
/// edge without columns per pair of tables, whatever is known of their columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineageEdge {
    pub input: LineageTable,
    pub input_column: Option<String>,
    pub output: LineageTable,
    pub output_column: Option<String>,
}

/// A stored lineage edge, with the pipeline it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineLineage {
    pub pipeline: String,
    pub edge: LineageEdge,
}

/// One row of a pipeline's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineVersion {
    pub pipeline: String,
    pub version: i64,
    pub options: String,
    pub body: String,
    pub created_by: String,
    pub created_at: i64,
}

/// A target as stored: where pipelines run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    pub name: String,
    /// `local`, `flink`, `directory`, `kubernetes`, `seatunnel`.
    pub target_type: String,
    /// Options as given (JSON object, secrets by name).
    pub options: String,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A run of a pipeline on a target, from START to its end (across SUSPEND / RESUME).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRecord {
    pub id: i64,
    pub pipeline: String,
    pub pipeline_version: i64,
    pub target: String,
    pub engine: JobEngine,
    /// The engine's id of the job (Flink's job id), once it has one.
    pub engine_job_id: Option<String>,
    pub state: DeploymentState,
    /// When it entered its state (microseconds since the epoch).
    pub since: i64,
    pub last_error: Option<String>,
    /// The last savepoint taken (STOP WITH SAVEPOINT, SUSPEND).
    pub savepoint: Option<String>,
    /// The savepoint it started or resumed from.
    pub started_from: Option<String>,
    pub rows_in: Option<i64>,
    pub rows_out: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A deployment to record before its job is submitted.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub pipeline: String,
    pub pipeline_version: i64,
    pub target: String,
    pub engine: JobEngine,
    pub state: DeploymentState,
    pub started_from: Option<String>,
}

/// What a state change of a deployment also sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct DeploymentChange {
    pub engine_job_id: Option<String>,
    /// `Some(None)` clears the last error.
    pub last_error: Option<Option<String>>,
    pub savepoint: Option<String>,
    pub started_from: Option<Option<String>>,
    pub rows_in: Option<i64>,
    pub rows_out: Option<i64>,
}

/// A whole-database sync as stored (its pipeline is stored under the same name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub name: String,
    pub source: String,
    /// The database read, or with `source_database_pattern` a regular expression over
    /// the source's database names (every matching database is read).
    pub source_database: String,
    pub source_database_pattern: bool,
    /// The INCLUDING TABLES regular expression; `None` for INCLUDING ALL.
    pub including: Option<String>,
    pub excluding: Option<String>,
    pub sink: String,
    /// `""` for sinks without databases (Kafka).
    pub sink_database: String,
    /// Options as given (JSON object).
    pub options: String,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One table a sync moves: where from, where to, its columns mapped, and the DDL that
/// creates the sink table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTableRecord {
    pub source_table: String,
    pub sink_table: String,
    /// JSON: `[{name, source_type, sink_type, flink_type, nullable, key}]`.
    pub columns: String,
    /// `CREATE TABLE IF NOT EXISTS …` in the sink's dialect (empty when the sink creates
    /// its own tables, such as Kafka topics).
    pub ddl: String,
}

/// A schedule as stored. Its tasks are kept apart ([`ScheduleTask`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub name: String,
    pub cron: String,
    /// An IANA zone name.
    pub timezone: String,
    /// Options as given (JSON object).
    pub options: String,
    /// The DAG as SQL (`BEGIN RUN PIPELINE …; END`).
    pub body: String,
    /// `active` or `paused`.
    pub state: String,
    /// The next cron time to fire (microseconds, UTC); `None` while paused.
    pub next_fire_at: Option<i64>,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One task of a schedule's DAG (or of a run): a pipeline and those it runs after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTask {
    pub pipeline: String,
    pub upstream: Vec<String>,
}

/// A run to create: one interval of a schedule, with a task per pipeline of its DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub schedule: String,
    /// `cron`, `manual` or `backfill`.
    pub trigger: String,
    /// The fire time (the end of the interval), microseconds UTC.
    pub logical_time: i64,
    pub interval_start: i64,
    pub interval_end: i64,
    pub tasks: Vec<ScheduleTask>,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: i64,
    pub schedule: Option<String>,
    pub trigger: String,
    pub logical_time: Option<i64>,
    pub interval_start: Option<i64>,
    pub interval_end: Option<i64>,
    /// queued | running | succeeded | failed | timed_out | cancelled
    pub state: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
}

/// One task of a run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTaskRecord {
    pub run: i64,
    pub pipeline: String,
    pub upstream: Vec<String>,
    /// queued | running | succeeded | failed | upstream_failed | skipped | timed_out | cancelled
    pub state: String,
    /// Attempts started so far.
    pub attempt: i64,
    /// A retry waits until then.
    pub not_before: Option<i64>,
    pub deployment: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
}

/// Fields of a run task to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TaskChange {
    pub state: Option<String>,
    pub attempt: Option<i64>,
    pub not_before: Option<Option<i64>>,
    pub deployment: Option<Option<i64>>,
    pub started_at: Option<Option<i64>>,
    pub finished_at: Option<Option<i64>>,
    pub error: Option<Option<String>>,
}
