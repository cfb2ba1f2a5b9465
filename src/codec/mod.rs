//! Typed codecs for the Confluent frame: [`avro`] and [`protobuf`], and [`json`] for decoding
//! any frame to JSON given its writer schema (what the CLI prints).

pub mod avro;
mod avro_resolve;
pub mod json;
pub mod protobuf;
