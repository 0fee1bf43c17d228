//! Integration tests: real clients against a real Sluice server.

mod common;

mod auth;
mod bi_startup;
mod catalog;
mod clients;
mod declared;
mod errors;
mod fan_out;
mod federation;
mod frontends;
mod gravitino;
mod hocon;
mod http;
mod k8s_schema;
mod kubernetes_session;
mod kubernetes_target;
mod limits;
mod master_key;
mod mysql_tls;
mod pipeline_artifacts;
mod pipelines;
mod preview;
mod privileges;
mod run_flink;
mod run_local;
mod schedules;
mod seatunnel_target;
mod secret_leaks;
mod slt;
mod sources;
mod startup;
mod subqueries;
mod sync;
mod targets;
mod wire;
