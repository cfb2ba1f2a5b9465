//! A schema version's fingerprint: what makes two texts the same schema (see [`super`]).

use prost::Message as _;
use sha2::{Digest, Sha256};

use crate::compat::avro::AvroCompatSchema;
use crate::compat::protobuf::ProtoCompatSchema;
use crate::compat::SchemaInput;
use crate::error::{Error, Result};
use crate::SchemaType;

/// `sha256:<hex>` of the normalised schema: Avro's Parsing Canonical Form, or Protobuf's
/// `FileDescriptorProto` without source positions and under a fixed file name. The input's
/// references are needed to parse it, but are not part of the fingerprint (they have theirs).
pub fn fingerprint(input: &SchemaInput) -> Result<String> {
    let bytes = match input.schema_type {
        SchemaType::Avro => {
            crate::avro::canonical_form(AvroCompatSchema::parse(input)?.schema()).into_bytes()
        }
        SchemaType::Protobuf => {
            let parsed = ProtoCompatSchema::parse(input)?;
            let mut fdp = parsed.file().file_descriptor_proto().clone();
            // Comments and layout live in source_code_info; the name is where the file sat.
            fdp.source_code_info = None;
            fdp.name = None;
            fdp.encode_to_vec()
        }
        SchemaType::Json => {
            return Err(Error::UnsupportedSchemaType {
                schema_type: SchemaType::Json.to_string(),
                operation: "locking",
            })
        }
    };
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_does_not_count_content_does() {
        let a = SchemaInput::new(
            SchemaType::Avro,
            r#"{"type":"record","name":"U","namespace":"x","doc":"one","fields":[{"name":"a","type":"int"}]}"#,
            "a",
        );
        let b = SchemaInput::new(
            SchemaType::Avro,
            "{\n  \"namespace\": \"x\", \"name\": \"U\",\n  \"type\": \"record\",\n  \"fields\": [{\"type\": \"int\", \"name\": \"a\"}]\n}",
            "b",
        );
        let c = SchemaInput::new(
            SchemaType::Avro,
            r#"{"type":"record","name":"U","namespace":"x","fields":[{"name":"a","type":"long"}]}"#,
            "c",
        );
        let fa = fingerprint(&a).expect("a");
        assert!(fa.starts_with("sha256:") && fa.len() == 7 + 64, "{fa}");
        assert_eq!(fa, fingerprint(&b).expect("b"));
        assert_ne!(fa, fingerprint(&c).expect("c"));

        let p1 = SchemaInput::new(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\npackage p;\n// a comment\nmessage M { string a = 1; }\n",
            "p1",
        );
        let p2 = SchemaInput::new(
            SchemaType::Protobuf,
            "syntax = \"proto3\"; package p;\n\n\nmessage M {\n  string a = 1;\n}",
            "p2",
        );
        let p3 = SchemaInput::new(
            SchemaType::Protobuf,
            "syntax = \"proto3\"; package p; message M { int64 a = 1; }",
            "p3",
        );
        let f1 = fingerprint(&p1).expect("p1");
        assert_eq!(f1, fingerprint(&p2).expect("p2"));
        assert_ne!(f1, fingerprint(&p3).expect("p3"));
    }
}
