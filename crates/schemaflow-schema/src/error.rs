//! The schema layer's error: one variant per failed parse, resolution, encode or decode, each
//! saying what failed and on what, so a log line is enough to act on.
//!
//! Every one of them is the fault of the bytes or the schema in hand, never of the
//! environment: retrying cannot help, and a consumer dead-letters the record (schemaflow's
//! `Error::fault` answers `Fault::Record` for all of them).

use crate::wire::{SchemaId, WireError};

/// Result with the schema layer's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything parsing schemas and encoding or decoding frames can fail at.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a Confluent frame (empty, short, bad magic, bad message indexes).
    #[error("reading the schema-registry frame: {0}")]
    Frame(#[from] WireError),

    /// An Avro schema did not parse (or a reference it names is missing).
    #[error("parsing Avro schema {name}: {reason}")]
    ParseAvroSchema {
        /// The schema's name or source.
        name: String,
        /// The parser's reason.
        reason: String,
    },

    /// A Protobuf schema did not parse or does not contain the wanted message.
    #[error("parsing Protobuf schema {name}: {reason}")]
    ParseProtobufSchema {
        /// The schema's file or message name.
        name: String,
        /// The parser's reason.
        reason: String,
    },

    /// A JSON Schema is not valid for its draft (its meta-schema rejects it), or a `$ref` in it
    /// does not resolve. The registry answers `42201` with it.
    #[error("parsing JSON Schema {name}: {source}")]
    ParseJsonSchema {
        /// The schema's name or source.
        name: String,
        /// Where and why: the keyword and its JSON pointer.
        source: InvalidJsonSchema,
    },

    /// Data written with one Avro schema cannot be read with another (Avro's resolution rules).
    #[error("Avro data written with {writer} cannot be read as {reader}: {source}")]
    ResolveAvroSchema {
        /// The writer schema's name.
        writer: String,
        /// The reader schema's name.
        reader: String,
        /// Which rule failed, and where (typed).
        source: Box<crate::avro::ResolveError>,
    },

    /// A value did not serialize with its Avro schema.
    #[error("encoding Avro {type_name}: {reason}")]
    EncodeAvro {
        /// The Rust type or schema name.
        type_name: String,
        /// What went wrong.
        reason: String,
    },

    /// Avro bytes did not decode (corrupt, truncated, or not of the writer schema).
    #[error("decoding Avro {type_name} written with schema id {schema_id}: {source}")]
    DecodeAvro {
        /// The Rust type or schema name.
        type_name: String,
        /// The writer schema id from the frame.
        schema_id: SchemaId,
        /// What went wrong, typed (truncated, bad length, bad branch, …).
        source: crate::avro::AvroDecodeError,
    },

    /// Protobuf bytes did not decode.
    #[error("decoding Protobuf {type_name} written with schema id {schema_id}: {source}")]
    DecodeProtobuf {
        /// The message type.
        type_name: String,
        /// The writer schema id from the frame.
        schema_id: SchemaId,
        /// prost's reason.
        source: prost::DecodeError,
    },

    /// The frame's message indexes name another message of the writer's `.proto` file.
    #[error("schema id {schema_id}: the frame holds message {found:?} of its .proto file, but {type_name} is message {expected:?}")]
    MessageIndexMismatch {
        /// The writer schema id.
        schema_id: SchemaId,
        /// The type asked for.
        type_name: String,
        /// Its index path.
        expected: Vec<i32>,
        /// The index path in the frame.
        found: Vec<i32>,
    },

    /// The writer schema is of another language than the type asked for.
    #[error("{type_name} is {expected}, but the frame's schema is {found}")]
    SchemaTypeMismatch {
        /// The type asked for.
        type_name: String,
        /// Its schema type.
        expected: crate::SchemaType,
        /// The writer schema's type.
        found: crate::SchemaType,
    },

    /// The operation does not support this schema type (e.g. locking a JSON Schema).
    #[error("{operation} is not supported for {schema_type} schemas")]
    UnsupportedSchemaType {
        /// The schema type given.
        schema_type: String,
        /// What was asked for.
        operation: &'static str,
    },

    /// A JSON value does not fit the schema it is being encoded with (the CLI's `produce`).
    #[error("encoding JSON at {path}: {reason}")]
    EncodeJson {
        /// Where in the JSON value, as a JSON path (`$`, `$.device.platform`, `$.tags[2]`).
        path: String,
        /// What is wrong there.
        reason: String,
    },

    /// A value could not be turned into JSON (or JSON into a value).
    #[error("converting to JSON: {0}")]
    Json(String),

    /// A value does not match its JSON Schema: refused on serialize, or a record whose value
    /// breaks its writer schema on deserialize (the record's fault: dead-lettered).
    #[error("JSON value for schema id {schema_id} does not match its schema: {source}")]
    InvalidJsonValue {
        /// The schema id the value was written (or is being written) with.
        schema_id: SchemaId,
        /// Where in the value, which keyword, and why.
        source: Box<JsonValidationError>,
    },
}

/// Why a JSON value fails its JSON Schema: the first violation the validator found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonValidationError {
    /// Where in the value, as a JSON pointer (`/address/zip`; empty for the whole value).
    pub pointer: String,
    /// The schema keyword that failed (`required`, `type`, `pattern`, `additionalProperties`).
    pub keyword: String,
    /// Where that keyword sits in the schema, as a JSON pointer (`/properties/address/...`).
    pub schema_path: String,
    /// What is wrong, in the validator's words.
    pub reason: String,
}

impl std::fmt::Display for JsonValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "the root"
        } else {
            &self.pointer
        };
        write!(
            f,
            "at {at}: keyword {} (schema {}): {}",
            self.keyword, self.schema_path, self.reason
        )
    }
}

impl std::error::Error for JsonValidationError {}

/// Why a JSON Schema is not valid: the keyword at fault, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidJsonSchema {
    /// The schema keyword at fault (`type`, `minLength`, `$ref`), or `json` when the text is
    /// not JSON at all.
    pub keyword: String,
    /// Its JSON pointer in the document, as a URI fragment (`#/properties/a/minLength`;
    /// `#` for the root).
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for InvalidJsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "keyword {} at {}: {}",
            self.keyword, self.pointer, self.reason
        )
    }
}

impl std::error::Error for InvalidJsonSchema {}
