//! SQL functions Sluice registers in DataFusion.
//!
//! * [`session`] — the gateway's own helpers that PostgreSQL clients call at start-up and
//!   in catalog queries (`version()`, `current_setting()`, `current_user`, …), answered
//!   from the session rather than hard-coded.
//!
//! * [`flink`] — the Flink SQL built-ins that DataFusion lacks, with Flink's semantics,
//!   registered where pipeline bodies are planned (so they type-check and preview).

pub mod flink;
pub mod like;
pub mod pg_compat;
pub mod pg_info;
pub mod session;
