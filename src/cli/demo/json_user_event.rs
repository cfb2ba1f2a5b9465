//! The demo's JSON Schema `UserEvent` (schemas/json/user_event.json, referencing
//! schemas/json/address.json by the name `address.json`): a hand-written serde struct with the
//! `GeneratedSchema` and `RegistryCodec` impls that `schemaflow-build`'s JSON Schema codegen
//! generates, until the demo uses the generated type.

use std::collections::BTreeMap;

use schemaflow::codec::json_schema;
use schemaflow::codec::{RegistryCodec, WriterSchema};
use schemaflow::wire::SchemaId;
use schemaflow::{GeneratedReference, GeneratedSchema, SchemaType};
use serde::{Deserialize, Serialize};

/// `UserEvent` of schemas/json/user_event.json, fields in the schema's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEvent {
    /// A UUID.
    pub event_id: String,
    /// Who.
    pub user_id: String,
    /// LOGIN, LOGOUT, VIEW or PURCHASE.
    pub action: String,
    /// RFC 3339.
    pub occurred_at: String,
    /// A decimal string with two places.
    pub amount: String,
    /// Optional.
    #[serde(default)]
    pub session_id: Option<String>,
    /// `#/definitions/Device`.
    pub device: Device,
    /// address.json, or null.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// `#/definitions/Device`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// web, ios, android.
    pub platform: String,
    /// Optional.
    #[serde(default)]
    pub app_version: Option<String>,
}

/// address.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

impl GeneratedSchema for UserEvent {
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    const FULL_NAME: &'static str = "UserEvent";
    const SCHEMA_TEXT: &'static str = include_str!("../../../schemas/json/user_event.json");
    const FILE: &'static str = "json/user_event.json";
    const REFERENCES: &'static [GeneratedReference] = &[GeneratedReference {
        name: "address.json",
        file: "json/address.json",
        schema_type: SchemaType::Json,
        schema_text: include_str!("../../../schemas/json/address.json"),
        references: &[],
    }];
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
