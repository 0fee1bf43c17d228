//! Integration tests: real clients against a real Sluice server.

mod common;

mod auth;
mod catalog;
mod clients;
mod errors;
mod fixtures;
mod http;
mod secret_leaks;
mod slt;
mod sources;
mod startup;
mod wire;
