//! What a generated type knows about its schema.
//!
//! `build.rs` implements [`GeneratedSchema`] for every top-level Avro type and every Protobuf
//! message, so the producer can register the exact text the team wrote (not a canonical form)
//! and the consumer knows which message of a `.proto` file it expects.

use std::fmt;
use std::str::FromStr;

/// The schema languages a Confluent registry knows, in the registry's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaType {
    /// Apache Avro (`AVRO`, the registry's default when `schemaType` is absent).
    Avro,
    /// Protocol Buffers (`PROTOBUF`).
    Protobuf,
    /// JSON Schema (`JSON`). Known to the registry; not generated or checked by schemaflow yet.
    Json,
}

impl SchemaType {
    /// The registry's name: `AVRO`, `PROTOBUF` or `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text given was not a schema type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown schema type {0:?}: expected AVRO, PROTOBUF or JSON")]
pub struct UnknownSchemaType(pub String);

impl FromStr for SchemaType {
    type Err = UnknownSchemaType;

    /// Case-insensitive; `avro`, `protobuf`/`proto`, `json`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "PROTOBUF" | "PROTO" => Ok(SchemaType::Protobuf),
            "JSON" => Ok(SchemaType::Json),
            _ => Err(UnknownSchemaType(s.to_string())),
        }
    }
}

/// A schema another schema depends on, embedded at build time: an Avro named type defined in
/// another `.avsc` file, or an imported `.proto` file. Registered before the schema that uses it.
///
/// The well-known `google/protobuf/*`, `google/type/*` and `confluent/*` imports are never
/// listed: registries resolve them themselves (Confluent's `skip.known.types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedReference {
    /// The reference name a registry expects: the Avro full name, or the Protobuf import path.
    pub name: &'static str,
    /// The file it came from, relative to `schemas/` or `proto/`.
    pub file: &'static str,
    /// Its schema language.
    pub schema_type: SchemaType,
    /// The file's text, exactly as written.
    pub schema_text: &'static str,
    /// What it depends on in turn.
    pub references: &'static [GeneratedReference],
}

/// Implemented by every type `build.rs` generates.
pub trait GeneratedSchema {
    /// Avro or Protobuf.
    const SCHEMA_TYPE: SchemaType;
    /// Full name: `com.example.events.UserEvent`, `events.v1.UserEvent.LineItem`.
    const FULL_NAME: &'static str;
    /// The schema file's text, exactly as written (what gets registered).
    const SCHEMA_TEXT: &'static str;
    /// The schema file, relative to `schemas/` or `proto/`.
    const FILE: &'static str;
    /// Schemas this one depends on (see [`GeneratedReference`]).
    const REFERENCES: &'static [GeneratedReference];
    /// Protobuf: the message's index path in its file (`[0]` first top-level message,
    /// `[0, 1]` its second nested message). Empty for Avro.
    const MESSAGE_INDEXES: &'static [i32];
}
