//! Schema registry: a client, and an embedded Confluent-compatible server.
//!
//! * [`types`]: the registry's vocabulary (subjects, versions, schemas, references,
//!   compatibility levels, modes) with Confluent's JSON shapes.
//! * [`error`]: the registry's error codes and the response error of a failed call.
//! * [`client`]: one method per REST call, with failover, retries and auth — HTTP only.
//! * [`cache`]: the caches producers and consumers go through.
//! * [`strategy`]: subject name strategies.

pub mod cache;
pub mod client;
pub mod error;
pub mod schemas;
pub mod strategy;
pub mod types;

pub use cache::{CacheConfig, CacheStats, CachedRegistry};
pub use client::{ClientConfig, RegistryClient, SchemaById};
pub use error::{ErrorCode, RegistryError, TlsProblem};
pub use schemas::{register_generated, SchemaResolver};
pub use strategy::SubjectNameStrategy;
pub use types::{
    CompatibilityLevel, CompatibilityResult, Mode, RegisteredSchema, Schema, SchemaReference,
    Subject, Version,
};
