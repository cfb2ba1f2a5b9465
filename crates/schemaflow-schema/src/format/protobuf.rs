//! Protobuf behind the [`SchemaProvider`] shape.

use prost::Message as _;

use super::{Parsed, SchemaProvider};
use crate::compat::protobuf::ProtoCompatSchema;
use crate::compat::{ParsedSchema, SchemaInput};
use crate::error::Result;
use crate::SchemaType;

/// Protocol Buffers (`PROTOBUF`): `.proto` text or Confluent's base64 `FileDescriptorProto`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtobufProvider;

impl SchemaProvider for ProtobufProvider {
    fn schema_type(&self) -> SchemaType {
        SchemaType::Protobuf
    }

    fn parse(&self, input: &SchemaInput) -> Result<Parsed> {
        let parsed = ProtoCompatSchema::parse(input)?;
        let mut fdp = parsed.file().file_descriptor_proto().clone();
        // Comments and layout live in source_code_info; the name is where the file sat.
        fdp.source_code_info = None;
        fdp.name = None;
        let fingerprinted = fdp.encode_to_vec();
        // `json_name` is filled in by a compiler and absent from Confluent's serialized form:
        // without it, `.proto` text and the serialized form of one file are one schema.
        fn strip(m: &mut prost_types::DescriptorProto) {
            for f in &mut m.field {
                f.json_name = None;
            }
            for n in &mut m.nested_type {
                strip(n);
            }
        }
        for m in &mut fdp.message_type {
            strip(m);
        }
        let canonical: String = fdp
            .encode_to_vec()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Parsed::new(
            SchemaType::Protobuf,
            canonical.clone(),
            canonical,
            &fingerprinted,
            ParsedSchema::Protobuf(parsed),
        ))
    }
}
