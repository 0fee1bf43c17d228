//! Sluice's metadata catalog.
//!
//! * [`store`] — the metadata model persisted with sqlx in SQLite (default, a file in the
//!   data directory) or PostgreSQL (when several gateways share one catalog). One schema,
//!   two dialects: `migrations/sqlite` and `migrations/postgres` at the workspace root.
//! * [`system`] — the same catalog as DataFusion tables in schema `sluice`, so that
//!   `SELECT * FROM sluice.sources` and every BI tool can browse it.
//! * [`pg`] — `pg_catalog` with PostgreSQL's column types, over datafusion-pg-catalog.
//! * [`pg_context`] — roles for `pg_catalog` (through datafusion-pg-catalog).
//! * [`settings`] — the enums the store keeps as text (engines, modes, states).

pub mod error;
pub mod model;
pub mod pg;
pub mod pg_context;
pub mod privileges;
pub mod settings;
pub mod store;
pub mod system;
pub mod time;

pub use error::StoreError;
pub use model::{
    ColumnRecord, DeploymentChange, DeploymentRecord, LineageEdge, LineageTable, NewDeployment, NewPipeline,
    NewRole, NewRun, NewSource, PipelineLineage, PipelineRecord, PipelineVersion, Role, RoleChanges,
    RunRecord, RunTaskRecord, ScheduleRecord, ScheduleTask, SecretInfo, SecretRecord, SourceRecord,
    SyncRecord, SyncTableRecord, TableRecord, TargetRecord, TaskChange,
};
pub use settings::{DeploymentState, JobEngine, PipelineEngine, PipelineMode};
pub use store::{Backend, CatalogLock, Store};
