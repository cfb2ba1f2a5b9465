//! # schemaflow
//!
//! Kafka events whose shape a schema registry guarantees, in Rust, byte-compatible with
//! Confluent's serializers.
//!
//! ## The model
//!
//! 1. **Schemas are files.** Your crate's `.avsc` (Avro) and `.proto` (Protobuf) files are the
//!    contract. The `schemaflow-build` crate, called from your `build.rs`, turns them into Rust
//!    types at build time and [`include_schemas!`] puts them in your crate: serde structs for
//!    Avro, prost messages for Protobuf, no `protoc` needed. Each type implements
//!    [`GeneratedSchema`]: its exact schema text, full name, references and (Protobuf) message
//!    index path.
//! 2. **The registry assigns ids.** A producer registers (or looks up) the schema under a
//!    subject and gets a [`SchemaId`](wire::SchemaId).
//! 3. **Frames carry the id.** Every record value is `0x00 | id (u32 BE) | [indexes] | payload`
//!    ([`wire`]); consumers in any language fetch the writer schema by id.
//! 4. **Readers resolve.** The Avro codec reads data written with another version of the
//!    schema into the reader's type by Avro's resolution rules ([`codec::avro`]), so producers
//!    and consumers upgrade independently.
//!
//! ## Encode and decode a generated type
//!
//! ```
//! // This repository's samples (schemas/user_event.avsc); your crate includes its own.
//! mod schemas {
//! #   // The doc test compiles the committed codegen output of those samples (kept equal to
//! #   // what schemaflow-build generates by its golden test); this crate has no build script.
//! #   include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemaflow-build/tests/golden/generated.rs"));
//! #   /*
//!     schemaflow::include_schemas!();
//! #   */
//! }
//! use schemaflow::codec::avro::AvroCodec;
//! use schemas::avro::user_event::{Action, Device, UserEvent};
//! use schemaflow::wire::SchemaId;
//!
//! let codec = AvroCodec::<UserEvent>::new()?;
//! let event = UserEvent {
//!     event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".parse()?,
//!     user_id: "user-42".into(),
//!     action: Action::Login,
//!     occurred_at: 1_700_000_000_123,
//!     amount: "0.00".parse()?,
//!     session_id: None,
//!     device: Device { platform: "web".into(), app_version: None },
//!     shipping_address: None,
//!     tags: vec![],
//!     attributes: Default::default(),
//! };
//! let mut frame = Vec::new();
//! codec.encode(SchemaId(1), &event, &mut frame)?;      // id from the registry
//! assert_eq!(&frame[..5], &[0, 0, 0, 0, 1]);
//! let (id, back) = codec.decode(&frame, codec.schema())?; // writer schema fetched by id
//! assert_eq!((id, back), (SchemaId(1), event));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

extern crate self as schemaflow;

pub mod admin;
pub mod consumer;
pub mod error;
pub mod exactly_once;
pub mod kafka_config;
pub mod producer;
pub mod redact;
pub mod registry;
pub mod rules;
pub mod secret;

// The schema layer lives in the Kafka-free `schemaflow-schema` crate (the codegen and the fuzz
// targets depend on it without librdkafka); its modules keep their paths here.
pub use schemaflow_schema::{codec, compat, format, lock, wire};
pub use schemaflow_schema::{
    Decimal, Error as SchemaError, GeneratedReference, GeneratedSchema, ParseDecimalError,
    SchemaType, UnknownSchemaType,
};

pub use error::{Error, Fault, Result};
/// The well-known Protobuf types (`google.protobuf.Timestamp`, …) that generated messages use.
pub use prost_types;
pub use uuid::Uuid;

/// Completes on Ctrl-C (SIGINT) or SIGTERM: the usual `shutdown` for
/// [`TypedConsumer::run`](consumer::TypedConsumer::run) and the exactly-once processor.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Includes the Rust types `schemaflow-build` generated in your build script
/// (`$OUT_DIR/schemaflow.rs`, or the file named): modules `avro::<file stem>` and
/// `proto::<package path>`.
///
/// ```text
/// pub mod schemas {
///     schemaflow::include_schemas!();
/// }
/// use schemas::avro::order::Order;
/// ```
#[macro_export]
macro_rules! include_schemas {
    () => {
        include!(concat!(env!("OUT_DIR"), "/schemaflow.rs"));
    };
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}

/// Re-exports used by generated code, so a crate using schemaflow needs no direct dependency
/// on serde, prost or apache-avro. Not a stable API.
#[doc(hidden)]
pub mod codegen_support {
    pub use prost;
    pub use prost_types;
    pub use serde;
    /// serde `with` helpers for Avro bytes and fixed.
    pub mod avro {
        pub use apache_avro::serde::{
            bytes as serde_avro_bytes, bytes_opt as serde_avro_bytes_opt,
            fixed as serde_avro_fixed, fixed_opt as serde_avro_fixed_opt,
        };
    }
}
