//! Avro codec: round trips, evolution both ways, bad input, property tests.
use crate::common;

use std::sync::Arc;

use common::samples::avro::evolution::user_event as v2;
use common::samples::avro::user_event::{Action, Device, UserEvent};
use proptest::prelude::*;
use schemaflow::codec::avro::{AvroCodec, AvroDecodeError, AvroSchema, ResolveRule};
use schemaflow::wire::SchemaId;
use schemaflow::{GeneratedSchema, SchemaError as Error, SchemaType};

#[test]
fn generated_type_knows_its_schema() {
    assert_eq!(UserEvent::SCHEMA_TYPE, SchemaType::Avro);
    assert_eq!(UserEvent::FULL_NAME, "com.example.events.UserEvent");
    assert_eq!(UserEvent::FILE, "user_event.avsc");
    // The file as written, not a canonical form.
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/user_event.avsc"
    ))
    .unwrap();
    assert_eq!(UserEvent::SCHEMA_TEXT, on_disk);
    assert_eq!(UserEvent::REFERENCES.len(), 1);
    assert_eq!(UserEvent::REFERENCES[0].name, "com.example.events.Address");
    assert_eq!(UserEvent::REFERENCES[0].file, "address.avsc");
    assert!(UserEvent::MESSAGE_INDEXES.is_empty());
    assert_eq!(v2::UserEvent::FULL_NAME, "com.example.events.UserEvent");
    assert!(v2::UserEvent::SCHEMA_TEXT.contains("\"channel\""));
}

#[test]
fn round_trip_same_schema() {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    for event in [
        common::avro_full(),
        common::avro_minimal(),
        common::avro_negative(),
    ] {
        let mut frame = Vec::new();
        codec.encode(SchemaId(42), &event, &mut frame).unwrap();
        assert_eq!(&frame[..5], &[0, 0, 0, 0, 42]);
        let (id, back) = codec.decode(&frame, codec.schema()).unwrap();
        assert_eq!(id, SchemaId(42));
        assert_eq!(back, event);
    }
}

#[test]
fn v1_data_reads_as_v2_with_default() {
    let v1 = AvroCodec::<UserEvent>::new().unwrap();
    let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
    let mut frame = Vec::new();
    v1.encode(SchemaId(1), &common::avro_full(), &mut frame)
        .unwrap();
    let (_, got) = v2c.decode(&frame, v1.schema()).unwrap();
    assert_eq!(got, common::avro_v2_full("web"));
}

#[test]
fn v2_data_reads_as_v1_dropping_new_field() {
    let v1 = AvroCodec::<UserEvent>::new().unwrap();
    let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
    let mut frame = Vec::new();
    v2c.encode(SchemaId(2), &common::avro_v2_full("ios"), &mut frame)
        .unwrap();
    let (id, got) = v1.decode(&frame, v2c.schema()).unwrap();
    assert_eq!(id, SchemaId(2));
    assert_eq!(got, common::avro_full());
}

#[test]
fn incompatible_writer_is_a_typed_error() {
    // A writer whose `user_id` is an int cannot be read as the string field.
    let writer = AvroSchema::parse(
        r#"{"type":"record","name":"UserEvent","namespace":"com.example.events","fields":[{"name":"user_id","type":"int"}]}"#,
        &[],
    )
    .unwrap();
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    let frame = [0, 0, 0, 0, 9, 2];
    match codec.decode(&frame, &writer) {
        Err(Error::ResolveAvroSchema { source, .. }) => {
            // Typed: where, and which rule.
            assert_eq!(source.path, "/fields/user_id");
            assert!(
                matches!(source.rule, ResolveRule::TypeMismatch { ref writer, ref reader } if writer == "int" && reader == "string"),
                "{source:?}"
            );
        }
        other => panic!("expected a resolution error, got {other:?}"),
    }
}

#[test]
fn truncated_and_corrupt_payloads_are_errors() {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    let mut frame = Vec::new();
    codec
        .encode(SchemaId(1), &common::avro_full(), &mut frame)
        .unwrap();
    for cut in 0..frame.len() {
        assert!(
            codec.decode(&frame[..cut], codec.schema()).is_err(),
            "prefix {cut} decoded"
        );
    }
    assert!(matches!(
        codec.decode(&[1, 0, 0, 0, 1, 0], codec.schema()),
        Err(Error::Frame(_))
    ));
    // The reason is typed, not a string: a datum cut inside the first (uuid string) field.
    match codec.decode(&frame[..7], codec.schema()) {
        Err(Error::DecodeAvro {
            schema_id: SchemaId(1),
            source,
            ..
        }) => assert_eq!(
            // The uuid's 36 bytes, with 1 byte left after its length.
            source,
            AvroDecodeError::Truncated {
                needed: 36,
                left: 1
            }
        ),
        other => panic!("expected a typed DecodeAvro error, got {other:?}"),
    }
    // The same corrupt bytes through the resolution path (v1 data, v2 reader).
    let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
    for cut in 5..frame.len() {
        assert!(v2c.decode(&frame[..cut], codec.schema()).is_err());
    }
}

#[test]
fn shortcut_paths_still_reject_truncated_or_padded_data() {
    let v1 = AvroCodec::<UserEvent>::new().unwrap();
    let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
    // v2 data read as v1 (the reader's bytes are a prefix): a cut in the skipped `channel`
    // field, or bytes after it, is still an error.
    let mut frame = Vec::new();
    v2c.encode(SchemaId(2), &common::avro_v2_full("ios"), &mut frame)
        .unwrap();
    for cut in 5..frame.len() {
        assert!(
            v1.decode(&frame[..cut], v2c.schema()).is_err(),
            "cut at {cut}"
        );
    }
    let mut padded = frame.clone();
    padded.push(0);
    assert!(v1.decode(&padded, v2c.schema()).is_err());
    // v1 data read as v2 (defaults appended): bytes after the datum are an error.
    let mut frame = Vec::new();
    v1.encode(SchemaId(1), &common::avro_full(), &mut frame)
        .unwrap();
    frame.push(0);
    assert!(v2c.decode(&frame, v1.schema()).is_err());
}

#[test]
fn writer_schema_with_references_parses_and_matches_own() {
    let schema = AvroSchema::parse(
        UserEvent::SCHEMA_TEXT,
        &[UserEvent::REFERENCES[0].schema_text],
    )
    .unwrap();
    let codec = AvroCodec::<UserEvent>::with_schema(Arc::new(schema));
    assert_eq!(codec.schema().name(), "com.example.events.UserEvent");
    assert!(
        AvroSchema::parse(UserEvent::SCHEMA_TEXT, &[]).is_err(),
        "missing reference must fail"
    );
}

fn arb_event() -> impl Strategy<Value = UserEvent> {
    (
        any::<u128>(),
        ".{0,20}",
        0..4u8,
        any::<i64>(),
        any::<i64>(),
        proptest::option::of(".{0,10}"),
        ("[a-z]{0,8}", proptest::option::of("[0-9.]{0,6}")),
        proptest::collection::vec(".{0,6}", 0..4),
        proptest::collection::btree_map("[a-z]{1,5}", ".{0,5}", 0..4),
    )
        .prop_map(
            |(id, user, action, at, cents, session, (platform, app), tags, attrs)| UserEvent {
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
                shipping_address: None,
                tags,
                attributes: attrs,
            },
        )
}

proptest! {
    #[test]
    fn prop_round_trip(event in arb_event(), id in any::<u32>()) {
        let codec = AvroCodec::<UserEvent>::new().unwrap();
        let mut frame = Vec::new();
        codec.encode(SchemaId(id), &event, &mut frame).unwrap();
        let (got_id, back) = codec.decode(&frame, codec.schema()).unwrap();
        prop_assert_eq!(got_id, SchemaId(id));
        prop_assert_eq!(back, event);
    }

    #[test]
    fn prop_evolution_round_trip(event in arb_event()) {
        let v1 = AvroCodec::<UserEvent>::new().unwrap();
        let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
        let mut frame = Vec::new();
        v1.encode(SchemaId(1), &event, &mut frame).unwrap();
        let (_, as_v2) = v2c.decode(&frame, v1.schema()).unwrap();
        prop_assert_eq!(&as_v2.channel, "web");
        let mut frame2 = Vec::new();
        v2c.encode(SchemaId(2), &as_v2, &mut frame2).unwrap();
        let (_, back) = v1.decode(&frame2, v2c.schema()).unwrap();
        prop_assert_eq!(back, event);
    }

    #[test]
    fn prop_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let v1 = AvroCodec::<UserEvent>::new().unwrap();
        let v2c = AvroCodec::<v2::UserEvent>::new().unwrap();
        let _ = v1.decode(&bytes, v1.schema());
        let _ = v2c.decode(&bytes, v1.schema());
        let _ = schemaflow::codec::json::avro_frame_to_json(&bytes, v1.schema());
    }
}
