//! Integration tests: real clients against a real Sluice server.

mod common;

mod auth;
mod catalog;
mod clients;
mod errors;
mod fixtures;
mod http;
mod slt;
mod sources;
mod secret_leaks;
mod startup;
mod wire;
