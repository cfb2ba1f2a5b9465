//! `avro_decode`: arbitrary bytes as a frame of each generated Avro sample type, decoded by
//! its generated decoder with its own schema as the writer's (the consumer's direct path).
//! A value decoded must encode and decode back to itself.

use schemaflow_schema::codec::{RegistryCodec, WriterSchema};

use crate::samples;

/// Decode `data` into every Avro sample type with that type's own writer schema.
pub fn avro_decode(data: &[u8]) {
    let (address, v1, v2) = (
        samples::avro_address(),
        samples::avro_user_event_v1(),
        samples::avro_user_event_v2(),
    );
    round_trip::<samples::AvroAddress>(data, address, address);
    round_trip::<samples::AvroUserEventV1>(data, v1, v1);
    round_trip::<samples::AvroUserEventV2>(data, v2, v2);
}

/// Decode `frame` as `T` written with `writer`; a success re-encodes (with `T`'s own schema,
/// `own`) to a frame that decodes to the same value. Returns the decoded value.
pub(crate) fn round_trip<T: RegistryCodec + PartialEq + std::fmt::Debug>(
    frame: &[u8],
    writer: &WriterSchema,
    own: &WriterSchema,
) -> Option<T> {
    let (id, value) = T::decode_frame(frame, writer).ok()?;
    let mut again = Vec::new();
    if let Err(e) = value.encode_frame(id, &mut again) {
        panic!("a decoded {} does not encode: {e}", T::FULL_NAME);
    }
    match T::decode_frame(&again, own) {
        Ok((id2, value2)) => {
            assert_eq!(id2, id, "the id survives the round trip");
            assert_eq!(value2, value, "{} survives the round trip", T::FULL_NAME);
        }
        Err(e) => panic!("a re-encoded {} does not decode: {e}", T::FULL_NAME),
    }
    Some(value)
}
