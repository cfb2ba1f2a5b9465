//! The JSON Schema codec: validation on serialize and deserialize (pointer and keyword of the
//! violation, a knob to turn it off), references by name, the five drafts, and the frame.
use crate::json_schema_sample::{self as sample, UserEvent};

use std::sync::Arc;

use schemaflow::codec::json_schema::{self, JsonSchemaCodec, JsonWriterSchema};
use schemaflow::codec::{FromFrame, RegistryCodec, WriterSchema};
use schemaflow::wire::SchemaId;
use schemaflow::SchemaError;
use serde_json::{json, Value};

fn user_event_writer(validate: bool) -> WriterSchema {
    let schema = JsonWriterSchema::of::<UserEvent>().expect("sample schema");
    let schema = JsonWriterSchema::with_validation(schema.schema().clone(), validate);
    WriterSchema::Json(Arc::new(schema))
}

fn frame(id: u32, json: &str) -> Vec<u8> {
    let mut f = vec![0];
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(json.as_bytes());
    f
}

/// The violation's (pointer, keyword), or a panic naming what came instead.
fn violation<T: std::fmt::Debug>(r: Result<T, SchemaError>) -> (String, String) {
    match r {
        Err(SchemaError::InvalidJsonValue { source, .. }) => (source.pointer, source.keyword),
        other => panic!("expected InvalidJsonValue, got {other:?}"),
    }
}

#[test]
fn frame_is_magic_id_and_json_without_indexes() {
    let mut f = Vec::new();
    sample::minimal()
        .encode_frame(SchemaId(258), &mut f)
        .expect("encode");
    assert_eq!(&f[..5], &[0, 0, 0, 1, 2]);
    assert_eq!(f[5], b'{');
    let (id, back) = UserEvent::decode_frame(&f, &user_event_writer(true)).expect("decode");
    assert_eq!((id, back), (SchemaId(258), sample::minimal()));
}

#[test]
fn serialize_refuses_an_invalid_value_with_pointer_and_keyword() {
    let mut bad = sample::full();
    bad.action = "JUMP".into();
    let mut buf = b"kept".to_vec();
    let r = bad.encode_frame(SchemaId(1), &mut buf);
    assert_eq!(violation(r), ("/action".to_string(), "enum".to_string()));
    assert_eq!(buf, b"kept", "nothing written on error");

    // Into the referenced schema (address.json, by name): oneOf [null, address] fails.
    let mut bad = sample::full();
    if let Some(a) = bad.shipping_address.as_mut() {
        a.country_code = "usa".into();
    }
    let (pointer, keyword) = violation(bad.encode_frame(SchemaId(1), &mut Vec::new()));
    assert_eq!(
        (pointer.as_str(), keyword.as_str()),
        ("/shipping_address", "oneOf")
    );

    // Off (Confluent's validate=false): written as is.
    let mut out = Vec::new();
    json_schema::with_validation(false, || bad.encode_frame(SchemaId(1), &mut out))
        .expect("no validation");
    assert!(String::from_utf8_lossy(&out).contains("\"usa\""));
    // And back on after the scope.
    assert!(bad.encode_frame(SchemaId(1), &mut Vec::new()).is_err());
}

#[test]
fn deserialize_validates_against_the_writer_schema_by_default() {
    let text = serde_json::to_string(&sample::minimal()).expect("json");
    // An extra property: additionalProperties is false at the root.
    let extra = text.replacen('{', "{\"extra\":1,", 1);
    let writer = user_event_writer(true);
    let r = UserEvent::decode_frame(&frame(7, &extra), &writer);
    assert_eq!(
        violation(r),
        (String::new(), "additionalProperties".to_string())
    );
    // A wrong type deep inside: the pointer says where.
    let bad_tags = text.replace("\"tags\":[]", "\"tags\":[\"a\",5]");
    let err = UserEvent::decode_frame(&frame(7, &bad_tags), &writer).unwrap_err();
    assert!(
        matches!(&err, SchemaError::InvalidJsonValue { schema_id: SchemaId(7), source }
            if source.pointer == "/tags/1" && source.keyword == "type" && source.schema_path == "#/properties/tags/items/type"),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("schema id 7") && shown.contains("at /tags/1: keyword type"),
        "{shown}"
    );
    // The same through the Value path (what the CLI consumer decodes).
    assert!(matches!(
        Value::from_frame(&frame(7, &extra), &writer),
        Err(SchemaError::InvalidJsonValue { .. })
    ));

    // Validation off: the extra property is ignored by serde, the value read.
    let lax = user_event_writer(false);
    let (_, v) = UserEvent::decode_frame(&frame(7, &extra), &lax).expect("not validated");
    assert_eq!(v, sample::minimal());
    assert_eq!(
        Value::from_frame(&frame(7, &extra), &lax).expect("value")["extra"],
        1
    );
}

#[test]
fn a_repeated_key_decodes_as_python_reads_it_the_last_value_winning() {
    let text = serde_json::to_string(&sample::minimal()).expect("json");
    let writer = user_event_writer(true);
    // The first `user_id` breaks the schema, the last one is what Python's json.loads keeps:
    // valid, and read with the last value (the frame is checked as a Value, not in place).
    let repeated = text.replacen('{', "{\"user_id\":5,", 1);
    assert!(repeated.matches("\"user_id\"").count() == 2, "{repeated}");
    let (_, back) = UserEvent::decode_frame(&frame(3, &repeated), &writer).expect("last wins");
    assert_eq!(back, sample::minimal());
    // The other way round the last value breaks it: the violation at the key.
    let body = text.strip_suffix('}').expect("an object");
    let repeated = format!("{body},\"user_id\":5}}");
    let r = UserEvent::decode_frame(&frame(3, &repeated), &writer);
    assert_eq!(violation(r), ("/user_id".to_string(), "type".to_string()));
}

#[test]
fn bad_frames_are_typed_errors() {
    let writer = user_event_writer(true);
    for bytes in [
        &b""[..],
        &[1, 0, 0, 0, 1, b'{', b'}'][..],
        &[0, 0, 0][..],
        &frame(1, "{not json")[..],
        &frame(1, "")[..],
    ] {
        assert!(
            UserEvent::decode_frame(bytes, &writer).is_err(),
            "{bytes:?}"
        );
        assert!(Value::from_frame(bytes, &writer).is_err(), "{bytes:?}");
    }
    // A JSON Schema type asked to read an Avro writer schema: a type mismatch.
    let avro = schemaflow::codec::avro::AvroSchema::parse(r#""string""#, &[]).expect("avro");
    let r = UserEvent::decode_frame(&frame(1, "{}"), &WriterSchema::Avro(Arc::new(avro)));
    assert!(
        matches!(
            r,
            Err(SchemaError::SchemaTypeMismatch {
                expected: schemaflow::SchemaType::Json,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn each_draft_validates_by_its_own_rules() {
    let cases = [
        (
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":3,"exclusiveMaximum":true}"#,
            json!(3),
            // Draft 4's boolean exclusiveMaximum (draft 6 would refuse the schema).
            "exclusiveMaximum",
        ),
        (
            r#"{"$schema":"http://json-schema.org/draft-06/schema#","type":"number","exclusiveMaximum":3}"#,
            json!(3),
            "exclusiveMaximum",
        ),
        (
            r#"{"type":"object","if":{"properties":{"a":{"const":1}}},"then":{"required":["b"]}}"#,
            json!({"a": 1}),
            "required",
        ),
        (
            r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object","dependentRequired":{"a":["b"]}}"#,
            json!({"a": 1}),
            // The validator names the missing property's rule: `required` (its schema path
            // says dependentRequired).
            "required",
        ),
        (
            r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false}"#,
            json!(["a", "b"]),
            "items",
        ),
    ];
    for (schema, bad, keyword) in cases {
        let codec = JsonSchemaCodec::<Value>::new(
            JsonWriterSchema::parse("draft", schema, &[]).expect(schema),
        );
        let r = codec.encode(SchemaId(1), &bad, &mut Vec::new());
        let (_, found) = violation(r);
        assert_eq!(found, keyword, "{schema}");
    }
}

#[test]
fn references_resolve_by_name_and_by_id() {
    let address = r#"{"$id":"https://example.com/schemas/address.json","type":"object","properties":{"zip":{"type":"string","maxLength":5}}}"#;
    let refs = vec![("address.json".to_string(), address.to_string())];
    for main in [
        // By name, no $id anywhere.
        r#"{"type":"object","properties":{"to":{"$ref":"address.json"}}}"#,
        // Relative to the main schema's $id.
        r#"{"$id":"https://example.com/schemas/order.json","type":"object","properties":{"to":{"$ref":"address.json"}}}"#,
        // By the reference's own $id.
        r#"{"type":"object","properties":{"to":{"$ref":"https://example.com/schemas/address.json"}}}"#,
    ] {
        let codec = JsonSchemaCodec::<Value>::new(
            JsonWriterSchema::parse("order", main, &refs).expect(main),
        );
        codec
            .encode(
                SchemaId(1),
                &json!({"to": {"zip": "12345"}}),
                &mut Vec::new(),
            )
            .expect(main);
        let r = codec.encode(
            SchemaId(1),
            &json!({"to": {"zip": "123456"}}),
            &mut Vec::new(),
        );
        assert_eq!(
            violation(r),
            ("/to/zip".to_string(), "maxLength".to_string()),
            "{main}"
        );
    }
}

#[test]
fn formats_are_annotations_as_in_python() {
    // Python's JSONSerializer validates without a format checker: not-a-uuid passes there.
    let mut v = sample::minimal();
    v.event_id = "not-a-uuid".into();
    v.encode_frame(SchemaId(1), &mut Vec::new())
        .expect("format is not checked");
}

#[test]
fn a_validator_is_shared_across_threads() {
    let writer = user_event_writer(true);
    let mut f = Vec::new();
    sample::full()
        .encode_frame(SchemaId(9), &mut f)
        .expect("encode");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    let (_, v) = UserEvent::decode_frame(&f, &writer).expect("decode");
                    assert_eq!(v, sample::full());
                }
            });
        }
    });
}
