//! Frames written by Confluent's own Python serializers (confluent-kafka 2.16.0, see
//! scripts/golden.py) must equal ours byte for byte, and ours must read theirs.
use crate::common;

use common::samples::avro::evolution::user_event as avro_v2;
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use common::samples::proto::evolution::events::v1 as pb_v2;
use schemaflow::codec::avro::AvroCodec;
use schemaflow::codec::json::avro_frame_to_json;
use schemaflow::codec::protobuf;
use schemaflow::wire::SchemaId;
use serde_json::Value;

struct Golden {
    name: String,
    id: SchemaId,
    bytes: Vec<u8>,
    entry: Value,
}

fn load() -> Vec<Golden> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("golden/manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    manifest
        .as_array()
        .expect("list")
        .iter()
        .map(|e| {
            let bytes = std::fs::read(common::fixture(&format!(
                "golden/{}",
                e["file"].as_str().unwrap()
            )))
            .unwrap();
            assert_eq!(hex::encode(&bytes), e["hex"].as_str().unwrap());
            Golden {
                name: e["name"].as_str().unwrap().to_string(),
                id: SchemaId(e["schema_id"].as_u64().unwrap() as u32),
                bytes,
                entry: e.clone(),
            }
        })
        .collect()
}

fn golden(name: &str) -> Golden {
    load()
        .into_iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no golden frame {name}"))
}

fn assert_same(name: &str, ours: &[u8], theirs: &[u8]) {
    assert_eq!(
        hex::encode(ours),
        hex::encode(theirs),
        "{name}: our frame differs from Confluent's"
    );
}

#[test]
fn every_fixture_is_covered() {
    // The JSON Schema frames are covered by json_schema_golden.rs.
    let names: Vec<String> = load()
        .into_iter()
        .filter(|g| g.entry["schema_type"] != "JSON")
        .map(|g| g.name)
        .collect();
    assert_eq!(
        names,
        [
            "avro_user_event_full",
            "avro_user_event_minimal",
            "avro_user_event_negative",
            "avro_user_event_v2",
            "proto_user_event_full",
            "proto_user_event_minimal",
            "proto_user_event_batch",
            "proto_line_item",
            "proto_user_event_v2",
        ]
    );
}

#[test]
fn avro_frames_match_confluent() {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    for (name, value) in [
        ("avro_user_event_full", common::avro_full()),
        ("avro_user_event_minimal", common::avro_minimal()),
        ("avro_user_event_negative", common::avro_negative()),
    ] {
        let g = golden(name);
        let mut ours = Vec::new();
        codec.encode(g.id, &value, &mut ours).unwrap();
        assert_same(name, &ours, &g.bytes);
        let (id, back) = codec.decode(&g.bytes, codec.schema()).unwrap();
        assert_eq!(
            (id, back),
            (g.id, value),
            "{name}: decoding Confluent's frame"
        );
    }
}

#[test]
fn avro_v2_frame_matches_and_resolves_into_v1() {
    let v2c = AvroCodec::<avro_v2::UserEvent>::new().unwrap();
    let v1 = AvroCodec::<UserEvent>::new().unwrap();
    let g = golden("avro_user_event_v2");
    let mut ours = Vec::new();
    v2c.encode(g.id, &common::avro_v2_full("ios"), &mut ours)
        .unwrap();
    assert_same(&g.name, &ours, &g.bytes);
    let (_, as_v1) = v1.decode(&g.bytes, v2c.schema()).unwrap();
    assert_eq!(as_v1, common::avro_full());
}

#[test]
fn avro_generic_json_of_confluent_frame() {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    let g = golden("avro_user_event_full");
    let (id, json) = avro_frame_to_json(&g.bytes, codec.schema()).unwrap();
    assert_eq!(id, g.id);
    assert_eq!(json["amount"], "12.34");
    assert_eq!(json["event_id"], "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d");
    assert_eq!(json["action"], "PURCHASE");
    assert_eq!(json["session_id"], "sess-1");
    assert_eq!(json["shipping_address"]["city"], "Springfield");
    assert_eq!(json["attributes"], serde_json::json!({"campaign": "fall"}));
    let neg = golden("avro_user_event_negative");
    assert_eq!(
        avro_frame_to_json(&neg.bytes, codec.schema()).unwrap().1["amount"],
        "-1.50"
    );
}

#[test]
fn avro_registered_text_is_the_file_as_written() {
    // Confluent's serializer registers the schema string it is given; we keep the file text.
    let g = golden("avro_user_event_full");
    let registered = g.entry["registered_schema"]["schema_str"].as_str().unwrap();
    assert_eq!(
        registered,
        <UserEvent as schemaflow::GeneratedSchema>::SCHEMA_TEXT.trim()
    );
}

#[test]
fn protobuf_frames_match_confluent() {
    fn check<
        T: prost::Message + Default + PartialEq + std::fmt::Debug + schemaflow::GeneratedSchema,
    >(
        name: &str,
        value: T,
    ) {
        let g = golden(name);
        let expected: Vec<i32> = g.entry["message_indexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap() as i32)
            .collect();
        assert_eq!(
            T::MESSAGE_INDEXES,
            expected.as_slice(),
            "{name}: index path"
        );
        let mut ours = Vec::new();
        protobuf::encode(g.id, &value, &mut ours);
        assert_same(name, &ours, &g.bytes);
        let (id, back) = protobuf::decode::<T>(&g.bytes).unwrap();
        assert_eq!(
            (id, back),
            (g.id, value),
            "{name}: decoding Confluent's frame"
        );
    }
    check("proto_user_event_full", common::proto_full());
    check("proto_user_event_minimal", common::proto_minimal());
    check("proto_user_event_batch", common::proto_batch());
    check("proto_line_item", common::proto_line_item());
    check("proto_user_event_v2", common::proto_v2_full("ios"));
    // Confluent's v2 frame read by the v1 type (evolution across implementations).
    let (_, v1) = protobuf::decode::<pb::UserEvent>(&golden("proto_user_event_v2").bytes).unwrap();
    assert_eq!(v1, common::proto_full());
    let (_, v2) =
        protobuf::decode::<pb_v2::UserEvent>(&golden("proto_user_event_full").bytes).unwrap();
    assert_eq!(v2, common::proto_v2_full(""));
}

#[test]
fn protobuf_references_match_what_confluent_registers() {
    // Confluent registers each import (not google/protobuf/*) under its import path.
    let g = golden("proto_user_event_full");
    let refs = g.entry["registered_schema"]["references"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = refs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let ours: Vec<&str> = <pb::UserEvent as schemaflow::GeneratedSchema>::REFERENCES
        .iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ours);
    assert_eq!(refs[0]["subject"], "events/v1/common.proto");
}
