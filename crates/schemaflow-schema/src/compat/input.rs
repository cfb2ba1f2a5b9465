//! What the checker compares: a schema's text, its references and how findings name it.
//! Its own file so the per-language checkers ([`super::avro`], [`super::protobuf`]) and the
//! dispatcher in [`super`] depend on it without depending on each other.

use crate::SchemaType;

/// A schema to compare: its text and the schemas it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInput {
    /// Avro, Protobuf or JSON Schema.
    pub schema_type: SchemaType,
    /// The schema text. Protobuf: `.proto` source, or a base64-encoded serialized
    /// `FileDescriptorProto` (the form Confluent's Python client registers).
    pub text: String,
    /// `(reference name, schema text)`: the Avro full name, the Protobuf import path or the
    /// JSON Schema reference name (what its `$ref`s say), for all transitive dependencies,
    /// dependencies first. `google/protobuf/*` and `google/type/*`
    /// imports resolve without being given.
    pub references: Vec<(String, String)>,
    /// How findings name this schema: a file path, or `version 3`.
    pub label: String,
}

impl SchemaInput {
    /// A schema without references.
    pub fn new(schema_type: SchemaType, text: impl Into<String>, label: impl Into<String>) -> Self {
        SchemaInput {
            schema_type,
            text: text.into(),
            references: Vec::new(),
            label: label.into(),
        }
    }

    /// Add references (`(name, text)`, dependencies first).
    pub fn with_references(mut self, references: Vec<(String, String)>) -> Self {
        self.references = references;
        self
    }
}
