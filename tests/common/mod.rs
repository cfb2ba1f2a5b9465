//! Shared test helpers: the sample values the golden fixtures were written from.
#![allow(dead_code)]

use std::collections::BTreeMap;

use schemaflow::generated::avro::address::Address;
use schemaflow::generated::avro::evolution::user_event as avro_v2;
use schemaflow::generated::avro::user_event::{Action, Device, UserEvent};
use schemaflow::generated::proto::events::v1 as pb;
use schemaflow::generated::proto::evolution::events::v1 as pb_v2;

/// Path of a file under tests/fixtures.
pub fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

pub fn avro_full() -> UserEvent {
    UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".parse().unwrap(),
        user_id: "user-42".into(),
        action: Action::Purchase,
        occurred_at: 1_700_000_000_123,
        amount: "12.34".parse().unwrap(),
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

pub fn avro_minimal() -> UserEvent {
    UserEvent {
        event_id: "00000000-0000-4000-8000-000000000001".parse().unwrap(),
        user_id: "u".into(),
        action: Action::Login,
        occurred_at: 0,
        amount: "0.00".parse().unwrap(),
        session_id: None,
        device: Device {
            platform: "web".into(),
            app_version: None,
        },
        shipping_address: None,
        tags: vec![],
        attributes: BTreeMap::new(),
    }
}

pub fn avro_negative() -> UserEvent {
    UserEvent {
        user_id: "refund".into(),
        action: Action::Purchase,
        amount: "-1.50".parse().unwrap(),
        occurred_at: 1_700_000_000_000,
        ..avro_minimal()
    }
}

/// v1 full event as the v2 type (channel added).
pub fn avro_v2_full(channel: &str) -> avro_v2::UserEvent {
    let v1 = avro_full();
    avro_v2::UserEvent {
        event_id: v1.event_id,
        user_id: v1.user_id,
        action: avro_v2::Action::Purchase,
        occurred_at: v1.occurred_at,
        amount: v1.amount,
        session_id: v1.session_id,
        device: avro_v2::Device {
            platform: v1.device.platform,
            app_version: v1.device.app_version,
        },
        shipping_address: v1.shipping_address,
        tags: v1.tags,
        attributes: v1.attributes,
        channel: channel.into(),
    }
}

pub fn proto_full() -> pb::UserEvent {
    pb::UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".into(),
        user_id: "user-42".into(),
        action: pb::user_event::Action::Purchase as i32,
        occurred_at: Some(prost_types::Timestamp {
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

pub fn proto_minimal() -> pb::UserEvent {
    pb::UserEvent {
        user_id: "u".into(),
        ..Default::default()
    }
}

pub fn proto_batch() -> pb::UserEventBatch {
    pb::UserEventBatch {
        events: vec![proto_full()],
        producer: "golden".into(),
    }
}

pub fn proto_line_item() -> pb::user_event::LineItem {
    pb::user_event::LineItem {
        sku: "sku-9".into(),
        quantity: 7,
    }
}

pub fn proto_v2_full(channel: &str) -> pb_v2::UserEvent {
    use prost::Message;
    // Same fields 1..=11 as v1: re-decode v1's bytes into v2, then set the new field.
    let mut v2 = pb_v2::UserEvent::decode(proto_full().encode_to_vec().as_slice()).unwrap();
    v2.channel = channel.into();
    v2
}
pub mod broker;
pub mod cli;
pub mod examples;
pub mod java;
pub mod python;
pub mod services;
