//! The compatibility gate: Avro and Protobuf rules against Confluent's verdicts, `schemaflow check`, its CI outputs and waivers, the lock.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test compat`, one file with
//! `cargo test --test compat <module>::`.

mod avro;
mod check_cli_rules;
mod check_json;
mod check_outputs;
mod check_repo;
mod check_waivers;
mod cli;
mod fixtures;
mod java;
mod lock_cli;
mod protobuf;
mod registry_cli;
