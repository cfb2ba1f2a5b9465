//! Codecs: Avro (generated and generic), Protobuf, JSON, hostile bytes, and Confluent's golden frames.
//!
//! One test binary per area (each file below is a module): one link instead of one per file,
//! which keeps the test build short. Run one area with `cargo test --test codec`, one file with
//! `cargo test --test codec <module>::`.

#[path = "../common/mod.rs"]
mod common;

/// The test- and bench-only Avro samples (`tests/avro_samples/`), generated ahead by
/// schemaflow-build; shared by the generated-codec and hostile-bytes tests.
#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod avro_samples {
    include!("../avro_samples/generated.rs");
}

mod avro;
mod avro_generated;
mod avro_hostile;
mod avro_views;
mod golden_confluent;
mod json;
mod json_generated;
mod json_schema;
mod json_schema_golden;
mod json_schema_sample;
mod protobuf;
