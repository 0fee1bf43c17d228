//! SQL functions Sluice registers in DataFusion.
//!
//! * [`session`] — the gateway's own helpers that PostgreSQL clients call at start-up and
//!   in catalog queries (`version()`, `current_setting()`, `current_user`, …), answered
//!   from the session rather than hard-coded.
//!
//! The Flink SQL built-ins that DataFusion lacks (so that pipeline bodies type-check and
//! preview) are added here by the pipelines work.

pub mod like;
pub mod pg_compat;
pub mod session;
