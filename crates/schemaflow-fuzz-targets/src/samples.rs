//! The repository's sample types (generated from `schemas/` and `proto/`, v1 and the
//! `evolution/` v2) and their schemas as a consumer holds them after fetching them by id.

use std::sync::{Arc, OnceLock};

use schemaflow_schema::codec::avro::AvroSchema;
use schemaflow_schema::codec::protobuf::ProtobufSchema;
use schemaflow_schema::codec::WriterSchema;
use schemaflow_schema::GeneratedSchema;

/// The generated sample types, compiled by this crate's build script.
#[allow(missing_docs, dead_code, unreachable_pub, clippy::all)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/schemaflow.rs"));
}

pub use generated::avro::address::Address as AvroAddress;
pub use generated::avro::evolution::user_event::UserEvent as AvroUserEventV2;
pub use generated::avro::user_event::UserEvent as AvroUserEventV1;
pub use generated::proto::events::v1 as proto_v1;
pub use generated::proto::evolution::events::v1 as proto_v2;

/// One parsed writer schema per process: the targets measure decoding, not schema parsing.
macro_rules! writer {
    ($name:ident, $kind:ident, $schema:ty, $ty:ty) => {
        /// The writer schema of the frames of this sample type, parsed once.
        pub fn $name() -> &'static WriterSchema {
            static ONCE: OnceLock<WriterSchema> = OnceLock::new();
            ONCE.get_or_init(|| {
                // The repository's own schemas: they parse (the build compiled them).
                let parsed = <$schema>::of::<$ty>().expect(concat!(stringify!($ty), " parses"));
                WriterSchema::$kind(Arc::new(parsed))
            })
        }
    };
}

writer!(avro_address, Avro, AvroSchema, AvroAddress);
writer!(avro_user_event_v1, Avro, AvroSchema, AvroUserEventV1);
writer!(avro_user_event_v2, Avro, AvroSchema, AvroUserEventV2);
writer!(proto_common_v1, Protobuf, ProtobufSchema, proto_v1::Device);
writer!(
    proto_user_event_v1,
    Protobuf,
    ProtobufSchema,
    proto_v1::UserEvent
);
writer!(
    proto_user_event_v2,
    Protobuf,
    ProtobufSchema,
    proto_v2::UserEvent
);

/// Every writer schema above, for targets that try them all.
pub fn all_writers() -> [&'static WriterSchema; 6] {
    [
        avro_address(),
        avro_user_event_v1(),
        avro_user_event_v2(),
        proto_common_v1(),
        proto_user_event_v1(),
        proto_user_event_v2(),
    ]
}

/// `address.avsc`'s text: what a schema referring to `com.example.events.Address` is
/// registered with as its reference.
pub fn avro_address_text() -> &'static str {
    AvroAddress::SCHEMA_TEXT
}

/// `events/v1/common.proto`'s import path and text: what a `.proto` importing it is
/// registered with as its reference.
pub fn proto_common_import() -> (&'static str, &'static str) {
    (proto_v1::Device::FILE, proto_v1::Device::SCHEMA_TEXT)
}
