//! One shape for every schema language, as Confluent Schema Registry sees each language
//! through a `SchemaProvider` (`parseSchema`) giving a `ParsedSchema` (`canonicalString`,
//! `normalize`, `references`, `isBackwardCompatible`).
//!
//! [`provider`] is the one place that asks "which format": it maps a [`SchemaType`] to its
//! [`SchemaProvider`] ([`avro`], [`protobuf`], [`json`], one file each). A provider parses and
//! validates a schema with its references ([`SchemaInput`]) into a [`Parsed`] schema, which
//! knows its canonical text, its `normalize=true` form, its fingerprint, and how to compare
//! itself with other versions ([`Parsed::compat`], the checker's view). The registry, the
//! lock, the checker and the CLI use this instead of matching on the schema type themselves.
//!
//! ```
//! use schemaflow_schema::compat::SchemaInput;
//! use schemaflow_schema::format;
//! use schemaflow_schema::SchemaType;
//!
//! let a = format::parse(&SchemaInput::new(SchemaType::Json, r#"{"type": "object", "title": "A"}"#, "a"))?;
//! let b = format::parse(&SchemaInput::new(SchemaType::Json, r#"{"title":"A","type":"object"}"#, "b"))?;
//! assert_eq!(a.canonical_string(), r#"{"type":"object","title":"A"}"#);
//! assert_ne!(a.identity(false), b.identity(false)); // key order counts…
//! assert_eq!(a.identity(true), b.identity(true)); // …unless normalized
//! assert_eq!(a.fingerprint(), b.fingerprint());
//! # Ok::<(), schemaflow_schema::Error>(())
//! ```

pub mod avro;
pub mod json;
pub mod protobuf;

use sha2::{Digest, Sha256};

use crate::compat::{self, SchemaInput};
use crate::error::Result;
use crate::SchemaType;

/// What a schema language provides (Confluent's `SchemaProvider`).
pub trait SchemaProvider: Send + Sync {
    /// The language.
    fn schema_type(&self) -> SchemaType;

    /// Parse and validate `input` with its references; errors name `input.label` and, for
    /// JSON Schema, the keyword and JSON pointer at fault.
    fn parse(&self, input: &SchemaInput) -> Result<Parsed>;
}

/// The provider of a schema type: the one `match` on [`SchemaType`] the callers share.
pub fn provider(schema_type: SchemaType) -> &'static dyn SchemaProvider {
    match schema_type {
        SchemaType::Avro => &avro::AvroProvider,
        SchemaType::Protobuf => &protobuf::ProtobufProvider,
        SchemaType::Json => &json::JsonProvider,
    }
}

/// [`provider`]`(input.schema_type).parse(input)`.
pub fn parse(input: &SchemaInput) -> Result<Parsed> {
    provider(input.schema_type).parse(input)
}

/// A parsed, valid schema (Confluent's `ParsedSchema`).
#[derive(Debug)]
pub struct Parsed {
    schema_type: SchemaType,
    canonical: String,
    normalized: String,
    fingerprint: String,
    compat: compat::ParsedSchema,
}

impl Parsed {
    /// Built by a provider: its canonical text, its normalized text, the bytes its fingerprint
    /// hashes, and its comparable form.
    pub(crate) fn new(
        schema_type: SchemaType,
        canonical: String,
        normalized: String,
        fingerprinted: &[u8],
        compat: compat::ParsedSchema,
    ) -> Parsed {
        Parsed {
            schema_type,
            canonical,
            normalized,
            fingerprint: sha256(fingerprinted),
            compat,
        }
    }

    /// Its language.
    pub fn schema_type(&self) -> SchemaType {
        self.schema_type
    }

    /// Confluent's `canonicalString()` (JSON Schema: compact, keys as written; Avro: the JSON
    /// with sorted keys; Protobuf: the descriptor without file name, source info and
    /// `json_name`, hex-encoded).
    pub fn canonical_string(&self) -> &str {
        &self.canonical
    }

    /// Confluent's `normalize()` form (`normalize=true` on register and lookup; JSON Schema:
    /// keys sorted at every level).
    pub fn normalized_string(&self) -> &str {
        &self.normalized
    }

    /// What identifies the schema in a subject: the canonical text, or the normalized one
    /// when the caller asked to normalize.
    pub fn identity(&self, normalize: bool) -> &str {
        if normalize {
            &self.normalized
        } else {
            &self.canonical
        }
    }

    /// `sha256:<hex>` of the language's normal form (Avro: Parsing Canonical Form; Protobuf:
    /// the `FileDescriptorProto` without source info and file name; JSON Schema: the
    /// normalized text). Layout does not count, content does; references have their own.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The form the compatibility checker compares ([`compat::differences`]).
    pub fn compat(&self) -> &compat::ParsedSchema {
        &self.compat
    }
}

fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}
