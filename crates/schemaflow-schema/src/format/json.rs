//! JSON Schema behind the [`SchemaProvider`] shape.

use super::{Parsed, SchemaProvider};
use crate::compat::json::JsonCompatSchema;
use crate::compat::{ParsedSchema, SchemaInput};
use crate::error::Result;
use crate::SchemaType;

/// JSON Schema (`JSON`): drafts 4 to 2020-12, `$ref` to references by name.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonProvider;

impl SchemaProvider for JsonProvider {
    fn schema_type(&self) -> SchemaType {
        SchemaType::Json
    }

    fn parse(&self, input: &SchemaInput) -> Result<Parsed> {
        let parsed = JsonCompatSchema::parse(input)?;
        let schema = parsed.schema();
        let normalized = schema.normalized_string();
        Ok(Parsed::new(
            SchemaType::Json,
            schema.canonical_string(),
            normalized.clone(),
            normalized.as_bytes(),
            ParsedSchema::Json(parsed),
        ))
    }
}
