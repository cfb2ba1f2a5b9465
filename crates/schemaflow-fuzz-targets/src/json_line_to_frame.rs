//! `json_line_to_frame`: an arbitrary line read as `schemaflow produce` reads a value — JSON,
//! then the frame of the topic's schema (Avro in both JSON forms, or a Protobuf message by
//! name). A frame made from a line must decode, with no generated type and into the
//! generated type.

use schemaflow_schema::codec::json::{json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm};
use schemaflow_schema::codec::{RegistryCodec, WriterSchema};
use schemaflow_schema::wire::SchemaId;

use crate::samples::{self, proto_v1, proto_v2};

/// Read `data` as one JSON line and encode it with every sample schema.
pub fn json_line_to_frame(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let id = SchemaId(1);
    for form in [AvroJsonForm::Natural, AvroJsonForm::Avro] {
        avro::<samples::AvroAddress>(&json, samples::avro_address(), id, form);
        avro::<samples::AvroUserEventV1>(&json, samples::avro_user_event_v1(), id, form);
        avro::<samples::AvroUserEventV2>(&json, samples::avro_user_event_v2(), id, form);
    }
    protobuf::<proto_v1::Device>(&json, samples::proto_common_v1(), id);
    protobuf::<proto_v1::Address>(&json, samples::proto_common_v1(), id);
    protobuf::<proto_v1::UserEvent>(&json, samples::proto_user_event_v1(), id);
    protobuf::<proto_v1::user_event::LineItem>(&json, samples::proto_user_event_v1(), id);
    protobuf::<proto_v1::UserEventBatch>(&json, samples::proto_user_event_v1(), id);
    protobuf::<proto_v2::UserEvent>(&json, samples::proto_user_event_v2(), id);
}

fn avro<T: RegistryCodec>(
    json: &serde_json::Value,
    writer: &WriterSchema,
    id: SchemaId,
    form: AvroJsonForm,
) {
    let WriterSchema::Avro(schema) = writer else {
        unreachable!("an Avro sample has an Avro schema");
    };
    let mut frame = Vec::new();
    if json_to_avro_frame(json, schema, id, form, &mut frame).is_ok() {
        decodes::<T>(&frame, writer);
    } else {
        assert!(
            frame.is_empty(),
            "a failed encoding leaves the buffer as it was"
        );
    }
}

fn protobuf<T: RegistryCodec>(json: &serde_json::Value, writer: &WriterSchema, id: SchemaId) {
    let WriterSchema::Protobuf(schema) = writer else {
        unreachable!("a Protobuf sample has a Protobuf schema");
    };
    let mut frame = Vec::new();
    if json_to_protobuf_frame(json, schema, T::FULL_NAME, id, &mut frame).is_ok() {
        decodes::<T>(&frame, writer);
    } else {
        assert!(
            frame.is_empty(),
            "a failed encoding leaves the buffer as it was"
        );
    }
}

/// A frame we made decodes, both to JSON and into the generated type.
fn decodes<T: RegistryCodec>(frame: &[u8], writer: &WriterSchema) {
    if let Err(e) = writer.frame_to_json(frame) {
        panic!("a frame made from JSON does not decode to JSON: {e}");
    }
    if let Err(e) = T::decode_frame(frame, writer) {
        panic!(
            "a frame made from JSON does not decode into {}: {e}",
            T::FULL_NAME
        );
    }
}
