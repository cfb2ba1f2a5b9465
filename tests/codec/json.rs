//! JSON → frame (the CLI's `produce`): golden frames round-trip through JSON byte for byte,
//! typed frames round-trip through JSON (property test), both Avro JSON forms on a
//! union-heavy schema, and errors that name the JSON path.
use crate::common;

use apache_avro::types::Value;
use common::samples::avro::address::Address;
use common::samples::avro::evolution::user_event as avro_v2;
use common::samples::avro::user_event::{Action, Device, UserEvent};
use common::samples::proto::events::v1 as pb;
use common::samples::proto::evolution::events::v1 as pb_v2;
use proptest::prelude::*;
use schemaflow::codec::avro::{AvroCodec, AvroSchema};
use schemaflow::codec::json::{
    avro_frame_to_json, json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm,
};
use schemaflow::codec::protobuf::ProtobufSchema;
use schemaflow::wire::SchemaId;
use schemaflow::SchemaError as Error;
use serde_json::{json, Value as Json};

struct Golden {
    name: String,
    id: SchemaId,
    schema_type: String,
    message: String,
    bytes: Vec<u8>,
}

fn goldens() -> Vec<Golden> {
    let manifest: Json = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("golden/manifest.json")).unwrap(),
    )
    .unwrap();
    manifest
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Golden {
            name: e["name"].as_str().unwrap().to_string(),
            id: SchemaId(e["schema_id"].as_u64().unwrap() as u32),
            schema_type: e["schema_type"].as_str().unwrap().to_string(),
            message: e["message"].as_str().unwrap().to_string(),
            bytes: std::fs::read(common::fixture(&format!(
                "golden/{}",
                e["file"].as_str().unwrap()
            )))
            .unwrap(),
        })
        .collect()
}

fn v1() -> AvroSchema {
    AvroSchema::of::<UserEvent>().unwrap()
}

/// Frame of `json` in the natural form under id 1.
fn natural(json: &Json, schema: &AvroSchema) -> schemaflow::codec::Result<Vec<u8>> {
    let mut buf = Vec::new();
    json_to_avro_frame(json, schema, SchemaId(1), AvroJsonForm::Natural, &mut buf)?;
    Ok(buf)
}

/// The (path, reason) of an `EncodeJson` error.
fn encode_error(result: schemaflow::codec::Result<Vec<u8>>) -> (String, String) {
    match result {
        Err(Error::EncodeJson { path, reason }) => (path, reason),
        other => panic!("expected an EncodeJson error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Golden frames: frame → JSON → frame is the identity.

#[test]
fn golden_avro_frames_round_trip_through_natural_json() {
    let schemas = [
        (SchemaId(2), v1()),
        (SchemaId(3), AvroSchema::of::<avro_v2::UserEvent>().unwrap()),
    ];
    let mut seen = 0;
    for g in goldens().into_iter().filter(|g| g.schema_type == "AVRO") {
        let schema = &schemas.iter().find(|(id, _)| *id == g.id).unwrap().1;
        let (id, json) = avro_frame_to_json(&g.bytes, schema).unwrap();
        assert_eq!(id, g.id);
        let mut ours = Vec::new();
        json_to_avro_frame(&json, schema, id, AvroJsonForm::Natural, &mut ours).unwrap();
        assert_eq!(
            hex::encode(&ours),
            hex::encode(&g.bytes),
            "{}: {json}",
            g.name
        );
        // The JSON text (what the CLI reads) works as well as the value.
        let text = serde_json::to_string(&json).unwrap();
        let reparsed: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(natural(&reparsed, schema).unwrap()[5..], g.bytes[5..]);
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn golden_protobuf_frames_round_trip_through_proto3_json() {
    let v1 = ProtobufSchema::of::<pb::UserEvent>().unwrap();
    let v2 = ProtobufSchema::of::<pb_v2::UserEvent>().unwrap();
    let mut seen = 0;
    for g in goldens()
        .into_iter()
        .filter(|g| g.schema_type == "PROTOBUF")
    {
        let schema = if g.name.ends_with("_v2") { &v2 } else { &v1 };
        let (id, json) = schema.frame_to_json(&g.bytes).unwrap();
        let mut ours = Vec::new();
        json_to_protobuf_frame(&json, schema, &g.message, id, &mut ours).unwrap();
        assert_eq!(
            hex::encode(&ours),
            hex::encode(&g.bytes),
            "{}: {json}",
            g.name
        );
        seen += 1;
    }
    assert_eq!(seen, 5);
}

// ---------------------------------------------------------------------------------------
// Avro natural form on the sample schema.

fn full_json() -> Json {
    json!({
        "event_id": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
        "user_id": "user-42",
        "action": "PURCHASE",
        "occurred_at": 1_700_000_000_123i64,
        "amount": "12.34",
        "session_id": "sess-1",
        "device": {"platform": "ios", "app_version": "17.1"},
        "shipping_address": {"street": "1 Main St", "city": "Springfield", "country_code": "US"},
        "tags": ["new", "mobile"],
        "attributes": {"campaign": "fall"}
    })
}

fn typed_frame(event: &UserEvent) -> Vec<u8> {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    let mut frame = Vec::new();
    codec.encode(SchemaId(1), event, &mut frame).unwrap();
    frame
}

#[test]
fn hand_written_json_equals_the_typed_codec() {
    let schema = v1();
    assert_eq!(
        natural(&full_json(), &schema).unwrap(),
        typed_frame(&common::avro_full())
    );
    // Defaults fill what is left out; the wrapped union form and other logical-type forms
    // are accepted.
    let minimal = json!({
        "event_id": "00000000-0000-4000-8000-000000000001",
        "user_id": "u",
        "action": "LOGIN",
        "occurred_at": "1970-01-01T00:00:00Z",
        "amount": 0,
        "device": {"platform": "web"}
    });
    assert_eq!(
        natural(&minimal, &schema).unwrap(),
        typed_frame(&common::avro_minimal())
    );
    let mut wrapped = full_json();
    wrapped["session_id"] = json!({"string": "sess-1"});
    wrapped["shipping_address"] =
        json!({"com.example.events.Address": full_json()["shipping_address"]});
    wrapped["occurred_at"] = json!("2023-11-14T23:13:20.123+01:00");
    wrapped["amount"] = json!(12.34);
    wrapped["event_id"] = json!("6F1C2B9E3D4A4F5B8C7D9E0F1A2B3C4D");
    assert_eq!(
        natural(&wrapped, &schema).unwrap(),
        typed_frame(&common::avro_full())
    );
    // Unqualified names of named branches work too.
    wrapped["shipping_address"] = json!({"Address": full_json()["shipping_address"]});
    assert_eq!(
        natural(&wrapped, &schema).unwrap(),
        typed_frame(&common::avro_full())
    );
}

#[test]
fn encode_error_leaves_the_buffer_alone() {
    let mut buf = vec![9, 9];
    let mut bad = full_json();
    bad["user_id"] = json!(5);
    assert!(json_to_avro_frame(&bad, &v1(), SchemaId(1), AvroJsonForm::Natural, &mut buf).is_err());
    assert_eq!(buf, [9, 9]);
}

fn arb_event() -> impl Strategy<Value = UserEvent> {
    (
        any::<u128>(),
        ".{0,20}",
        0..4u8,
        any::<i64>(),
        -9_999_999_999i64..=9_999_999_999,
        proptest::option::of(".{0,10}"),
        (".{0,8}", proptest::option::of(".{0,6}")),
        proptest::option::of((".{0,8}", ".{0,8}", "[A-Z]{2}")),
        proptest::collection::vec(".{0,6}", 0..4),
        proptest::collection::btree_map(".{0,5}", ".{0,5}", 0..4),
    )
        .prop_map(
            |(id, user, action, at, cents, session, (platform, app), address, tags, attrs)| {
                UserEvent {
                    event_id: schemaflow::Uuid::from_u128(id),
                    user_id: user,
                    action: [
                        Action::Login,
                        Action::Logout,
                        Action::View,
                        Action::Purchase,
                    ][action as usize],
                    occurred_at: at,
                    amount: schemaflow::Decimal::from(cents),
                    session_id: session,
                    device: Device {
                        platform,
                        app_version: app,
                    },
                    shipping_address: address.map(|(street, city, country_code)| Address {
                        street,
                        city,
                        country_code,
                    }),
                    tags,
                    attributes: attrs,
                }
            },
        )
}

proptest! {
    #[test]
    fn prop_typed_frame_json_frame_is_identity(event in arb_event(), id in any::<u32>()) {
        let schema = v1();
        let codec = AvroCodec::<UserEvent>::new().unwrap();
        let mut frame = Vec::new();
        codec.encode(SchemaId(id), &event, &mut frame).unwrap();
        let (read_id, json) = avro_frame_to_json(&frame, &schema).unwrap();
        let text = serde_json::to_string(&json).unwrap();
        let json: Json = serde_json::from_str(&text).unwrap();
        let mut again = Vec::new();
        json_to_avro_frame(&json, &schema, read_id, AvroJsonForm::Natural, &mut again).unwrap();
        prop_assert_eq!(hex::encode(&again), hex::encode(&frame));
    }

    #[test]
    fn prop_arbitrary_json_never_panics(json in arb_json()) {
        let schema = v1();
        let _ = natural(&json, &schema);
        let mut buf = Vec::new();
        let _ = json_to_avro_frame(&json, &mixed(), SchemaId(1), AvroJsonForm::Avro, &mut buf);
        let _ = json_to_avro_frame(&json, &mixed(), SchemaId(1), AvroJsonForm::Natural, &mut buf);
        let pb = ProtobufSchema::of::<pb::UserEvent>().unwrap();
        let _ = json_to_protobuf_frame(&json, &pb, "events.v1.UserEvent", SchemaId(1), &mut buf);
    }
}

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        ".{0,12}".prop_map(Json::from),
        prop_oneof![
            Just("12.34"),
            Just("RED"),
            Just("PURCHASE"),
            Just("2024-02-29"),
            Just("1e999999999"),
            Just("-0.5e-3"),
        ]
        .prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("user_id".to_string()),
                    Just("device".to_string()),
                    Just("payload".to_string()),
                    Just("string".to_string()),
                    Just("com.example.test.Point".to_string()),
                    Just("x".to_string()),
                    ".{0,4}".prop_map(|s| s),
                ],
                inner,
                0..4
            )
            .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------
// A union-heavy schema in both forms.

const MIXED: &str = r#"{
  "type": "record", "name": "Mixed", "namespace": "com.example.test",
  "fields": [
    {"name": "opt_str", "type": ["null", "string"], "default": null},
    {"name": "num", "type": ["null", "int", "long", "double"], "default": null},
    {"name": "choice", "type": ["null", "string",
        {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}, "bytes"], "default": null},
    {"name": "payload", "type": ["null",
        {"type": "record", "name": "Point", "fields": [
            {"name": "x", "type": "int"}, {"name": "y", "type": "int"}]},
        {"type": "record", "name": "Label", "fields": [
            {"name": "text", "type": "string"},
            {"name": "lang", "type": "string", "default": "en"}]}], "default": null},
    {"name": "when", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}], "default": null},
    {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}], "default": null},
    {"name": "fixed_price", "type": {"type": "fixed", "name": "Money", "size": 3, "logicalType": "decimal", "precision": 6, "scale": 2}, "default": "\u0000\u0000\u0000"},
    {"name": "id", "type": ["null", {"type": "string", "logicalType": "uuid"}], "default": null},
    {"name": "list", "type": {"type": "array", "items": ["null", "string", "long"]}, "default": []},
    {"name": "dict", "type": {"type": "map", "values": ["null", "double"]}, "default": {}},
    {"name": "hash", "type": ["null", {"type": "fixed", "name": "Hash", "size": 4}], "default": null},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 0},
    {"name": "flag", "type": ["boolean", "null"], "default": true}
  ]
}"#;

fn mixed() -> AvroSchema {
    AvroSchema::parse(MIXED, &[]).unwrap()
}

/// Union branch index of each union field of a Mixed datum, by field name.
fn branches(frame: &[u8], schema: &AvroSchema) -> Vec<(String, u32)> {
    let Value::Record(fields) = schema.read_value(&frame[5..]).unwrap() else {
        panic!("not a record")
    };
    fields
        .into_iter()
        .filter_map(|(name, v)| match v {
            Value::Union(i, _) => Some((name, i)),
            _ => None,
        })
        .collect()
}

fn branch(frame: &[u8], schema: &AvroSchema, field: &str) -> u32 {
    branches(frame, schema)
        .into_iter()
        .find(|(n, _)| n == field)
        .unwrap_or_else(|| panic!("no union field {field}"))
        .1
}

#[test]
fn natural_form_picks_branches_and_round_trips() {
    let schema = mixed();
    let cases = [
        json!({"num": 5, "choice": "hello", "payload": {"x": 1, "y": 2}}),
        json!({"num": 5_000_000_000i64, "choice": "RED", "payload": {"text": "hi"}}),
        json!({"num": 2.5, "choice": "\u{00ff}\u{0000}", "payload": {"text": "hi", "lang": "fr"}}),
        json!({
            "opt_str": "s", "when": 1_700_000_000_123i64, "price": "-1.28",
            "fixed_price": "-0.01", "id": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
            "list": [null, "a", 7], "dict": {"b": 1.5, "a": null, "c": 2.0},
            "hash": "\u{0001}\u{0002}\u{0003}\u{00fe}", "day": 19_000, "flag": null
        }),
        json!({}),
    ];
    for case in cases {
        let frame = natural(&case, &schema).unwrap();
        let (_, printed) = avro_frame_to_json(&frame, &schema).unwrap();
        assert_eq!(
            natural(&printed, &schema).unwrap(),
            frame,
            "{case} → {printed}"
        );
        for (k, v) in case.as_object().unwrap() {
            match v {
                // A record in a union: its defaulted fields print too.
                Json::Object(fields) if k == "payload" => {
                    for (f, fv) in fields {
                        assert_eq!(&printed[k][f], fv, "{k}.{f} of {case}");
                    }
                }
                _ => assert_eq!(&printed[k], v, "{k} of {case}"),
            }
        }
    }
    let f = natural(
        &json!({"num": 5, "choice": "hello", "payload": {"x": 1, "y": 2}}),
        &schema,
    )
    .unwrap();
    assert_eq!(
        (
            branch(&f, &schema, "num"),
            branch(&f, &schema, "choice"),
            branch(&f, &schema, "payload")
        ),
        (1, 1, 1)
    );
    let f = natural(
        &json!({"num": 5_000_000_000i64, "choice": "RED", "payload": {"text": "hi"}}),
        &schema,
    )
    .unwrap();
    // A symbol is a string first: the natural form prefers the string branch.
    assert_eq!(
        (
            branch(&f, &schema, "num"),
            branch(&f, &schema, "choice"),
            branch(&f, &schema, "payload")
        ),
        (2, 1, 2)
    );
    let f = natural(&json!({"num": 2.5}), &schema).unwrap();
    assert_eq!(branch(&f, &schema, "num"), 3);
    // The defaults: null branch everywhere, the boolean default in its first branch.
    let f = natural(&json!({}), &schema).unwrap();
    assert!(branches(&f, &schema).iter().all(|(_, i)| *i == 0));
    // Wrapped values select the branch the plain value cannot.
    let f = natural(&json!({"num": {"long": 5}, "choice": {"com.example.test.Color": "RED"}, "payload": {"Label": {"text": "t"}}}), &schema).unwrap();
    assert_eq!(
        (
            branch(&f, &schema, "num"),
            branch(&f, &schema, "choice"),
            branch(&f, &schema, "payload")
        ),
        (2, 2, 2)
    );
    let f = natural(&json!({"choice": {"bytes": "abc"}}), &schema).unwrap();
    assert_eq!(branch(&f, &schema, "choice"), 3);
}

#[test]
fn natural_decimal_forms() {
    let schema = mixed();
    let price = |v: Json| natural(&json!({ "price": v }), &schema).unwrap();
    assert_eq!(price(json!("12.3")), price(json!("12.30")));
    assert_eq!(price(json!(12.3)), price(json!("12.30")));
    assert_eq!(price(json!("1.5e1")), price(json!("15.00")));
    assert_eq!(price(json!(-0)), price(json!("0.00")));
    // Minimal two's complement: -1.28 is the single byte 0x80, 0 is 0x00.
    let price_bytes = |v: Json| {
        let Value::Record(fields) = schema.read_value(&price(v)[5..]).unwrap() else {
            panic!("not a record")
        };
        match &fields.iter().find(|(n, _)| n == "price").unwrap().1 {
            Value::Union(1, d) => match &**d {
                Value::Decimal(d) => Vec::<u8>::try_from(d).unwrap(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(price_bytes(json!("-1.28")), [0x80]);
    assert_eq!(price_bytes(json!("1.28")), [0x00, 0x80]);
    assert_eq!(price_bytes(json!("0")), [0x00]);
    assert_eq!(price_bytes(json!("-1.50")), [0xff, 0x6a]);
    let fixed = |v: &str| natural(&json!({ "fixed_price": v }), &schema).unwrap();
    assert_eq!(
        avro_frame_to_json(&fixed("-0.01"), &schema).unwrap().1["fixed_price"],
        "-0.01"
    );
    assert_eq!(
        avro_frame_to_json(&fixed("9999.99"), &schema).unwrap().1["fixed_price"],
        "9999.99"
    );
}

#[test]
fn avro_form_round_trips_and_is_strict() {
    let schema = mixed();
    let avro = |v: &Json| {
        let mut buf = Vec::new();
        json_to_avro_frame(v, &schema, SchemaId(1), AvroJsonForm::Avro, &mut buf).map(|()| buf)
    };
    let input = json!({
        "opt_str": {"string": "s"},
        "num": {"long": 5},
        "choice": {"com.example.test.Color": "GREEN"},
        "payload": {"com.example.test.Label": {"text": "hi", "lang": "de"}},
        "when": {"long": 1_700_000_000_123i64},
        "price": {"bytes": "\u{0004}\u{00d2}"},
        "fixed_price": "\u{00ff}\u{00ff}\u{00ff}",
        "id": {"string": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d"},
        "list": [null, {"string": "a"}, {"long": 7}],
        "dict": {"a": {"double": 1.5}, "b": null},
        "hash": {"com.example.test.Hash": "abcd"},
        "day": 3,
        "flag": {"boolean": false}
    });
    let frame = avro(&input).unwrap();
    assert_eq!(
        branches(&frame, &schema),
        [
            ("opt_str".to_string(), 1),
            ("num".to_string(), 2),
            ("choice".to_string(), 2),
            ("payload".to_string(), 2),
            ("when".to_string(), 1),
            ("price".to_string(), 1),
            ("id".to_string(), 1),
            ("hash".to_string(), 1),
            ("flag".to_string(), 0),
        ]
    );
    let (_, printed) = avro_frame_to_json(&frame, &schema).unwrap();
    assert_eq!(printed["price"], "12.34");
    assert_eq!(printed["fixed_price"], "-0.01");
    // A symbol and a long whose plain values would read as the string and the int branch
    // print wrapped; the Label record's keys pick it plainly.
    assert_eq!(
        printed["choice"],
        json!({"com.example.test.Color": "GREEN"})
    );
    assert_eq!(printed["num"], json!({"long": 5}));
    assert_eq!(printed["payload"], json!({"text": "hi", "lang": "de"}));
    assert_eq!(natural(&printed, &schema).unwrap(), frame);
    // The natural form reads the wrapped values the same (the enum and the long included),
    // but not the Avro-JSON decimal bytes.
    let mut as_natural = input.clone();
    as_natural["price"] = json!("12.34");
    as_natural["fixed_price"] = json!("-0.01");
    assert_eq!(natural(&as_natural, &schema).unwrap(), frame);
    // Strict: a plain value in a union is an error in the Avro form.
    let (path, reason) = encode_error(avro(&json!({"opt_str": "s"})));
    assert_eq!(path, "$.opt_str");
    assert!(reason.contains("[null, string]"), "{reason}");
    let (path, reason) = encode_error(avro(&json!({"num": {"float": 1.5}})));
    assert_eq!(path, "$.num");
    assert!(reason.contains("\"float\" names no branch"), "{reason}");
    let (path, _) = encode_error(avro(&json!({"list": [{"long": "x"}]})));
    assert_eq!(path, "$.list[0].long");
}

#[test]
fn records_in_a_union_match_by_keys() {
    let schema = mixed();
    // Keys of neither record: the error lists both branches.
    let (path, reason) = encode_error(natural(&json!({"payload": {"x": 1, "text": "t"}}), &schema));
    assert_eq!(path, "$.payload");
    assert!(reason.contains("fits no branch"), "{reason}");
    assert!(reason.contains("unknown field"), "{reason}");
    // A wrong value inside the one record that fits is reported at its path.
    let (path, reason) = encode_error(natural(&json!({"payload": {"x": 1, "y": "2"}}), &schema));
    assert_eq!(path, "$.payload.y");
    assert!(reason.contains("expected an integer"), "{reason}");
}

// ---------------------------------------------------------------------------------------
// Errors name the JSON path.

fn with(path: &[&str], value: Json) -> Json {
    let mut j = full_json();
    let mut at = &mut j;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
    j
}

#[test]
fn error_wrong_type() {
    let (path, reason) = encode_error(natural(&with(&["user_id"], json!(5)), &v1()));
    assert_eq!(path, "$.user_id");
    assert!(
        reason.contains("expected a string, found number 5"),
        "{reason}"
    );
    let (path, _) = encode_error(natural(&with(&["tags"], json!(["a", 1])), &v1()));
    assert_eq!(path, "$.tags[1]");
    let (path, _) = encode_error(natural(&with(&["attributes"], json!({"a b": 1})), &v1()));
    assert_eq!(path, "$.attributes[\"a b\"]");
    let (path, reason) = encode_error(natural(&with(&["occurred_at"], json!(1.5)), &v1()));
    assert_eq!(path, "$.occurred_at");
    assert!(reason.contains("integer"), "{reason}");
    let (path, reason) = encode_error(natural(&with(&["action"], json!("JUMP")), &v1()));
    assert_eq!(path, "$.action");
    assert!(reason.contains("LOGIN, LOGOUT, VIEW, PURCHASE"), "{reason}");
}

#[test]
fn error_unknown_field() {
    let (path, reason) = encode_error(natural(&with(&["device", "colour"], json!("red")), &v1()));
    assert_eq!(path, "$.device.colour");
    assert!(reason.contains("unknown field \"colour\""), "{reason}");
    // Inside a [null, record] union the record's own error comes through.
    let (path, _) = encode_error(natural(
        &with(&["shipping_address", "zip"], json!("1")),
        &v1(),
    ));
    assert_eq!(path, "$.shipping_address.zip");
}

#[test]
fn error_missing_field_without_default() {
    let mut j = full_json();
    j["device"].as_object_mut().unwrap().remove("platform");
    let (path, reason) = encode_error(natural(&j, &v1()));
    assert_eq!(path, "$.device.platform");
    assert!(reason.contains("missing field \"platform\""), "{reason}");
    let mut j = full_json();
    j.as_object_mut().unwrap().remove("user_id");
    assert_eq!(encode_error(natural(&j, &v1())).0, "$.user_id");
}

#[test]
fn error_decimal_too_precise_or_too_long() {
    let (path, reason) = encode_error(natural(&with(&["amount"], json!("12.345")), &v1()));
    assert_eq!(path, "$.amount");
    assert!(reason.contains("scale 2"), "{reason}");
    let (_, reason) = encode_error(natural(&with(&["amount"], json!("123456789.00")), &v1()));
    assert!(reason.contains("precision 10"), "{reason}");
    let (_, reason) = encode_error(natural(&with(&["amount"], json!("1e999999999")), &v1()));
    assert!(reason.contains("precision 10"), "{reason}");
    let (_, reason) = encode_error(natural(&with(&["amount"], json!("12,34")), &v1()));
    assert!(reason.contains("not a decimal"), "{reason}");
    // Natural decimals in a fixed must fit it.
    let (path, _) = encode_error(natural(
        &json!({"fixed_price": "9999.99", "price": "10000.00"}),
        &mixed(),
    ));
    assert_eq!(path, "$.price");
}

#[test]
fn error_bad_uuid() {
    let (path, reason) = encode_error(natural(&with(&["event_id"], json!("not-a-uuid")), &v1()));
    assert_eq!(path, "$.event_id");
    assert!(reason.contains("not a UUID"), "{reason}");
}

#[test]
fn error_union_fits_no_branch() {
    let (path, reason) = encode_error(natural(&with(&["session_id"], json!(5)), &v1()));
    assert_eq!(path, "$.session_id");
    assert!(
        reason.contains("fits no branch of the union [null, string]"),
        "{reason}"
    );
    let (path, reason) = encode_error(natural(&json!({"num": "5"}), &mixed()));
    assert_eq!(path, "$.num");
    assert!(reason.contains("[null, int, long, double]"), "{reason}");
    let (path, _) = encode_error(natural(&json!({"flag": {"boolean": 1}}), &mixed()));
    assert_eq!(path, "$.flag.boolean");
}

#[test]
fn error_bytes_and_dates() {
    let (path, reason) = encode_error(natural(&json!({"choice": {"bytes": "€"}}), &mixed()));
    assert_eq!(path, "$.choice.bytes");
    assert!(reason.contains("not a byte"), "{reason}");
    let (path, reason) = encode_error(natural(&json!({"hash": "abc"}), &mixed()));
    assert_eq!(path, "$.hash");
    assert!(
        reason.contains("fits no branch") || reason.contains("4 bytes"),
        "{reason}"
    );
    let ok = natural(&json!({"day": "2022-01-08"}), &mixed()).unwrap();
    assert_eq!(ok, natural(&json!({"day": 19_000}), &mixed()).unwrap());
    let (path, _) = encode_error(natural(&json!({"day": "2022-02-30"}), &mixed()));
    assert_eq!(path, "$.day");
    let (_, reason) = encode_error(natural(
        &json!({"when": "2023-11-14T22:13:20.1234Z"}),
        &mixed(),
    ));
    assert!(
        reason.contains("more precise than timestamp-millis"),
        "{reason}"
    );
}

#[test]
fn error_invalid_json_structure() {
    for bad in [json!([1, 2]), json!("event"), json!(null), json!(1)] {
        let (path, reason) = encode_error(natural(&bad, &v1()));
        assert_eq!(path, "$");
        assert!(
            reason.contains("record com.example.events.UserEvent"),
            "{reason}"
        );
    }
    let pb = ProtobufSchema::of::<pb::UserEvent>().unwrap();
    let mut buf = Vec::new();
    let err = json_to_protobuf_frame(
        &json!([1]),
        &pb,
        "events.v1.UserEvent",
        SchemaId(1),
        &mut buf,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::EncodeJson { ref path, .. } if path == "$"),
        "{err}"
    );
    assert!(buf.is_empty());
}

// ---------------------------------------------------------------------------------------
// Protobuf.

fn proto(json: &Json, message: &str) -> schemaflow::codec::Result<Vec<u8>> {
    let schema = ProtobufSchema::of::<pb::UserEvent>().unwrap();
    let mut buf = Vec::new();
    json_to_protobuf_frame(json, &schema, message, SchemaId(5), &mut buf)?;
    Ok(buf)
}

#[test]
fn protobuf_index_paths() {
    let schema = ProtobufSchema::of::<pb::UserEvent>().unwrap();
    assert_eq!(schema.index_path("events.v1.UserEvent").unwrap(), [0]);
    assert_eq!(schema.index_path(".events.v1.UserEventBatch").unwrap(), [1]);
    assert_eq!(
        schema.index_path("events.v1.UserEvent.LineItem").unwrap(),
        [0, 0]
    );
    // In an imported file, or nowhere: not a message of this schema's file.
    assert!(schema.index_path("events.v1.Address").is_err());
    assert!(schema.index_path("events.v1.Nope").is_err());
    let err = proto(&json!({}), "events.v1.Nope").unwrap_err();
    assert!(matches!(err, Error::ParseProtobufSchema { .. }), "{err}");
}

#[test]
fn protobuf_accepts_json_and_proto_field_names() {
    let camel = proto(&json!({"userId": "u", "amountCents": "1234", "sessionId": "s", "occurredAt": "2023-11-14T22:13:20.123Z"}), "events.v1.UserEvent").unwrap();
    let snake = proto(&json!({"user_id": "u", "amount_cents": 1234, "session_id": "s", "occurred_at": "2023-11-14T22:13:20.123Z"}), "events.v1.UserEvent").unwrap();
    assert_eq!(camel, snake);
    let (_, back) = schemaflow::codec::protobuf::decode::<pb::UserEvent>(&camel).unwrap();
    assert_eq!(back.amount_cents, 1234);
    assert_eq!(back.occurred_at.unwrap().nanos, 123_000_000);
    // Nested message frames carry their index path.
    let item = proto(
        &json!({"sku": "sku-9", "quantity": 7}),
        "events.v1.UserEvent.LineItem",
    )
    .unwrap();
    assert_eq!(&item[5..8], &[4, 0, 0]);
}

#[test]
fn protobuf_unknown_field_is_an_error() {
    let err = proto(&json!({"userId": "u", "bogus": 1}), "events.v1.UserEvent").unwrap_err();
    let Error::EncodeJson { path, reason } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "$");
    assert!(reason.contains("bogus"), "{reason}");
    let err = proto(
        &json!({"device": {"platform": "ios", "os": "x"}}),
        "events.v1.UserEvent",
    )
    .unwrap_err();
    let Error::EncodeJson { path, reason } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "$.device");
    assert!(reason.contains("os"), "{reason}");
}

#[test]
fn protobuf_wrong_type_is_an_error_with_its_path() {
    let err = proto(&json!({"device": {"platform": 5}}), "events.v1.UserEvent").unwrap_err();
    let Error::EncodeJson { path, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "$.device.platform");
    let err = proto(
        &json!({"items": [{"sku": "a", "quantity": "many"}]}),
        "events.v1.UserEvent",
    )
    .unwrap_err();
    let Error::EncodeJson { path, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "$.items[0].quantity");
    let err = proto(&json!({"action": "JUMP"}), "events.v1.UserEvent").unwrap_err();
    let Error::EncodeJson { path, reason } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "$.action");
    assert!(reason.contains("JUMP"), "{reason}");
}

#[test]
fn every_logical_type_round_trips_in_the_natural_form() {
    let schema = AvroSchema::parse(
        r#"{"type": "record", "name": "Logical", "fields": [
          {"name": "date", "type": {"type": "int", "logicalType": "date"}},
          {"name": "tmillis", "type": {"type": "int", "logicalType": "time-millis"}},
          {"name": "tmicros", "type": {"type": "long", "logicalType": "time-micros"}},
          {"name": "ts_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
          {"name": "ts_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
          {"name": "ts_ns", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
          {"name": "local_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
          {"name": "uuid_fixed", "type": {"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"}},
          {"name": "dec_fixed", "type": ["null", {"type": "fixed", "name": "D", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 4}]},
          {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
          {"name": "dur", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
          {"name": "f", "type": "float"},
          {"name": "d", "type": "double"}
        ]}"#,
        &[],
    )
    .unwrap();
    let input = json!({
        "date": -3, "tmillis": 1000, "tmicros": 1_000_000, "ts_ms": -1,
        "ts_us": 1_700_000_000_123_456i64, "ts_ns": 1_700_000_000_123_456_789i64,
        "local_ms": 5, "uuid_fixed": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
        "dec_fixed": "-12345678901234.5678", "big": "-123.456",
        "dur": "\u{0001}\u{0000}\u{0000}\u{0000}\u{0002}\u{0000}\u{0000}\u{0000}\u{0003}\u{0000}\u{0000}\u{0000}",
        "f": 0.1, "d": -2.5e-300
    });
    let frame = natural(&input, &schema).unwrap();
    let (_, printed) = avro_frame_to_json(&frame, &schema).unwrap();
    assert_eq!(natural(&printed, &schema).unwrap(), frame, "{printed}");
    for key in [
        "date",
        "ts_us",
        "ts_ns",
        "uuid_fixed",
        "dec_fixed",
        "big",
        "dur",
        "d",
    ] {
        assert_eq!(printed[key], input[key], "{key}");
    }
    // Text forms of dates and timestamps.
    let mut text = input.clone();
    text["date"] = json!("1969-12-29");
    text["ts_us"] = json!("2023-11-14T22:13:20.123456Z");
    text["ts_ns"] = json!("2023-11-14T22:13:20.123456789Z");
    text["ts_ms"] = json!("1969-12-31T23:59:59.999Z");
    assert_eq!(natural(&text, &schema).unwrap(), frame);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let schema = AvroSchema::parse(
        r#"{"type": "record", "name": "Node", "fields": [
          {"name": "next", "type": ["null", "Node"], "default": null}]}"#,
        &[],
    )
    .unwrap();
    let mut json = json!({});
    for _ in 0..100 {
        json = json!({ "next": json });
    }
    natural(&json, &schema).unwrap();
    for _ in 0..400 {
        json = json!({ "next": json });
    }
    let (_, reason) = encode_error(natural(&json, &schema));
    assert!(reason.contains("nested deeper"), "{reason}");
}
