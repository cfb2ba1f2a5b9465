//! The shapes and values of the peer benchmarks (`benches/peers.rs`, `scripts/peer-bench`), and
//! the embedded registry they run against.
//!
//! Every peer is timed on the values built here, so a row differs from another only in the
//! library doing the work. The same values reach Confluent's Python serdes through
//! [`Frames`]: `peer-registry` writes schemaflow's frames of these values to a file, and
//! `scripts/peer_bench.py` decodes them and encodes what it decoded.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use schemaflow::codec::avro::AvroCodec;
use schemaflow::codec::protobuf;
use schemaflow::registry::{register_generated, CacheConfig, CachedRegistry, ClientConfig};
use schemaflow::registry::{RegistryClient, Schema, SchemaReference};
use schemaflow::wire::SchemaId;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

/// The types `schemaflow-build` generated from this crate's `schemas/` and `proto/`.
pub mod schemas {
    schemaflow::include_schemas!();
}

use schemas::avro::address::Address;
use schemas::avro::small::Small;
use schemas::avro::user_event::{Action, Device, UserEvent};
use schemas::avro::wide::Wide;
use schemas::proto::bench::v1 as pb_bench;
use schemas::proto::events::v1 as pb;

/// The sample `UserEvent` (the value of `benches/codec.rs` and the golden fixtures): every
/// optional part present, 128 bytes of Avro.
pub fn user_event() -> UserEvent {
    UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d"
            .parse()
            .expect("uuid"),
        user_id: "user-42".into(),
        action: Action::Purchase,
        occurred_at: 1_700_000_000_123,
        amount: "12.34".parse().expect("decimal"),
        session_id: Some("sess-1".into()),
        device: Device {
            platform: "ios".into(),
            app_version: Some("17.1".into()),
        },
        shipping_address: Some(Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            country_code: "US".into(),
        }),
        tags: vec!["new".into(), "mobile".into()],
        attributes: BTreeMap::from([("campaign".to_string(), "fall".to_string())]),
    }
}

/// The 6-field record: long, string, double, boolean, `array<string>`, `map<long>`.
pub fn small() -> Small {
    Small {
        id: 1_234_567_890,
        name: "user-42".into(),
        score: 98.6,
        active: true,
        tags: vec!["new".into(), "mobile".into(), "beta".into()],
        counts: BTreeMap::from([("clicks".to_string(), 17), ("views".to_string(), 1024)]),
    }
}

/// The `k`-th long, double, string, boolean and int of the 50-field record: distinct values
/// of ordinary sizes (multi-byte varints, short strings), the same in the Protobuf message.
fn wide_fields(k: usize) -> (i64, f64, String, bool, i32) {
    let k64 = k as i64;
    (
        1_000_000 * (k64 + 1) + k64,
        k as f64 * 1.5 + 0.25,
        format!("value-{k}"),
        k.is_multiple_of(2),
        k as i32 * 1000 - 3,
    )
}

/// The flat 50-field record: 10 each of long, double, string, boolean, int.
#[rustfmt::skip]
pub fn wide() -> Wide {
    // One line a field group keeps it checkable against the schema by eye.
    let f = wide_fields;
    Wide {
        long_0: f(0).0, double_0: f(0).1, string_0: f(0).2, bool_0: f(0).3, int_0: f(0).4,
        long_1: f(1).0, double_1: f(1).1, string_1: f(1).2, bool_1: f(1).3, int_1: f(1).4,
        long_2: f(2).0, double_2: f(2).1, string_2: f(2).2, bool_2: f(2).3, int_2: f(2).4,
        long_3: f(3).0, double_3: f(3).1, string_3: f(3).2, bool_3: f(3).3, int_3: f(3).4,
        long_4: f(4).0, double_4: f(4).1, string_4: f(4).2, bool_4: f(4).3, int_4: f(4).4,
        long_5: f(5).0, double_5: f(5).1, string_5: f(5).2, bool_5: f(5).3, int_5: f(5).4,
        long_6: f(6).0, double_6: f(6).1, string_6: f(6).2, bool_6: f(6).3, int_6: f(6).4,
        long_7: f(7).0, double_7: f(7).1, string_7: f(7).2, bool_7: f(7).3, int_7: f(7).4,
        long_8: f(8).0, double_8: f(8).1, string_8: f(8).2, bool_8: f(8).3, int_8: f(8).4,
        long_9: f(9).0, double_9: f(9).1, string_9: f(9).2, bool_9: f(9).3, int_9: f(9).4,
    }
}

/// The Protobuf `UserEvent` with the same content as [`user_event`] (plus one line item, as in
/// `benches/codec.rs`).
pub fn proto_user_event() -> pb::UserEvent {
    pb::UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".into(),
        user_id: "user-42".into(),
        action: pb::user_event::Action::Purchase as i32,
        occurred_at: Some(schemaflow::prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 123_000_000,
        }),
        amount_cents: 1234,
        session_id: Some("sess-1".into()),
        device: Some(pb::Device {
            platform: "ios".into(),
            app_version: Some("17.1".into()),
        }),
        shipping_address: Some(pb::Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            country_code: "US".into(),
        }),
        tags: vec!["new".into(), "mobile".into()],
        attributes: BTreeMap::from([("campaign".to_string(), "fall".to_string())]),
        items: vec![pb::user_event::LineItem {
            sku: "sku-1".into(),
            quantity: 2,
        }],
    }
}

/// The Protobuf `Small`, the same values as [`small`].
pub fn proto_small() -> pb_bench::Small {
    let s = small();
    pb_bench::Small {
        id: s.id,
        name: s.name,
        score: s.score,
        active: s.active,
        tags: s.tags,
        counts: s.counts,
    }
}

/// The Protobuf `Wide`, the same values as [`wide`].
#[rustfmt::skip]
pub fn proto_wide() -> pb_bench::Wide {
    let f = wide_fields;
    pb_bench::Wide {
        long_0: f(0).0, double_0: f(0).1, string_0: f(0).2, bool_0: f(0).3, int_0: f(0).4,
        long_1: f(1).0, double_1: f(1).1, string_1: f(1).2, bool_1: f(1).3, int_1: f(1).4,
        long_2: f(2).0, double_2: f(2).1, string_2: f(2).2, bool_2: f(2).3, int_2: f(2).4,
        long_3: f(3).0, double_3: f(3).1, string_3: f(3).2, bool_3: f(3).3, int_3: f(3).4,
        long_4: f(4).0, double_4: f(4).1, string_4: f(4).2, bool_4: f(4).3, int_4: f(4).4,
        long_5: f(5).0, double_5: f(5).1, string_5: f(5).2, bool_5: f(5).3, int_5: f(5).4,
        long_6: f(6).0, double_6: f(6).1, string_6: f(6).2, bool_6: f(6).3, int_6: f(6).4,
        long_7: f(7).0, double_7: f(7).1, string_7: f(7).2, bool_7: f(7).3, int_7: f(7).4,
        long_8: f(8).0, double_8: f(8).1, string_8: f(8).2, bool_8: f(8).3, int_8: f(8).4,
        long_9: f(9).0, double_9: f(9).1, string_9: f(9).2, bool_9: f(9).3, int_9: f(9).4,
    }
}

/// The subject (Confluent's TopicNameStrategy: `<topic>-value`) each shape is registered under.
/// Peers that look a schema up by subject (schema_registry_converter, the Python serdes with
/// `use.latest.version`) find schemaflow's registration there.
pub mod topics {
    /// Avro `UserEvent`.
    pub const AVRO_USER_EVENT: &str = "bench-avro-user-event";
    /// Avro `Small`.
    pub const AVRO_SMALL: &str = "bench-avro-small";
    /// Avro `Wide`.
    pub const AVRO_WIDE: &str = "bench-avro-wide";
    /// Protobuf `UserEvent`.
    pub const PROTO_USER_EVENT: &str = "bench-proto-user-event";
    /// Protobuf `Small`.
    pub const PROTO_SMALL: &str = "bench-proto-small";
    /// Protobuf `Wide`.
    pub const PROTO_WIDE: &str = "bench-proto-wide";
    /// Avro `UserEvent` with its `Address` reference written as the short name, for
    /// schema_registry_converter (see [`BenchRegistry::short_ref_user_event`](super::BenchRegistry)).
    pub const AVRO_USER_EVENT_SHORT_REF: &str = "bench-avro-user-event-short-ref";
}

/// One framed value as schemaflow wrote it: what a peer must decode and re-encode.
#[derive(Debug, Clone)]
pub struct Frame {
    /// `avro` or `protobuf`.
    pub format: &'static str,
    /// `user_event`, `small` or `wide`.
    pub record: &'static str,
    /// The topic; the subject is `<topic>-value`.
    pub topic: &'static str,
    /// The registered schema id in the frame.
    pub id: SchemaId,
    /// The Confluent frame.
    pub frame: Vec<u8>,
}

/// The frames of every benchmark value, registered in one registry.
#[derive(Debug, Clone, Default)]
pub struct Frames(pub Vec<Frame>);

impl Frames {
    /// The frame of `format`/`record`.
    pub fn get(&self, format: &str, record: &str) -> &Frame {
        self.0
            .iter()
            .find(|f| f.format == format && f.record == record)
            .unwrap_or_else(|| panic!("no frame {format}/{record}"))
    }

    /// As JSON (`{"url": …, "frames": [{"format", "record", "subject", "id", "frame_hex"}]}`),
    /// the file `scripts/peer_bench.py` reads.
    pub fn to_json(&self, url: &str) -> serde_json::Value {
        let frames: Vec<_> = self
            .0
            .iter()
            .map(|f| {
                serde_json::json!({
                    "format": f.format,
                    "record": f.record,
                    "topic": f.topic,
                    "subject": format!("{}-value", f.topic),
                    "id": f.id.0,
                    "frame_hex": f.frame.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                })
            })
            .collect();
        serde_json::json!({ "url": url, "frames": frames })
    }
}

/// The embedded registry (real HTTP on a free loopback port) with every benchmark schema
/// registered, and the runtime serving it. Dropping it stops the server.
pub struct BenchRegistry {
    /// Serves the registry; also where async set-up (HTTP warm-up of peers) is driven.
    pub runtime: tokio::runtime::Runtime,
    server: EmbeddedRegistry,
    /// schemaflow's frames of the benchmark values, with the ids registered here.
    pub frames: Frames,
    /// The `UserEvent` frame again, under [`topics::AVRO_USER_EVENT_SHORT_REF`]: the same
    /// schema but for the reference to `Address`, written `"Address"` (same namespace) instead
    /// of `"com.example.events.Address"`. schema_registry_converter 6.0 inlines a referenced
    /// schema only where the reference is written as the short name or with a leading dot, so
    /// the sample schema as written (and as Confluent's Java and Python serdes take it) is
    /// unusable to it; this equivalent schema (same bytes, checked) lets it be timed at all.
    pub short_ref_user_event: Frame,
}

/// What set-up can fail with (I/O of the runtime, the registry, a codec).
pub type SetupError = Box<dyn std::error::Error + Send + Sync>;

/// schemaflow's Avro frame of a generated value. A macro, not a generic function, so it
/// names no trait bound of `AvroCodec` (that bound changes with the generated codecs).
macro_rules! avro_frame {
    ($registry:expr, $record:literal, $topic:expr, $ty:ty, $value:expr) => {{
        let id = register_generated::<$ty>($registry, &format!("{}-value", $topic), false).await?;
        let mut frame = Vec::new();
        AvroCodec::<$ty>::new()?.encode(id, &$value, &mut frame)?;
        Frame {
            format: "avro",
            record: $record,
            topic: $topic,
            id,
            frame,
        }
    }};
}

/// schemaflow's Protobuf frame of a generated message.
macro_rules! proto_frame {
    ($registry:expr, $record:literal, $topic:expr, $ty:ty, $value:expr) => {{
        let id = register_generated::<$ty>($registry, &format!("{}-value", $topic), false).await?;
        let mut frame = Vec::new();
        protobuf::encode(id, &$value, &mut frame);
        Frame {
            format: "protobuf",
            record: $record,
            topic: $topic,
            id,
            frame,
        }
    }};
}

impl BenchRegistry {
    /// Start the registry, register the six shapes (references first) and frame their values.
    pub fn start() -> Result<Self, SetupError> {
        // Its own threads: the benchmark thread then drives peers' futures without a runtime
        // context of its own, and the server keeps answering while it does.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (server, frames, short_ref_user_event) = runtime.block_on(async {
            let server = EmbeddedRegistry::start(
                ServerConfig::default().listen("127.0.0.1:0".parse().expect("loopback address")),
                Arc::new(CompatibilityEngine),
            )
            .await?;
            let client = RegistryClient::new(ClientConfig::new(server.url()))?;
            let registry = &CachedRegistry::new(client, CacheConfig::default());
            let frames = Frames(vec![
                avro_frame!(
                    registry,
                    "user_event",
                    topics::AVRO_USER_EVENT,
                    UserEvent,
                    user_event()
                ),
                avro_frame!(registry, "small", topics::AVRO_SMALL, Small, small()),
                avro_frame!(registry, "wide", topics::AVRO_WIDE, Wide, wide()),
                proto_frame!(
                    registry,
                    "user_event",
                    topics::PROTO_USER_EVENT,
                    pb::UserEvent,
                    proto_user_event()
                ),
                proto_frame!(
                    registry,
                    "small",
                    topics::PROTO_SMALL,
                    pb_bench::Small,
                    proto_small()
                ),
                proto_frame!(
                    registry,
                    "wide",
                    topics::PROTO_WIDE,
                    pb_bench::Wide,
                    proto_wide()
                ),
            ]);
            let text = <UserEvent as schemaflow::GeneratedSchema>::SCHEMA_TEXT.replace(
                r#"["null", "com.example.events.Address"]"#,
                r#"["null", "Address"]"#,
            );
            let schema = Schema::avro(text).with_references(vec![SchemaReference {
                name: "com.example.events.Address".into(),
                subject: "com.example.events.Address".into(),
                version: 1,
            }]);
            let topic = topics::AVRO_USER_EVENT_SHORT_REF;
            let id = registry
                .register(&format!("{topic}-value"), &schema, false)
                .await?;
            let mut frame = frames.get("avro", "user_event").frame.clone();
            frame[1..5].copy_from_slice(&id.0.to_be_bytes());
            let short_ref = Frame {
                format: "avro",
                record: "user_event",
                topic,
                id,
                frame,
            };
            Ok::<_, SetupError>((server, frames, short_ref))
        })?;
        Ok(BenchRegistry {
            runtime,
            server,
            frames,
            short_ref_user_event,
        })
    }

    /// The registry's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        self.server.url()
    }
}
