//! Protobuf codec: message indexes, round trips, evolution, bad input, property tests.
use crate::common;

use common::samples::proto::events::v1 as pb;
use common::samples::proto::evolution::events::v1 as pb_v2;
use proptest::prelude::*;
use prost::Message;
use schemaflow::codec::protobuf::{self, ProtobufSchema};
use schemaflow::wire::SchemaId;
use schemaflow::{GeneratedSchema, SchemaError as Error, SchemaType};

#[test]
fn generated_messages_know_their_index_paths() {
    assert_eq!(pb::UserEvent::SCHEMA_TYPE, SchemaType::Protobuf);
    assert_eq!(pb::UserEvent::FULL_NAME, "events.v1.UserEvent");
    assert_eq!(pb::UserEvent::MESSAGE_INDEXES, &[0]);
    assert_eq!(pb::UserEventBatch::MESSAGE_INDEXES, &[1]);
    assert_eq!(
        pb::user_event::LineItem::FULL_NAME,
        "events.v1.UserEvent.LineItem"
    );
    assert_eq!(pb::user_event::LineItem::MESSAGE_INDEXES, &[0, 0]);
    assert_eq!(pb::Address::MESSAGE_INDEXES, &[1]);
    assert_eq!(pb::UserEvent::FILE, "events/v1/user_event.proto");
    // Imports are references, except the well-known google/protobuf files.
    let refs: Vec<&str> = pb::UserEvent::REFERENCES.iter().map(|r| r.name).collect();
    assert_eq!(refs, ["events/v1/common.proto"]);
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/events/v1/user_event.proto"
    ))
    .unwrap();
    assert_eq!(pb::UserEvent::SCHEMA_TEXT, on_disk);
}

#[test]
fn frames_carry_the_right_indexes() {
    let mut f = Vec::new();
    protobuf::encode(SchemaId(3), &common::proto_full(), &mut f);
    assert_eq!(&f[..6], &[0, 0, 0, 0, 3, 0]);
    f.clear();
    protobuf::encode(SchemaId(3), &common::proto_batch(), &mut f);
    assert_eq!(&f[..7], &[0, 0, 0, 0, 3, 2, 2]);
    f.clear();
    protobuf::encode(SchemaId(3), &common::proto_line_item(), &mut f);
    assert_eq!(&f[..8], &[0, 0, 0, 0, 3, 4, 0, 0]);
}

#[test]
fn round_trips() {
    let mut f = Vec::new();
    protobuf::encode(SchemaId(7), &common::proto_full(), &mut f);
    assert_eq!(
        protobuf::decode::<pb::UserEvent>(&f).unwrap(),
        (SchemaId(7), common::proto_full())
    );
    f.clear();
    protobuf::encode(SchemaId(8), &common::proto_batch(), &mut f);
    assert_eq!(
        protobuf::decode::<pb::UserEventBatch>(&f).unwrap(),
        (SchemaId(8), common::proto_batch())
    );
}

#[test]
fn wrong_message_is_an_error_not_a_misread() {
    let mut f = Vec::new();
    protobuf::encode(SchemaId(1), &common::proto_batch(), &mut f);
    match protobuf::decode::<pb::UserEvent>(&f) {
        Err(Error::MessageIndexMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected, vec![0]);
            assert_eq!(found, vec![1]);
        }
        other => panic!("expected MessageIndexMismatch, got {other:?}"),
    }
}

#[test]
fn evolution_both_ways() {
    let mut f = Vec::new();
    protobuf::encode(SchemaId(1), &common::proto_full(), &mut f);
    let (_, v2) = protobuf::decode::<pb_v2::UserEvent>(&f).unwrap();
    assert_eq!(v2, common::proto_v2_full(""));
    f.clear();
    protobuf::encode(SchemaId(2), &common::proto_v2_full("ios"), &mut f);
    let (_, v1) = protobuf::decode::<pb::UserEvent>(&f).unwrap();
    // prost skips the unknown field 12.
    assert_eq!(v1, common::proto_full());
}

#[test]
fn corrupt_frames_are_errors() {
    let mut f = Vec::new();
    protobuf::encode(SchemaId(1), &common::proto_full(), &mut f);
    assert!(protobuf::decode::<pb::UserEvent>(&[]).is_err());
    assert!(protobuf::decode::<pb::UserEvent>(&f[..4]).is_err());
    assert!(protobuf::decode::<pb::UserEvent>(&[0, 0, 0, 0, 1, 0x80]).is_err());
    let mut truncated = f.clone();
    truncated.truncate(f.len() - 3);
    assert!(matches!(
        protobuf::decode::<pb::UserEvent>(&truncated),
        Err(Error::DecodeProtobuf { .. })
    ));
}

#[test]
fn generic_json_decode_by_index_path() {
    let schema = ProtobufSchema::of::<pb::UserEvent>().unwrap();
    let mut f = Vec::new();
    protobuf::encode(SchemaId(5), &common::proto_line_item(), &mut f);
    let (id, json) = schema.frame_to_json(&f).unwrap();
    assert_eq!(id, SchemaId(5));
    assert_eq!(json, serde_json::json!({"sku": "sku-9", "quantity": 7}));
    f.clear();
    protobuf::encode(SchemaId(5), &common::proto_full(), &mut f);
    let (_, json) = schema.frame_to_json(&f).unwrap();
    assert_eq!(json["occurredAt"], "2023-11-14T22:13:20.123Z");
    assert_eq!(json["action"], "ACTION_PURCHASE");
    assert_eq!(json["amountCents"], "1234");
    assert!(
        schema.frame_to_json(&[0, 0, 0, 0, 5, 2, 40]).is_err(),
        "index 20 does not exist"
    );
}

fn arb_event() -> impl Strategy<Value = pb::UserEvent> {
    (
        ".{0,12}",
        ".{0,12}",
        0..5i32,
        proptest::option::of((
            any::<i64>().prop_map(|s| s % 100_000_000_000),
            0..1_000_000_000i32,
        )),
        any::<i64>(),
        proptest::option::of(".{0,8}"),
        proptest::collection::vec(".{0,5}", 0..4),
        proptest::collection::btree_map("[a-z]{1,4}", ".{0,4}", 0..3),
        proptest::collection::vec(("[a-z0-9-]{0,6}", any::<i32>()), 0..3),
    )
        .prop_map(
            |(id, user, action, ts, cents, session, tags, attributes, items)| pb::UserEvent {
                event_id: id,
                user_id: user,
                action,
                occurred_at: ts.map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
                amount_cents: cents,
                session_id: session,
                device: None,
                shipping_address: None,
                tags,
                attributes,
                items: items
                    .into_iter()
                    .map(|(sku, quantity)| pb::user_event::LineItem { sku, quantity })
                    .collect(),
            },
        )
}

proptest! {
    #[test]
    fn prop_round_trip(event in arb_event(), id in any::<u32>()) {
        let mut f = Vec::new();
        protobuf::encode(SchemaId(id), &event, &mut f);
        prop_assert_eq!(f.len(), 6 + event.encoded_len());
        let (got_id, back) = protobuf::decode::<pb::UserEvent>(&f).unwrap();
        prop_assert_eq!(got_id, SchemaId(id));
        prop_assert_eq!(back, event);
    }

    #[test]
    fn prop_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = protobuf::decode::<pb::UserEvent>(&bytes);
        let _ = protobuf::decode::<pb::user_event::LineItem>(&bytes);
        let schema = ProtobufSchema::of::<pb::UserEvent>().unwrap();
        let _ = schema.frame_to_json(&bytes);
    }
}
