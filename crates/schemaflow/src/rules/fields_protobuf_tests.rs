//! Tests of the Protobuf field walk (`fields_protobuf.rs`) through a `CEL_FIELD` rule; a file
//! of their own, so that the walk does not import the rule.

use std::collections::BTreeSet;

use serde_json::json;

use std::sync::Arc;

use serde_json::Value as Json;

use super::fields::FieldTree;
use crate::codec::protobuf::ProtobufSchema;
use crate::registry::Metadata;
use crate::registry::RuleKind;
use crate::rules::cel_field::{CelField, FieldSource};

const PROTO: &str = r#"syntax = "proto3";
package acme;
import "confluent/meta.proto";
import "google/protobuf/timestamp.proto";
message User {
  enum Kind { A = 0; B = 1; }
  string ssn = 1 [(confluent.field_meta).tags = "PII"];
  int64 id = 2;
  optional string email = 3 [(confluent.field_meta) = { tags: ["PII"] }];
  repeated string aliases = 4 [(confluent.field_meta).tags = "PII"];
  Address home = 5;
  map<string, string> attrs = 6 [(confluent.field_meta).tags = "PII"];
  Kind kind = 7;
  string note = 8 [(confluent.field_meta).tags = "PII"];
  google.protobuf.Timestamp at = 9 [(confluent.field_meta).tags = "TIME"];
}
message Address { string street = 1; }
"#;

fn rule(expr: &str, kind: RuleKind, tags: &[&str], metadata: Option<&Metadata>) -> CelField {
    let schema = ProtobufSchema::parse("user.proto", PROTO, &[]).unwrap();
    let tree = FieldTree::protobuf(schema.pool(), schema.file_name(), metadata);
    let tags: BTreeSet<String> = tags.iter().map(|t| t.to_string()).collect();
    CelField::compile(expr, kind, tags, FieldSource::Tree(Arc::new(tree))).unwrap()
}

/// A `User` in the proto3 JSON mapping: `id` an int64 (a string), `note` at its default
/// (absent), `email` unset.
fn user() -> Json {
    json!({"ssn": "123", "id": "42", "aliases": ["al"], "home": {"street": "1 Main"},
           "attrs": {"k": "v"}, "kind": "B"})
}

#[test]
fn inline_and_metadata_tags_choose_the_fields_and_defaults_are_seen() {
    let mut metadata = Metadata::default();
    metadata
        .tags
        .insert("**.Address.street".into(), ["PII".to_string()].into());
    let mask = rule(
        "typeName == 'STRING' ; 'XXX-' + fullName",
        RuleKind::Transform,
        &["PII"],
        Some(&metadata),
    );
    let mut v = user();
    assert_eq!(mask.run(&mut v, Some("acme.User")), Ok(true));
    assert_eq!(
        v,
        json!({"ssn": "XXX-acme.User.ssn", "id": "42", "aliases": ["XXX-acme.User.aliases"],
               "home": {"street": "XXX-acme.Address.street"}, "attrs": {"k": "v"},
               "kind": "B", "note": "XXX-acme.User.note"}),
        "a map of strings is one MAP value (not primitive); an unset optional is skipped; \
         a proto3 string at its default is the empty string, masked as Python masks it"
    );
    // Without the message's name, the record's keys choose it.
    let mut v = user();
    assert_eq!(mask.run(&mut v, None), Ok(true));
    assert_eq!(v["ssn"], json!("XXX-acme.User.ssn"));
}

#[test]
fn values_are_bound_as_pythons_cel_sees_them() {
    let check = rule(
        "name == 'id' ; typeName == 'LONG' && value == 42 && message.kind == 1 \
         && message.ssn == '123' && message.note == '' && !has(message.email) \
         && size(message.aliases) == 1 && message.home.street == '1 Main'",
        RuleKind::Condition,
        &[],
        None,
    );
    assert_eq!(check.run(&mut user(), Some("acme.User")), Ok(true));
    let inc = rule("name == 'id' ; value + 1", RuleKind::Transform, &[], None);
    let mut v = user();
    inc.run(&mut v, Some("acme.User")).unwrap();
    assert_eq!(
        v["id"],
        json!("43"),
        "an int64 goes back as the mapping's string"
    );
    let positive = rule("name == 'id' ; value > 100", RuleKind::Condition, &[], None);
    assert_eq!(positive.run(&mut user(), Some("acme.User")), Ok(false));
}

#[test]
fn a_timestamp_a_rule_selects_fails_clearly() {
    let r = rule("value", RuleKind::Transform, &["TIME"], None);
    let mut v = user();
    v["at"] = json!("2024-01-01T00:00:00Z");
    let e = r.run(&mut v, Some("acme.User")).unwrap_err();
    assert!(e.contains("google.protobuf.Timestamp"), "{e}");
    // Unset (a message has presence): nothing to run on.
    assert_eq!(r.run(&mut user(), Some("acme.User")), Ok(true));
}
