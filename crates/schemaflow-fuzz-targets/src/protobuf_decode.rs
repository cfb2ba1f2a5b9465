//! `protobuf_decode`: arbitrary bytes as a frame of each generated Protobuf sample message
//! (prost), with its own file as the writer schema, and across versions (a v1 frame read as
//! v2's `UserEvent` and back). A value decoded must encode and decode back to itself.

use crate::avro_decode::round_trip;
use crate::samples::{self, proto_v1, proto_v2};

/// Decode `data` into every Protobuf sample message.
pub fn protobuf_decode(data: &[u8]) {
    let common = samples::proto_common_v1();
    let (v1, v2) = (
        samples::proto_user_event_v1(),
        samples::proto_user_event_v2(),
    );
    round_trip::<proto_v1::Device>(data, common, common);
    round_trip::<proto_v1::Address>(data, common, common);
    round_trip::<proto_v1::UserEvent>(data, v1, v1);
    round_trip::<proto_v1::user_event::LineItem>(data, v1, v1);
    round_trip::<proto_v1::UserEventBatch>(data, v1, v1);
    round_trip::<proto_v2::UserEvent>(data, v2, v2);
    // Another version of the writer's file: the index path names the same message.
    round_trip::<proto_v2::UserEvent>(data, v1, v2);
    round_trip::<proto_v1::UserEvent>(data, v2, v1);
}
