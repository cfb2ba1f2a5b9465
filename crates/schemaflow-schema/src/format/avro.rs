//! Avro behind the [`SchemaProvider`] shape.

use super::{Parsed, SchemaProvider};
use crate::compat::avro::AvroCompatSchema;
use crate::compat::{ParsedSchema, SchemaInput};
use crate::error::Result;
use crate::SchemaType;

/// Apache Avro (`AVRO`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AvroProvider;

impl SchemaProvider for AvroProvider {
    fn schema_type(&self) -> SchemaType {
        SchemaType::Avro
    }

    fn parse(&self, input: &SchemaInput) -> Result<Parsed> {
        let parsed = AvroCompatSchema::parse(input)?;
        let pcf = crate::avro::canonical_form(parsed.schema());
        // The JSON re-serialized with sorted keys: whitespace and key order do not matter
        // (the text parsed as Avro, so it is JSON).
        let sorted = serde_json::from_str::<serde_json::Value>(&input.text)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| input.text.trim().to_string());
        Ok(Parsed::new(
            SchemaType::Avro,
            sorted.clone(),
            sorted,
            pcf.as_bytes(),
            ParsedSchema::Avro(parsed),
        ))
    }
}
