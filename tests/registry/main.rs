//! The registry: server over real HTTP, client faults, durability of the file log, the Kafka store and its leader election.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test registry`, one file with
//! `cargo test --test registry <module>::`.

#[path = "../common/mod.rs"]
mod common;

mod authz;
mod canonical_upgrade;
mod client_faults;
mod concurrency;
mod conformance;
mod data_contracts;
mod durability;
mod http;
mod json_schema;
mod kafka_leader;
mod kafka_store;
mod kafka_write_cost;
mod log_recovery;
mod openapi;
mod rate_limit;
mod schemathesis;
mod server;
mod takeover;
mod tls;
mod ui;
