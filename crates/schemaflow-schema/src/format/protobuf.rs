//! Protobuf behind the [`SchemaProvider`] shape.

use prost::Message as _;

use super::{NoRecordName, Parsed, ReferenceNaming, SchemaProvider, Unresolved};
use crate::compat::protobuf::{imports_of, is_well_known_import, ProtoCompatSchema};
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

    fn file_extension(&self) -> &'static str {
        "proto"
    }

    fn reference_naming(&self) -> ReferenceNaming {
        ReferenceNaming::ImportPath
    }

    fn parse_compat(&self, input: &SchemaInput) -> Result<ParsedSchema> {
        ProtoCompatSchema::parse(input).map(ParsedSchema::Protobuf)
    }

    /// The package and the file's first message (`events.v1.UserEvent`).
    fn record_name(&self, label: &str, text: &str) -> std::result::Result<String, NoRecordName> {
        let file = protox::file::File::from_source(label, text)
            .map_err(|e| NoRecordName::Invalid(e.to_string()))?;
        let fdp = file.file_descriptor_proto();
        let message = fdp.message_type.first().and_then(|m| m.name.as_deref());
        match (fdp.package.as_deref(), message) {
            (_, None) => Err(NoRecordName::Unnamed("defines no message")),
            (Some(p), Some(m)) if !p.is_empty() => Ok(format!("{p}.{m}")),
            (_, Some(m)) => Ok(m.to_string()),
        }
    }

    fn used_names(&self, label: &str, text: &str) -> Result<Vec<String>> {
        Ok(imports_of(label, text)?
            .into_iter()
            .filter(|i| !is_well_known_import(i))
            .collect())
    }

    /// The imports without a reference (read line by line: the file may not compile).
    fn unresolved(&self, text: &str, references: &[&str]) -> Unresolved {
        let missing = text
            .lines()
            .filter_map(|l| {
                let l = l.trim_start().strip_prefix("import")?.trim_start();
                let l = l
                    .strip_prefix("public")
                    .or_else(|| l.strip_prefix("weak"))
                    .unwrap_or(l)
                    .trim_start();
                let path = l.strip_prefix('"')?.split('"').next()?;
                // `google/protobuf/*` and `google/type/*` are never registered (Confluent's
                // `skip.known.types`).
                (!path.starts_with("google/protobuf/") && !path.starts_with("google/type/"))
                    .then(|| path.to_string())
            })
            .filter(|i| !references.contains(&i.as_str()))
            .collect();
        Unresolved {
            typos: Vec::new(),
            missing,
        }
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
