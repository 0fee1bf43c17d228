//! Integration tests: real clients against a real Sluice server.

mod common;

mod auth;
mod catalog;
mod clients;
mod errors;
mod http;
mod slt;
mod startup;
mod wire;
