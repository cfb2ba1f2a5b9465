//! Schema registry: a client, and an embedded Confluent-compatible server.
//!
//! * [`types`]: the registry's vocabulary (subjects, versions, schemas, references,
//!   compatibility levels, modes) with Confluent's JSON shapes.
//! * [`protocol`]: the REST protocol shared with the embedded server: content type, error
//!   codes, typed request and response bodies.
//! * [`error`]: the registry's error codes and the response error of a failed call.
//! * [`client`]: one method per REST call, with failover, retries and auth — HTTP only.
//! * [`cache`]: the caches producers and consumers go through.
//! * [`strategy`]: subject name strategies.

pub mod cache;
pub mod client;
pub mod error;
pub mod migrations;
pub mod protocol;
mod readable_schema;
pub mod schemas;
pub mod strategy;
pub mod types;

pub use cache::{CacheConfig, CacheStats, CachedRegistry};
pub use client::{ClientConfig, RegistryClient, SchemaById};
pub use error::{ErrorCode, RegistryError, TlsProblem};
pub use migrations::{Migration, ReaderVersion};
pub use schemas::{register_generated, ReadableSchema, SchemaResolver};
pub use strategy::SubjectNameStrategy;
pub use types::{
    CompatibilityLevel, CompatibilityResult, Metadata, Mode, RegisteredSchema, Rule, RuleKind,
    RuleMode, RuleSet, Schema, SchemaReference, Subject, Version,
};
