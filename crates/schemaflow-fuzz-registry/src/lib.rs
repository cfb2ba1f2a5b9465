//! # schemaflow-fuzz-registry
//!
//! The fuzz target of the embedded registry's HTTP handlers, [`registry_http()`]: arbitrary
//! requests sent to the real router (`schemaflow_registry::router`) in process, with
//! no socket, over a fresh in-memory registry per input. `fuzz/registry/` runs it under
//! libFuzzer; this crate's test replays `fuzz/seeds/registry_http/` and
//! `fuzz/regressions/registry_http/` through it.
#![deny(missing_docs)]

pub mod registry_http;

pub use registry_http::registry_http;
