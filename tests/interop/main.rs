//! Interop with Java and Python services (Confluent's serializers and client) over a real broker and registry.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test interop`, one file with
//! `cargo test --test interop <module>::`.

#[path = "../common/mod.rs"]
mod common;

mod java;
#[path = "../codec/json_schema_sample.rs"]
mod json_schema_sample;
mod python_header_ids;
mod python_json_schema;
mod python_registry;
mod python_rules;
