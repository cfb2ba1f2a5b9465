//! The CLI as users meet it: every subcommand run as a process against a real broker and registry, the README's promises, docker-compose.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test cli`, one file with
//! `cargo test --test cli <module>::`.

#[path = "../common/mod.rs"]
mod common;

mod broker_unreachable;
mod closed_stdout;
mod config_mistakes;
mod data_contracts;
mod demo;
mod dlq_inspect;
mod docker_compose;
mod json_schema;
mod key_field;
mod logs;
mod offsets;
mod readme_use_in_your_crate;
mod register_all;
mod registry_admin;
mod registry_outage;
mod roundtrip;
mod secrets;
mod tombstones_non_finite;
mod topics;
