//! Typed codecs for the Confluent frame: [`avro`], [`protobuf`] and [`json_schema`] (JSON
//! Schema: serde values, validated), and [`json`] for decoding any frame to JSON given its
//! writer schema (what the CLI prints).

pub mod avro;
mod avro_datum;
mod avro_resolve;
mod avro_view;
pub mod json;
pub mod json_schema;
pub mod protobuf;

use std::sync::Arc;

pub use crate::error::{Error, Result};
use crate::wire::SchemaId;
use crate::GeneratedSchema;

/// A writer schema fetched by id, parsed and ready to decode with.
#[derive(Debug, Clone)]
pub enum WriterSchema {
    /// An Avro schema (references inlined).
    Avro(Arc<avro::AvroSchema>),
    /// A Protobuf schema (with its imports).
    Protobuf(Arc<protobuf::ProtobufSchema>),
    /// A JSON Schema (with its references) and its validator, compiled on first use.
    Json(Arc<json_schema::JsonWriterSchema>),
}

impl WriterSchema {
    /// Decode any frame written with this schema to JSON (see [`json`]).
    pub fn frame_to_json(&self, frame: &[u8]) -> Result<(SchemaId, serde_json::Value)> {
        match self {
            WriterSchema::Avro(s) => json::avro_frame_to_json(frame, s),
            WriterSchema::Protobuf(s) => s.frame_to_json(frame),
            WriterSchema::Json(s) => s.frame_to_json(frame),
        }
    }

    /// Its schema language.
    pub fn schema_type(&self) -> crate::SchemaType {
        match self {
            WriterSchema::Avro(_) => crate::SchemaType::Avro,
            WriterSchema::Protobuf(_) => crate::SchemaType::Protobuf,
            WriterSchema::Json(_) => crate::SchemaType::Json,
        }
    }
}

/// Frame encoding and decoding of a generated type; `build.rs` implements it for every
/// top-level Avro type and every Protobuf message. The producer and consumer are generic over it.
pub trait RegistryCodec: GeneratedSchema + Clone + Send + Sync + 'static {
    /// Append the frame of `self` under schema id `id` to `buf`.
    fn encode_frame(&self, id: SchemaId, buf: &mut Vec<u8>) -> Result<()>;

    /// Decode a frame written with `writer` (the schema of the frame's id) into `Self`:
    /// Avro resolves the writer schema into this type; Protobuf checks that the frame's
    /// message is this type.
    fn decode_frame(frame: &[u8], writer: &WriterSchema) -> Result<(SchemaId, Self)>;

    /// [`decode_frame`](Self::decode_frame) into `self`, reusing what `self` owns (string
    /// buffers, vectors, map entries) so that decoding record after record into one value
    /// allocates nothing once its buffers have grown. The value is the one `decode_frame`
    /// gives; on error `self` is valid but unspecified. Generated Avro types read in place;
    /// the default (and Protobuf, which has no replace-in-place merge) decodes a new value.
    fn decode_frame_into(&mut self, frame: &[u8], writer: &WriterSchema) -> Result<SchemaId> {
        let (id, value) = Self::decode_frame(frame, writer)?;
        *self = value;
        Ok(id)
    }
}

/// What a consumer decodes a record's value into: every generated type (through
/// [`RegistryCodec`]), or [`serde_json::Value`] for a record of any schema (what
/// `schemaflow consume` prints). The consumer loop is written once over this trait.
pub trait FromFrame: Clone + Send + Sync + Sized + 'static {
    /// Decode a frame (payload form: magic, id, \[indexes\], data) written with `writer`.
    fn from_frame(frame: &[u8], writer: &WriterSchema) -> Result<Self>;

    /// [`from_frame`](Self::from_frame) into an existing value, reusing its allocations where
    /// the type can ([`RegistryCodec::decode_frame_into`]); on error `self` is valid but
    /// unspecified.
    fn set_from_frame(&mut self, frame: &[u8], writer: &WriterSchema) -> Result<()> {
        *self = Self::from_frame(frame, writer)?;
        Ok(())
    }
}

impl<T: RegistryCodec> FromFrame for T {
    fn from_frame(frame: &[u8], writer: &WriterSchema) -> Result<Self> {
        Ok(T::decode_frame(frame, writer)?.1)
    }

    fn set_from_frame(&mut self, frame: &[u8], writer: &WriterSchema) -> Result<()> {
        self.decode_frame_into(frame, writer).map(|_| ())
    }
}

impl FromFrame for serde_json::Value {
    fn from_frame(frame: &[u8], writer: &WriterSchema) -> Result<Self> {
        Ok(writer.frame_to_json(frame)?.1)
    }
}
