//! Sluice's SQL dialect.
//!
//! [`parse`] wraps DataFusion's [`DFParser`](datafusion_sql::parser::DFParser) (PostgreSQL
//! dialect): gateway statements are recognised from the token stream and parsed into
//! Sluice's own AST ([`GatewayStatement`]); everything else is left to DataFusion. Every
//! statement keeps the span of its text in the input so that positions in errors are
//! PostgreSQL-style character offsets into what the client sent.
//!
//! A crate of its own so that nothing in it can reach the gateway (it depends on
//! DataFusion's SQL parser alone), and so that its fuzz targets (`fuzz/`) build small.

pub mod ast;
mod bounded;
pub mod error;
pub mod exprs;
mod grammar;
mod kind;
pub mod parameters;
mod parse_apply;
mod parse_grant;
mod parse_lineage;
mod parse_pipeline;
mod parse_role;
mod parse_schedule;
mod parse_show_create;
mod parse_source;
mod parse_sync;
mod parse_table;
mod parse_target;
mod parser;
pub mod placeholders;
pub mod redact;
mod text;
pub mod units;
pub mod window;

pub use ast::{GatewayStatement, Ident, Password, RoleOption};
pub use kind::StatementKind;
pub use parse_pipeline::parse_body as parse_pipeline_body;
pub use parse_schedule::parse_tasks as parse_schedule_tasks;
pub use parser::{Parsed, Statement, parse};
pub use text::LineIndex;

/// The one gateway statement `sql` holds (tests of the statement parsers).
#[cfg(test)]
pub(crate) fn gateway(sql: &str) -> GatewayStatement {
    match parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).remove(0).statement {
        Statement::Gateway(g) => g,
        other => panic!("{sql} is not a gateway statement: {other:?}"),
    }
}

/// Asserts that gateway statement `sql`, written as its `Display` writes it, prints back
/// as `sql` and parses again into the same statement.
#[cfg(test)]
pub(crate) fn assert_round_trip(sql: &str) {
    let first = gateway(sql);
    assert_eq!(first.to_string(), sql);
    assert_eq!(gateway(&first.to_string()), first);
}
