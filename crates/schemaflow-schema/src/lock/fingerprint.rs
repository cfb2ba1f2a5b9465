//! A schema version's fingerprint: what makes two texts the same schema (see [`super`]).

use crate::compat::SchemaInput;
use crate::error::Result;

/// `sha256:<hex>` of the normalised schema ([`crate::format::Parsed::fingerprint`]): Avro's
/// Parsing Canonical Form, Protobuf's `FileDescriptorProto` without source positions and
/// under a fixed file name, JSON Schema's normalized text (keys sorted). The input's
/// references are needed to parse it, but are not part of the fingerprint (they have theirs).
pub fn fingerprint(input: &SchemaInput) -> Result<String> {
    Ok(crate::format::parse(input)?.fingerprint().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemaType;

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

        let j1 = SchemaInput::new(SchemaType::Json, r#"{"type":"object","title":"J"}"#, "j1");
        let j2 = SchemaInput::new(
            SchemaType::Json,
            "{\n  \"title\": \"J\",\n  \"type\": \"object\"\n}",
            "j2",
        );
        let j3 = SchemaInput::new(SchemaType::Json, r#"{"type":"array","title":"J"}"#, "j3");
        let fj = fingerprint(&j1).expect("j1");
        assert_eq!(fj, fingerprint(&j2).expect("j2"));
        assert_ne!(fj, fingerprint(&j3).expect("j3"));
    }
}
