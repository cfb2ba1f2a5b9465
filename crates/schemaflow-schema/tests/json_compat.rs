//! JSON Schema compatibility beyond the one-pair fixtures: the seven levels (transitive ones
//! through the shared level machinery), both directions, LENIENT, references to other
//! registered schemas, recursion (upstream's `SchemaDiffTest` recursion cases), rule ids as
//! waivers name them, and parse errors.

use schemaflow_schema::compat::json::{self, JsonCompatPolicy};
use schemaflow_schema::compat::{check, CompatibilityLevel, Direction, Rule, SchemaInput};
use schemaflow_schema::json_schema::JsonSchema;
use schemaflow_schema::{Error, SchemaType};
use serde_json::{json, Value};

fn input(schema: &Value, label: &str) -> SchemaInput {
    SchemaInput::new(SchemaType::Json, schema.to_string(), label)
}

fn string_max(n: u64) -> Value {
    json!({"type": "string", "maxLength": n})
}

#[test]
fn seven_levels_with_transitive_history() {
    use CompatibilityLevel::*;
    // History: version 1 allows 20 characters, version 2 only 5.
    let history = [
        input(&string_max(20), "version 1"),
        input(&string_max(5), "version 2"),
    ];
    // 10 reads what version 2 wrote (5 ≤ 10) but not version 1's (20 > 10); version 2 cannot
    // read what 10 writes.
    let ten = input(&string_max(10), "candidate");
    // 3 reads nothing older, but both older versions read what it writes.
    let three = input(&string_max(3), "candidate");
    for (level, ten_ok, three_ok) in [
        (None, true, true),
        (Backward, true, false),
        (BackwardTransitive, false, false),
        (Forward, false, true),
        (ForwardTransitive, false, true),
        (Full, false, false),
        (FullTransitive, false, false),
    ] {
        let r = check(level, &history, &ten).expect("parses");
        assert_eq!(r.compatible, ten_ok, "{level} / 10: {:?}", r.messages());
        let r = check(level, &history, &three).expect("parses");
        assert_eq!(r.compatible, three_ok, "{level} / 3: {:?}", r.messages());
    }
    let r = check(BackwardTransitive, &history, &ten).expect("parses");
    assert_eq!(r.findings.len(), 1, "{:?}", r.messages());
    let f = &r.findings[0];
    assert_eq!(f.rule, Rule::JsonMaxLengthDecreased);
    assert_eq!(f.rule.id(), "MAX_LENGTH_DECREASED");
    assert_eq!(f.path, "#/maxLength");
    assert_eq!(f.against, "version 1");
    assert_eq!(f.direction, Direction::Backward);
    assert!(
        f.to_string()
            .starts_with("MAX_LENGTH_DECREASED at #/maxLength (BACKWARD against version 1): "),
        "{f}"
    );
}

#[test]
fn forward_is_the_same_diff_the_other_way() {
    let closed = |props: Value| json!({"type": "object", "properties": props, "additionalProperties": false});
    let v1 = input(&closed(json!({"a": {"type": "string"}})), "version 1");
    let v2 = input(
        &closed(json!({"a": {"type": "string"}, "b": {"type": "string"}})),
        "candidate",
    );
    // Backward: an optional property added to a closed model.
    let r = check(CompatibilityLevel::Backward, std::slice::from_ref(&v1), &v2).expect("ok");
    assert!(r.compatible, "{:?}", r.messages());
    // Forward: version 1 reads the candidate's data, whose `b` its closed model refuses.
    let r = check(CompatibilityLevel::Forward, std::slice::from_ref(&v1), &v2).expect("ok");
    assert!(!r.compatible);
    assert_eq!(
        r.findings[0].rule,
        Rule::JsonPropertyRemovedFromClosedContentModel
    );
    assert_eq!(r.findings[0].path, "#/properties/b");
    assert_eq!(r.findings[0].direction, Direction::Forward);
}

#[test]
fn lenient_accepts_open_content_model_changes() {
    let v1 = input(
        &json!({"properties": {"a": {"type": "string"}}}),
        "version 1",
    );
    let v2 = input(
        &json!({"properties": {"a": {"type": "string"}, "b": {"type": "number"}}}),
        "candidate",
    );
    let strict = check(CompatibilityLevel::Backward, std::slice::from_ref(&v1), &v2).expect("ok");
    assert!(!strict.compatible);
    assert_eq!(
        strict.findings[0].rule,
        Rule::JsonPropertyAddedToOpenContentModel
    );
    let lenient = json::check(
        CompatibilityLevel::Backward,
        std::slice::from_ref(&v1),
        &v2,
        JsonCompatPolicy::Lenient,
    )
    .expect("ok");
    assert!(lenient.compatible, "{:?}", lenient.messages());
    // A type change stays incompatible under both.
    let v3 = input(
        &json!({"properties": {"a": {"type": "number"}}}),
        "candidate",
    );
    let lenient = json::check(
        CompatibilityLevel::Backward,
        std::slice::from_ref(&v1),
        &v3,
        JsonCompatPolicy::Lenient,
    )
    .expect("ok");
    assert!(!lenient.compatible);
    assert!(JsonCompatPolicy::Lenient.accepts(Rule::JsonAdditionalPropertiesNarrowed));
    assert!(!JsonCompatPolicy::Strict.accepts(Rule::JsonAdditionalPropertiesNarrowed));
}

#[test]
fn a_change_in_a_referenced_schema_is_found_through_the_ref() {
    let order = json!({"type": "object", "properties": {"customer": {"$ref": "customer.json"}}});
    let customer =
        |t: &str| json!({"type": "object", "properties": {"name": {"type": t}}}).to_string();
    let v1 = input(&order, "version 1")
        .with_references(vec![("customer.json".into(), customer("string"))]);
    let v2 = input(&order, "candidate")
        .with_references(vec![("customer.json".into(), customer("number"))]);
    let r = check(CompatibilityLevel::Backward, std::slice::from_ref(&v1), &v2).expect("ok");
    assert!(!r.compatible);
    assert_eq!(r.findings[0].rule, Rule::JsonTypeChanged);
    assert_eq!(r.findings[0].path, "#/properties/customer/properties/name");
    // Same reference text: no difference.
    let same = input(&order, "candidate")
        .with_references(vec![("customer.json".into(), customer("string"))]);
    let r = check(CompatibilityLevel::Full, std::slice::from_ref(&v1), &same).expect("ok");
    assert!(r.compatible && r.findings.is_empty());
}

/// Upstream's `recursiveOneOfTradeSchema` (SchemaDiffTest): twelve definitions, each with two
/// `oneOf`s over all twelve.
fn trade_schema(asset_id_type: &str) -> Value {
    let types = [
        "Asset",
        "Basket",
        "Swap",
        "Bond",
        "Option",
        "Future",
        "Forward",
        "Loan",
        "Repo",
        "Equity",
        "Index",
        "CommodityLeg",
    ];
    let union = || json!({"oneOf": types.iter().map(|t| json!({"$ref": format!("#/definitions/{t}")})).collect::<Vec<_>>()});
    let mut definitions = serde_json::Map::new();
    for t in types {
        let id_type = if t == "Asset" {
            asset_id_type
        } else {
            "string"
        };
        definitions.insert(
            t.to_string(),
            json!({"type": "object", "properties": {"id": {"type": id_type}, "underlying": union(), "referenceProduct": union()}}),
        );
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Trade",
        "type": "object",
        "additionalProperties": true,
        "definitions": definitions,
        "properties": {"tradeId": {"type": "string"}, "product": union()}
    })
}

#[test]
fn recursive_unions_terminate_and_still_see_changes() {
    let v1 = input(&trade_schema("string"), "version 1");
    let same = input(&trade_schema("string"), "candidate");
    let r = check(
        CompatibilityLevel::FullTransitive,
        std::slice::from_ref(&v1),
        &same,
    )
    .expect("ok");
    assert!(r.compatible && r.findings.is_empty(), "{:?}", r.messages());
    let changed = input(&trade_schema("number"), "candidate");
    let d = schemaflow_schema::compat::differences(
        Direction::Backward,
        &schemaflow_schema::compat::ParsedSchema::parse(&v1).expect("v1"),
        &schemaflow_schema::compat::ParsedSchema::parse(&changed).expect("v2"),
    );
    assert!(
        !d.is_empty(),
        "a type change deep in the recursion is found"
    );
}

/// Upstream's `memoMaskingSchema` (SchemaDiffTest
/// `testRecursiveOneOfMemoizationDoesNotMaskIncompatibility`): the changes to `T0.id` and
/// `T1.id` sit behind the cycle T0 → T2 → T0 and must not be hidden by it.
fn masking_schema(t0_id: &str, t1_id: &str) -> Value {
    let object = |id: &str, target: &str| {
        json!({"type": "object", "additionalProperties": true, "properties": {
            "id": {"type": id},
            "ref": {"oneOf": [{"$ref": format!("#/definitions/{target}")}]}
        }})
    };
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": true,
        "definitions": {"T0": object(t0_id, "T2"), "T1": object(t1_id, "T2"), "T2": object("integer", "T0")},
        "properties": {"root": {"oneOf": [{"$ref": "#/definitions/T0"}, {"$ref": "#/definitions/T1"}]}}
    })
}

#[test]
fn a_recursive_cycle_does_not_mask_an_incompatibility() {
    let v1 = input(&masking_schema("integer", "boolean"), "version 1");
    let v2 = input(&masking_schema("boolean", "number"), "candidate");
    let r = check(CompatibilityLevel::Backward, std::slice::from_ref(&v1), &v2).expect("ok");
    assert!(!r.compatible, "{:?}", r.messages());
}

#[test]
fn upstream_recursive_schema_compares_equal_to_itself() {
    // Upstream's recursive-schema.json shape: a tree whose nodes hold nodes.
    let tree = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
            "parent": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/node"}]}
        }}},
        "$ref": "#/definitions/node"
    });
    let r = check(
        CompatibilityLevel::FullTransitive,
        &[input(&tree, "version 1")],
        &input(&tree, "candidate"),
    )
    .expect("ok");
    assert!(r.compatible && r.findings.is_empty(), "{:?}", r.messages());
}

#[test]
fn rule_ids_parse_for_waivers() {
    assert_eq!("TYPE_NARROWED".parse::<Rule>(), Ok(Rule::JsonTypeNarrowed));
    assert_eq!(
        " PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL ".parse::<Rule>(),
        Ok(Rule::JsonPropertyAddedToOpenContentModel)
    );
    assert!(Rule::JsonTypeNarrowed.applies_to(SchemaType::Json));
    assert!(!Rule::JsonTypeNarrowed.applies_to(SchemaType::Avro));
    let e = "TYPE_NAROWED".parse::<Rule>().unwrap_err();
    assert_eq!(e.closest.first(), Some(&"TYPE_NARROWED"));
}

#[test]
fn invalid_schemas_are_typed_errors_even_under_none() {
    let bad = SchemaInput::new(
        SchemaType::Json,
        r#"{"type": "object", "properties": {"a": {"minLength": "x"}}}"#,
        "candidate",
    );
    match check(CompatibilityLevel::None, &[], &bad) {
        Err(Error::ParseJsonSchema { name, source }) => {
            assert_eq!(name, "candidate");
            assert_eq!(source.keyword, "minLength");
            assert_eq!(source.pointer, "#/properties/a/minLength");
        }
        other => panic!("expected ParseJsonSchema, got {other:?}"),
    }
    // A schema type change is the usual schema-wide finding.
    let avro = SchemaInput::new(SchemaType::Avro, r#""string""#, "version 1");
    let j = input(&json!({"type": "string"}), "candidate");
    let r = check(CompatibilityLevel::Backward, &[avro], &j).expect("ok");
    assert_eq!(r.findings[0].rule, Rule::SchemaTypeChanged);
}

#[test]
fn draft_04_schemas_are_read_with_their_own_rules() {
    let d4 = |max: u64| json!({"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://x.test/s", "type": "number", "maximum": max, "exclusiveMaximum": true});
    let s = JsonSchema::parse("d4", &d4(5).to_string(), &[]).expect("draft 4");
    assert_eq!(s.draft().as_str(), "draft-04");
    let r = check(
        CompatibilityLevel::Backward,
        &[input(&d4(5), "version 1")],
        &input(&d4(6), "candidate"),
    )
    .expect("ok");
    assert!(r.compatible, "{:?}", r.messages());
    // The same document under draft 7 is refused: exclusiveMaximum must be a number there.
    let mut d7 = d4(5);
    d7["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    assert!(JsonSchema::parse("d7", &d7.to_string(), &[]).is_err());
}

#[test]
fn every_pair_of_odd_schemas_gets_a_verdict() {
    let schemas = [
        json!(true),
        json!(false),
        json!({}),
        json!({"$ref": "#"}),
        json!({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}),
        json!({"type": ["string", "null", "object"], "properties": {"a": {"not": {"not": {}}}}}),
        json!({"allOf": [{}, {}, true], "anyOf": [false]}),
        json!({"oneOf": [{"$ref": "#"}, {"type": "array", "items": {"$ref": "#"}}]}),
        json!({"type": "object", "patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": false}),
        json!({"enum": [1, "a", null]}),
        json!({"const": {"a": 1}}),
    ];
    for (i, a) in schemas.iter().enumerate() {
        for (j, b) in schemas.iter().enumerate() {
            let r = check(
                CompatibilityLevel::Full,
                &[input(a, "version 1")],
                &input(b, "candidate"),
            )
            .unwrap_or_else(|e| panic!("{i} → {j}: {e}"));
            if i == j {
                assert!(r.compatible, "{i} against itself: {:?}", r.messages());
            }
        }
    }
}
