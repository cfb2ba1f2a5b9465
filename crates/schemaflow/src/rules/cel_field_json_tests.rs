//! Tests of the JSON Schema field walk (`cel_field_json.rs`) through a `CEL_FIELD` rule; a file
//! of their own, so that the walk does not import the rule.

use serde_json::json;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value as Json;

use super::cel_field::{CelField, FieldSource};
use super::cel_field_json::*;
use crate::codec::json_schema::JsonWriterSchema;
use crate::registry::{Metadata, RuleKind};

const ADDRESS: &str = r#"{"type": "object", "title": "Address",
  "properties": {"street": {"type": "string"}, "zip": {"type": "integer"}},
  "required": ["street"], "additionalProperties": false}"#;
const USER: &str = r##"{"type": "object", "title": "User",
  "properties": {
    "ssn": {"type": "string", "confluent:tags": ["PII"]},
    "age": {"type": "integer"},
    "email": {"type": ["null", "string"], "confluent:tags": ["PII"]},
    "kind": {"type": "string", "enum": ["A", "B"], "confluent:tags": ["PII"]},
    "aliases": {"type": "array", "items": {"type": "string"}, "confluent:tags": ["PII"]},
    "device": {"$ref": "#/definitions/Device"},
    "home": {"oneOf": [{"type": "null"}, {"$ref": "address.json"}]}
  },
  "definitions": {"Device": {"type": "object",
    "properties": {"platform": {"type": "string"}}}}}"##;

fn rule(expr: &str, kind: RuleKind, tags: &[&str], metadata: Option<&Metadata>) -> CelField {
    let schema = JsonWriterSchema::parse(
        "user",
        USER,
        &[("address.json".to_string(), ADDRESS.to_string())],
    )
    .unwrap();
    let fields = JsonFields::new(&schema, metadata).unwrap();
    let tags: BTreeSet<String> = tags.iter().map(|t| t.to_string()).collect();
    CelField::compile(expr, kind, tags, FieldSource::Json(Arc::new(fields))).unwrap()
}

fn user() -> Json {
    json!({"ssn": "123", "age": 30, "email": "a@b.c", "kind": "A", "aliases": ["al"],
           "device": {"platform": "ios"}, "home": {"street": "1 Main", "zip": 12345}})
}

#[test]
fn tags_by_keyword_and_metadata_choose_the_fields() {
    let mut metadata = Metadata::default();
    metadata
        .tags
        .insert("$.home.street".into(), ["PII".to_string()].into());
    metadata
        .tags
        .insert("**.platform".into(), ["PII".to_string()].into());
    let mask = rule(
        "typeName == 'STRING' ; 'XXX-' + fullName",
        RuleKind::Transform,
        &["PII"],
        Some(&metadata),
    );
    let mut v = user();
    assert_eq!(mask.run(&mut v, None), Ok(true));
    assert_eq!(
        v,
        json!({"ssn": "XXX-$.ssn", "age": 30, "email": "XXX-$.email", "kind": "A",
               "aliases": ["XXX-$.aliases"], "device": {"platform": "XXX-$.device.platform"},
               "home": {"street": "XXX-$.home.street", "zip": 12345}}),
        "an enum is not primitive: never masked"
    );
    // A null in the nullable field, and no home: nothing to run on.
    let mut v = json!({"ssn": "1", "email": null, "home": null});
    assert_eq!(mask.run(&mut v, None), Ok(true));
    assert_eq!(v, json!({"ssn": "XXX-$.ssn", "email": null, "home": null}));
}

#[test]
fn the_bindings_and_conditions_are_pythons() {
    let check = rule(
        "name == 'zip' ; typeName == 'INT' && value == 12345 && fullName == '$.home.zip' \
         && message.street == '1 Main' && size(tags) == 0",
        RuleKind::Condition,
        &[],
        None,
    );
    assert_eq!(check.run(&mut user(), None), Ok(true));
    let adult = rule(
        "name == 'age' ; value >= 18",
        RuleKind::Condition,
        &[],
        None,
    );
    assert_eq!(adult.run(&mut user(), None), Ok(true));
    let mut young = user();
    young["age"] = json!(3);
    assert_eq!(adult.run(&mut young, None), Ok(false));
    // Items of an array never fail a condition (Python checks the field's own value).
    let items = rule("name == 'aliases' ; false", RuleKind::Condition, &[], None);
    assert_eq!(items.run(&mut user(), None), Ok(true));
}
