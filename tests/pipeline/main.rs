//! The typed producer/consumer on a real broker: groups, parallel processing, exactly-once.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test pipeline`, one file with
//! `cargo test --test pipeline <module>::`.

#[path = "../common/mod.rs"]
mod common;

mod chaos;
mod cluster_chaos;
mod cluster_faults;
mod consumer_groups;
mod consumer_in_place;
mod data_contracts;
mod exactly_once;
mod exactly_once_mock;
mod network_faults;
mod parallel_consumer;
mod producer_consumer;
mod producer_in_flight;
mod producer_json_schema;
mod producer_partitioner;
