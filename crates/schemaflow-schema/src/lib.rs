//! # schemaflow-schema
//!
//! The Kafka-free half of the `schemaflow` crate: everything that
//! reads, writes or compares schemas and frames, with no librdkafka, no async runtime and no
//! HTTP client, so that build scripts (the codegen, which runs the compatibility checker on a
//! lock of released schemas) and fuzz targets can depend on it.
//!
//! - [`avro`]: the one Avro schema model (physical kinds, promotions, Java's name and alias
//!   rule, the named-type walk, the binary primitives, JSON defaults as bytes).
//! - [`json_schema`]: the JSON Schema model (drafts 4 to 2020-12, Confluent's canonical form,
//!   `$ref` across the caller's references and within the document).
//! - [`protobuf`]: the one Protobuf loader (given files, then `google/protobuf`, `google/type`
//!   and Confluent's bundled files), with its base64-descriptor detector.
//! - [`wire`]: the Confluent frame (magic 0, 4-byte id, message indexes) and header-carried ids.
//! - [`codec`]: typed codecs for generated types, and any frame to JSON.
//! - [`compat`]: compatibility checks with Confluent Schema Registry's verdicts.
//! - [`format`](mod@format): one shape for the three languages (Confluent's `SchemaProvider`): parse with
//!   references, canonical and normalized forms, fingerprint, the checker's view.
//!
//! `schemaflow` re-exports all of it under the same paths (`schemaflow::codec`,
//! `schemaflow::compat`, `schemaflow::wire`, `schemaflow::Decimal`, …); depend on this crate
//! directly only where librdkafka must stay out.
#![deny(missing_docs)]

pub mod avro;
pub mod codec;
pub mod compat;
pub mod contract;
mod decimal;
pub mod error;
pub mod format;
pub mod json_schema;
pub mod lock;
pub mod protobuf;
mod schema;
pub mod wire;

pub use decimal::{Decimal, IntoUnscaled, ParseDecimalError};
pub use error::{Error, Result};
pub use schema::{GeneratedReference, GeneratedSchema, SchemaType, UnknownSchemaType};
pub use uuid::Uuid;
