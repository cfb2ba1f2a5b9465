//! A hand-written serde twin of schemas/json/user_event.json: its `GeneratedSchema` carries
//! the exact file texts and the reference to address.json by name, and its `RegistryCodec`
//! delegates to `schemaflow::codec::json_schema` as generated code does. It stays beside the
//! generated `samples::json::user_event::UserEvent` (tests/codec/json_generated.rs) because its
//! `action` is a `String`: the validation tests need values the schema refuses (`"JUMP"`), which
//! the generated enum cannot hold. Shared by the codec and interop tests (`#[path]`-included).
#![allow(dead_code)]

use std::collections::BTreeMap;

use schemaflow::codec::json_schema;
use schemaflow::codec::{RegistryCodec, WriterSchema};
use schemaflow::wire::SchemaId;
use schemaflow::{GeneratedReference, GeneratedSchema, SchemaType};
use serde::{Deserialize, Serialize};

/// schemas/json/address.json as a reference, by the name user_event.json uses.
pub const ADDRESS_REFERENCE: GeneratedReference = GeneratedReference {
    name: "address.json",
    file: "json/address.json",
    schema_type: SchemaType::Json,
    schema_text: include_str!("../../schemas/json/address.json"),
    references: &[],
};

/// `UserEvent` of schemas/json/user_event.json (fields in the schema's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEvent {
    pub event_id: String,
    pub user_id: String,
    pub action: String,
    pub occurred_at: String,
    pub amount: String,
    #[serde(default)]
    pub session_id: Option<String>,
    pub device: Device,
    #[serde(default)]
    pub shipping_address: Option<Address>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// `#/definitions/Device`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub platform: String,
    #[serde(default)]
    pub app_version: Option<String>,
}

/// address.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub country_code: String,
}

impl GeneratedSchema for UserEvent {
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    const FULL_NAME: &'static str = "UserEvent";
    const SCHEMA_TEXT: &'static str = include_str!("../../schemas/json/user_event.json");
    const FILE: &'static str = "json/user_event.json";
    const REFERENCES: &'static [GeneratedReference] = &[ADDRESS_REFERENCE];
    const MESSAGE_INDEXES: &'static [i32] = &[];
}

impl RegistryCodec for UserEvent {
    fn encode_frame(&self, id: SchemaId, buf: &mut Vec<u8>) -> schemaflow::codec::Result<()> {
        json_schema::encode_frame(self, id, buf)
    }

    fn decode_frame(
        frame: &[u8],
        writer: &WriterSchema,
    ) -> schemaflow::codec::Result<(SchemaId, Self)> {
        json_schema::decode_frame(frame, writer)
    }
}

/// scripts/golden.py's JSON_FULL.
pub fn full() -> UserEvent {
    UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".into(),
        user_id: "user-42".into(),
        action: "PURCHASE".into(),
        occurred_at: "2023-11-14T22:13:20.123Z".into(),
        amount: "12.34".into(),
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
        attributes: [("campaign".to_string(), "fall".to_string())].into(),
    }
}

/// scripts/golden.py's JSON_MINIMAL.
pub fn minimal() -> UserEvent {
    UserEvent {
        event_id: "00000000-0000-4000-8000-000000000001".into(),
        user_id: "u".into(),
        action: "LOGIN".into(),
        occurred_at: "1970-01-01T00:00:00Z".into(),
        amount: "0.00".into(),
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
