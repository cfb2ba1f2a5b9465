//! # schemaflow-fuzz-targets
//!
//! schemaflow's fuzz targets as plain functions, `pub fn <target>(data: &[u8])`, one file per
//! target. `fuzz/` (cargo-fuzz, its own workspace) runs each under libFuzzer from a one-line
//! `fuzz_target!`; this crate's tests replay every committed input under
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through the same functions, so a
//! finding once fixed stays fixed in `cargo test`. A target panics only on a bug: outside
//! data must come back as a typed error, and what decodes must round-trip.
//!
//! The registry's HTTP handlers live in the main crate (which links librdkafka); their target
//! is in `crates/schemaflow-fuzz-registry`, so this crate stays free of it.
#![deny(missing_docs)]

pub mod avro_decode;
pub mod avro_resolve;
pub mod avsc_parse;
pub mod compat_check;
pub mod frame_to_json;
pub mod json_line_to_frame;
pub mod proto_compile;
pub mod protobuf_decode;
pub mod runtime;
pub mod samples;
pub mod wire_frame;

pub use avro_decode::avro_decode;
pub use avro_resolve::avro_resolve;
pub use avsc_parse::avsc_parse;
pub use compat_check::compat_check;
pub use frame_to_json::frame_to_json;
pub use json_line_to_frame::json_line_to_frame;
pub use proto_compile::proto_compile;
pub use protobuf_decode::protobuf_decode;
pub use wire_frame::wire_frame;

/// A fuzz target: its name (of its file here, its `fuzz/fuzz_targets/` binary and its input
/// folders) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target of this crate.
pub const TARGETS: &[Target] = &[
    ("wire_frame", wire_frame),
    ("avro_decode", avro_decode),
    ("avro_resolve", avro_resolve),
    ("protobuf_decode", protobuf_decode),
    ("frame_to_json", frame_to_json),
    ("avsc_parse", avsc_parse),
    ("proto_compile", proto_compile),
    ("json_line_to_frame", json_line_to_frame),
    ("compat_check", compat_check),
];
