//! Sluice: a SQL-first gateway for data pipelines that speaks the PostgreSQL protocol.
//!
//! How a statement flows (see DESIGN.md): the wire layer ([`server`]) receives it,
//! [`sql`] parses it, [`handler`] routes it to the file for its kind, which binds it
//! against the catalog ([`engine`], `sluice-catalog`) and replies with rows or a tag.

pub mod artifacts;
pub mod bootstrap;
pub mod client;
pub mod compile;
pub mod config;
pub mod connectors;
pub mod deploy;
pub mod engine;
pub mod error;
pub mod handler;
pub mod http;
pub mod master_key;
pub mod metrics;
pub mod notice;
pub mod parameters;
pub mod plan;
pub mod runtime;
pub mod scheduler;
pub mod secrets;
pub mod server;
pub mod service;
pub use sluice_sql as sql;
pub mod sync;
pub mod tls;
pub use sluice_sql::units;
pub mod version;

/// A failure that stops the gateway from starting; the message says what to fix.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl From<sluice_catalog::StoreError> for StartError {
    fn from(e: sluice_catalog::StoreError) -> Self {
        StartError(e.to_string())
    }
}

impl From<std::io::Error> for StartError {
    fn from(e: std::io::Error) -> Self {
        StartError(e.to_string())
    }
}
