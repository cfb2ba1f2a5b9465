//! One shape for every schema language, as Confluent Schema Registry sees each language
//! through a `SchemaProvider` (`parseSchema`) giving a `ParsedSchema` (`canonicalString`,
//! `normalize`, `references`, `isBackwardCompatible`).
//!
//! [`provider`] is the one place that asks "which format": it maps a [`SchemaType`] to its
//! [`SchemaProvider`] ([`avro`], [`protobuf`], [`json`], one file each). A provider parses and
//! validates a schema with its references ([`SchemaInput`]) into a [`Parsed`] schema, which
//! knows its canonical text, its `normalize=true` form, its fingerprint, and how to compare
//! itself with other versions ([`Parsed::compat`], the checker's view). A provider also
//! answers what tools around the registry ask of a schema file: its extension, its record
//! name, the names it uses other schemas by and how those are named ([`ReferenceNaming`]),
//! and what a refused schema lacks. The registry, the lock, the checker and the CLI use this
//! instead of matching on the schema type themselves.
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

    /// The extension of its schema files, without the dot: `avsc` (what Avro's own tools and
    /// Confluent's Maven plugin take for an Avro schema; `.avro` names a data file), `proto`,
    /// `json`.
    fn file_extension(&self) -> &'static str;

    /// How its schemas name the schemas they use, which is what a reference's `name` is.
    fn reference_naming(&self) -> ReferenceNaming;

    /// Parse and validate `input` with its references; errors name `input.label` and, for
    /// JSON Schema, the keyword and JSON pointer at fault.
    fn parse(&self, input: &SchemaInput) -> Result<Parsed>;

    /// Parse `input` into the checker's view only ([`compat::ParsedSchema`]), without the
    /// canonical forms [`parse`](Self::parse) computes.
    fn parse_compat(&self, input: &SchemaInput) -> Result<compat::ParsedSchema>;

    /// The name Confluent's record-name strategies give the schema in `text` (`label` names
    /// it in errors): Avro's top-level full name, the Protobuf package and first message,
    /// JSON Schema's `title`. For [`ReferenceNaming::TypeName`] it is also the name other
    /// schemas reference it by.
    fn record_name(&self, label: &str, text: &str) -> std::result::Result<String, NoRecordName>;

    /// The names `text` may use other schemas by, in the language's [`ReferenceNaming`], in
    /// the order written, each once: Avro type names (bare and full, its own included: a
    /// superset, to be matched against what other files define), Protobuf imports (the
    /// well-known ones excepted, which are never registered), the files JSON Schema `$ref`s
    /// name. A text that does not parse far enough to tell is an error naming `label`.
    fn used_names(&self, label: &str, text: &str) -> Result<Vec<String>>;

    /// What a schema the registry refused lacks, given the names of its `references`: types
    /// written but defined nowhere that look like typos, and names used but neither defined
    /// nor referenced (the `--reference`s to add). Read from the text alone, so that it works
    /// on a schema that does not parse.
    fn unresolved(&self, text: &str, references: &[&str]) -> Unresolved;
}

/// How a language's schemas name the schemas they use (Confluent's reference `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceNaming {
    /// By the full name of a named type another schema defines (Avro:
    /// `com.example.Address`): found by what the other files define.
    TypeName,
    /// By import path below an import root (Protobuf: `events/v1/common.proto`).
    ImportPath,
    /// By a path relative to the referring file (JSON Schema: `address.json`).
    RelativePath,
}

/// Why a schema has no record name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRecordName {
    /// It parses but names nothing a record-name strategy can use: completes "…, so it has
    /// no record name" (`not a named Avro type`).
    Unnamed(&'static str),
    /// It does not parse far enough to tell.
    Invalid(String),
}

/// What [`SchemaProvider::unresolved`] finds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unresolved {
    /// Unknown types said with the closest known name (`unknown type "strng" at /fields/1/type
    /// (did you mean "string"?)`).
    pub typos: Vec<String>,
    /// Names used, defined nowhere and not referenced, each once.
    pub missing: Vec<String>,
}

/// The provider of a schema type: the one `match` on [`SchemaType`] the callers share.
pub fn provider(schema_type: SchemaType) -> &'static dyn SchemaProvider {
    match schema_type {
        SchemaType::Avro => &avro::AvroProvider,
        SchemaType::Protobuf => &protobuf::ProtobufProvider,
        SchemaType::Json => &json::JsonProvider,
    }
}

/// Every provider, in [`SchemaType`] order.
pub fn providers() -> [&'static dyn SchemaProvider; 3] {
    [
        provider(SchemaType::Avro),
        provider(SchemaType::Protobuf),
        provider(SchemaType::Json),
    ]
}

/// The schema type a file's extension names ([`SchemaProvider::file_extension`]); nothing
/// else is guessed.
pub fn from_extension(file: &std::path::Path) -> Option<SchemaType> {
    let ext = file.extension()?.to_str()?;
    providers()
        .into_iter()
        .find(|p| p.file_extension() == ext)
        .map(|p| p.schema_type())
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

    /// Confluent's `canonicalString()` (JSON Schema: compact, keys as written; Avro: Avro
    /// Java's `Schema.toString()`, compact JSON in Avro's own order with attributes as
    /// written; Protobuf: the descriptor without file name, source info and `json_name`,
    /// hex-encoded).
    pub fn canonical_string(&self) -> &str {
        &self.canonical
    }

    /// Confluent's `normalize()` form (`normalize=true` on register and lookup; JSON Schema:
    /// keys sorted at every level; Avro: the canonical text of `toNormalizedString`,
    /// attributes, aliases and default values' keys sorted).
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn extensions_name_the_types_and_nothing_else_is_guessed() {
        assert_eq!(
            from_extension(Path::new("a/b.avsc")),
            Some(SchemaType::Avro)
        );
        assert_eq!(
            from_extension(Path::new("p/x.proto")),
            Some(SchemaType::Protobuf)
        );
        assert_eq!(from_extension(Path::new("j.json")), Some(SchemaType::Json));
        assert_eq!(from_extension(Path::new("data.avro")), None);
        assert_eq!(from_extension(Path::new("README")), None);
        for p in providers() {
            assert_eq!(provider(p.schema_type()).schema_type(), p.schema_type());
        }
    }

    #[test]
    fn record_names_and_used_names_per_language() {
        let avro = provider(SchemaType::Avro);
        let user = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"a","type":["null","Address"]}]}"#;
        assert_eq!(avro.reference_naming(), ReferenceNaming::TypeName);
        assert_eq!(avro.record_name("u.avsc", user).as_deref(), Ok("shop.User"));
        assert_eq!(
            avro.record_name("s.avsc", r#""string""#),
            Err(NoRecordName::Unnamed("not a named Avro type"))
        );
        let used = avro.used_names("u.avsc", user).expect("JSON");
        assert!(used.contains(&"shop.Address".to_string()), "{used:?}");
        assert!(avro.used_names("u.avsc", "{").is_err());

        let proto = provider(SchemaType::Protobuf);
        let text = "syntax = \"proto3\";\npackage ev.v1;\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage A { Common c = 1; google.protobuf.Timestamp t = 2; }\n";
        assert_eq!(proto.reference_naming(), ReferenceNaming::ImportPath);
        assert_eq!(proto.record_name("a.proto", text).as_deref(), Ok("ev.v1.A"));
        assert_eq!(
            proto.record_name("e.proto", "syntax = \"proto3\";\n"),
            Err(NoRecordName::Unnamed("defines no message"))
        );
        assert!(matches!(
            proto.record_name("bad.proto", "message {"),
            Err(NoRecordName::Invalid(_))
        ));
        assert_eq!(
            proto.used_names("a.proto", text).expect("parses"),
            ["ev/v1/common.proto"]
        );

        let json = provider(SchemaType::Json);
        let text = r##"{"title":"Order","properties":{"a":{"$ref":"address.json"},"m":{"$ref":"common/money.json#/definitions/Money"},"d":{"$ref":"#/definitions/D"},"u":{"$ref":"https://example.com/x.json"}}}"##;
        assert_eq!(json.reference_naming(), ReferenceNaming::RelativePath);
        assert_eq!(json.record_name("o.json", text).as_deref(), Ok("Order"));
        assert!(matches!(
            json.record_name("o.json", "{}"),
            Err(NoRecordName::Unnamed(_))
        ));
        assert_eq!(
            json.used_names("o.json", text).expect("JSON"),
            ["address.json", "common/money.json"]
        );
    }

    #[test]
    fn unresolved_names_what_a_refused_schema_lacks() {
        let avro = provider(SchemaType::Avro);
        let text = r#"{"type":"record","name":"R","namespace":"t","fields":[{"name":"a","type":"com.x.Address"},{"name":"b","type":"strng"}]}"#;
        let u = avro.unresolved(text, &[]);
        assert_eq!(u.missing, ["com.x.Address"]);
        assert_eq!(u.typos.len(), 1);
        assert!(u.typos[0].contains("strng"), "{:?}", u.typos);
        assert_eq!(avro.unresolved(text, &["com.x.Address"]).missing.len(), 0);

        let proto = provider(SchemaType::Protobuf);
        let text = "import \"a/b.proto\";\nimport public \"c.proto\";\nimport \"google/protobuf/any.proto\";\nmessage {";
        assert_eq!(proto.unresolved(text, &["c.proto"]).missing, ["a/b.proto"]);
    }
}
