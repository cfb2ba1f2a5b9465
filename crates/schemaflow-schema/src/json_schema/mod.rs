//! JSON Schema, as Confluent Schema Registry reads it.
//!
//! [`JsonSchema::parse`] takes a schema's text and the texts of the schemas it references (by
//! the reference's `name`, as Confluent's `references` with subject and version resolve to;
//! the caller looks them up), and:
//!
//! * reads the draft from `$schema` (draft-04, -06, -07, 2019-09, 2020-12; draft-07 when
//!   absent) and validates the document, and every reference, against that draft's
//!   meta-schema (the `jsonschema` crate's). A schema that breaks it is an
//!   [`Error::ParseJsonSchema`] whose [`InvalidJsonSchema`] names the keyword and its JSON
//!   pointer (the registry answers `42201` with it);
//! * resolves every `$ref` reachable from the root: inside the document (`#/definitions/..`,
//!   `#/$defs/..`, `$id`-based URIs and anchors) and to a reference by its name (or by the
//!   `$id` it declares). A `$ref` that resolves nowhere is an error too (everit's loader
//!   refuses it the same way). Recursive schemas are fine: a location is built once;
//! * keeps Confluent's canonical text ([`JsonSchema::canonical_string`]) and its
//!   `normalize=true` form ([`JsonSchema::normalized_string`]), and fingerprints the
//!   normalized form ([`JsonSchema::fingerprint`], `sha256:<hex>` like the other formats).
//!
//! Compatibility between two JSON Schemas is [`crate::compat::json`].
//!
//! ```
//! use schemaflow_schema::compat::json::{self, JsonCompatPolicy};
//! use schemaflow_schema::compat::{check, CompatibilityLevel, SchemaInput};
//! use schemaflow_schema::json_schema::JsonSchema;
//! use schemaflow_schema::SchemaType;
//!
//! let address = r#"{"type":"object","properties":{"city":{"type":"string"}}}"#;
//! let refs = vec![("address.json".to_string(), address.to_string())];
//! let v1 = r#"{"type":"object","properties":{"to":{"$ref":"address.json"}},"additionalProperties":false}"#;
//! let schema = JsonSchema::parse("v1", v1, &refs)?;
//! assert_eq!(schema.draft().as_str(), "draft-07");
//! assert!(schema.fingerprint().starts_with("sha256:"));
//!
//! // An optional property added to a closed object: compatible.
//! let v2 = r#"{"type":"object","properties":{"to":{"$ref":"address.json"},"note":{"type":"string"}},"additionalProperties":false}"#;
//! let previous = [SchemaInput::new(SchemaType::Json, v1, "version 1").with_references(refs.clone())];
//! let candidate = SchemaInput::new(SchemaType::Json, v2, "candidate").with_references(refs);
//! assert!(check(CompatibilityLevel::Backward, &previous, &candidate)?.compatible);
//! // FORWARD: version 1's closed object refuses `note`.
//! let report = json::check(CompatibilityLevel::Forward, &previous, &candidate, JsonCompatPolicy::Strict)?;
//! assert_eq!(report.findings[0].rule.id(), "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL");
//! assert_eq!(report.findings[0].path, "#/properties/note");
//! # Ok::<(), schemaflow_schema::Error>(())
//! ```

mod canonical;
mod draft;
pub(crate) mod model;
pub(crate) mod pattern;
mod uri;

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use draft::Draft;

/// Why a JSON Schema is not valid (defined with the crate's errors, which carry it).
pub use crate::error::InvalidJsonSchema;
use crate::error::{Error, Result};

/// A parsed, validated JSON Schema with its references resolved.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    text: String,
    value: Value,
    draft: Draft,
    references: Vec<(String, String)>,
    model: model::Model,
}

impl JsonSchema {
    /// Parse `text`, with `references` as `(name, text)` of every schema it references
    /// (transitively); `name` labels errors (a file path, `version 3`).
    pub fn parse(name: &str, text: &str, references: &[(String, String)]) -> Result<JsonSchema> {
        let fail = |name: &str, source: InvalidJsonSchema| Error::ParseJsonSchema {
            name: name.to_string(),
            source,
        };
        let not_json = |e: serde_json::Error| InvalidJsonSchema {
            keyword: "json".into(),
            pointer: "#".into(),
            reason: format!("not JSON: {e}"),
        };
        let value: Value = serde_json::from_str(text).map_err(|e| fail(name, not_json(e)))?;
        let draft = Draft::of(&value);
        draft
            .meta_validate(&value)
            .map_err(|source| fail(name, source))?;
        let mut ref_values = Vec::with_capacity(references.len());
        for (ref_name, ref_text) in references {
            let label = format!("{name} (reference {ref_name:?})");
            let v: Value = serde_json::from_str(ref_text).map_err(|e| fail(&label, not_json(e)))?;
            Draft::of(&v)
                .meta_validate(&v)
                .map_err(|source| fail(&label, source))?;
            ref_values.push(v);
        }
        let id_of = |v: &Value| -> Option<String> {
            let key = if Draft::of(v).uses_bare_id() {
                "id"
            } else {
                "$id"
            };
            v.get(key)
                .and_then(Value::as_str)
                .filter(|id| !id.starts_with('#'))
                .map(str::to_string)
        };
        let main_base = id_of(&value).unwrap_or_default();
        let mut docs = vec![model::Doc {
            value: &value,
            base: main_base.clone(),
            name: None,
        }];
        for ((ref_name, _), v) in references.iter().zip(&ref_values) {
            // Confluent registers each reference under its name resolved against the main
            // schema's `$id`; a reference's own `$id` names it too.
            let registered = uri::resolve(&main_base, ref_name);
            let base = id_of(v)
                .map(|id| uri::resolve(&registered, &id))
                .unwrap_or(registered);
            docs.push(model::Doc {
                value: v,
                base,
                name: Some(ref_name.clone()),
            });
        }
        let model = model::build(&docs, draft).map_err(|source| fail(name, source))?;
        Ok(JsonSchema {
            text: text.to_string(),
            value,
            draft,
            references: references.to_vec(),
            model,
        })
    }

    /// The draft it is read with.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed document.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The references it was parsed with, `(name, text)`.
    pub fn references(&self) -> &[(String, String)] {
        &self.references
    }

    /// Confluent's `canonicalString()`: the document without insignificant whitespace, keys in
    /// the order written.
    pub fn canonical_string(&self) -> String {
        canonical::compact(&self.text)
    }

    /// Confluent's `normalize()` (`normalize=true` on register and lookup): keys sorted at
    /// every level.
    pub fn normalized_string(&self) -> String {
        canonical::normalized(&self.value)
    }

    /// `sha256:<hex>` of [`normalized_string`](Self::normalized_string): layout and key order
    /// do not count, content does. References are not part of it (they have their own).
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.normalized_string().as_bytes());
        let mut hex = String::with_capacity(7 + 64);
        hex.push_str("sha256:");
        for b in digest {
            hex.push_str(&format!("{b:02x}"));
        }
        hex
    }

    pub(crate) fn model(&self) -> &model::Model {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JsonSchema> {
        JsonSchema::parse("test", text, &[])
    }

    fn invalid(text: &str) -> InvalidJsonSchema {
        match parse(text) {
            Err(Error::ParseJsonSchema { source, .. }) => source,
            other => panic!("{text}: expected ParseJsonSchema, got {other:?}"),
        }
    }

    #[test]
    fn invalid_schemas_name_keyword_and_pointer() {
        let e = invalid(r#"{"type": 5}"#);
        assert_eq!((e.keyword.as_str(), e.pointer.as_str()), ("type", "#/type"));
        let e = invalid(r#"{"properties": {"a": {"type": "strin"}}}"#);
        assert_eq!(e.pointer, "#/properties/a/type");
        let e = invalid(r##"{"properties": {"a": {"$ref": "#/definitions/missing"}}}"##);
        assert_eq!(
            (e.keyword.as_str(), e.pointer.as_str()),
            ("$ref", "#/properties/a/$ref")
        );
        assert_eq!(invalid("{").keyword, "json");
        let e = invalid(r#"{"properties": {"a": {"type": "string", "pattern": "(unclosed"}}}"#);
        assert_eq!(
            (e.keyword.as_str(), e.pointer.as_str()),
            ("pattern", "#/properties/a/pattern")
        );
        let e = invalid(r#"{"patternProperties": {"[": {}}}"#);
        assert_eq!(e.keyword, "patternProperties");
        let err = parse(r#"{"type": 5}"#).unwrap_err().to_string();
        assert!(err.contains("keyword type at #/type"), "{err}");
    }

    #[test]
    fn canonical_normalized_and_fingerprint() {
        let a = parse(
            "{\n  \"type\": \"object\",\n  \"properties\": {\"b\": {\"type\": \"string\"}}\n}",
        )
        .expect("a");
        assert_eq!(
            a.canonical_string(),
            r#"{"type":"object","properties":{"b":{"type":"string"}}}"#
        );
        assert_eq!(
            a.normalized_string(),
            r#"{"properties":{"b":{"type":"string"}},"type":"object"}"#
        );
        let b = parse(r#"{"properties":{"b":{"type":"string"}},"type":"object"}"#).expect("b");
        let c = parse(r#"{"properties":{"b":{"type":"number"}},"type":"object"}"#).expect("c");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert!(a.fingerprint().starts_with("sha256:") && a.fingerprint().len() == 71);
    }

    #[test]
    fn references_by_name_and_by_id() {
        let customer = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;
        let order = r#"{"type":"object","properties":{"customer":{"$ref":"customer.json"}}}"#;
        let refs = vec![("customer.json".to_string(), customer.to_string())];
        let s = JsonSchema::parse("order", order, &refs).expect("resolves by name");
        assert_eq!(s.references().len(), 1);
        // Against the main schema's $id, as Confluent registers references.
        let order_id = r#"{"$id":"https://example.com/schemas/order.json","properties":{"c":{"$ref":"customer.json#/properties/name"}}}"#;
        assert!(JsonSchema::parse("order", order_id, &refs).is_ok());
        // Missing reference: a typed error at the $ref.
        assert!(matches!(
            JsonSchema::parse("order", order, &[]),
            Err(Error::ParseJsonSchema { ref source, .. }) if source.keyword == "$ref"
        ));
        // $defs, $id-relative and anchors inside the document.
        let inner = r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://x.test/root.json","$defs":{"a":{"$id":"a.json","type":"string"},"b":{"$anchor":"bee","type":"number"}},"properties":{"x":{"$ref":"a.json"},"y":{"$ref":"#bee"},"z":{"$ref":"#/$defs/b"}}}"##;
        assert!(parse(inner).is_ok());
    }

    #[test]
    fn odd_documents_are_errors_or_schemas_never_panics() {
        for text in [
            "5",
            "null",
            "[]",
            "true",
            "false",
            r##"{"$ref": "#/required", "required": ["a"]}"##,
            r##"{"$ref": "#/properties", "properties": {"a": {}}}"##,
            r##"{"$ref": "#/definitions/%aé"}"##,
            r##"{"$ref": "#"}"##,
            r##"{"$ref": "http://example.com/elsewhere.json"}"##,
            r#"{"type": ["string", "null", "object"], "properties": {"a": {"not": {"not": {}}}}}"#,
            r#"{"allOf": [{}, {}, true], "anyOf": [false]}"#,
        ] {
            // Either outcome is fine; what matters is a typed answer.
            let _ = parse(text);
        }
        assert!(parse("true").is_ok());
        assert!(parse("5").is_err());
    }

    #[test]
    fn recursive_schemas_terminate() {
        let tree = r##"{"definitions":{"node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/definitions/node"}}}}},"$ref":"#/definitions/node"}"##;
        let s = parse(tree).expect("recursive");
        assert!(s.model().nodes.len() < 10);
        // A pure reference cycle is accepted and ends too.
        assert!(parse(r##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}"##).is_ok());
    }
}
