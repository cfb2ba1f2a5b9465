//! JSON Schema behind the [`SchemaProvider`] shape.

use serde_json::Value;

use super::{NoRecordName, Parsed, ReferenceNaming, SchemaProvider, Unresolved};
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

    fn file_extension(&self) -> &'static str {
        "json"
    }

    fn reference_naming(&self) -> ReferenceNaming {
        ReferenceNaming::RelativePath
    }

    fn parse_compat(&self, input: &SchemaInput) -> Result<ParsedSchema> {
        JsonCompatSchema::parse(input).map(ParsedSchema::Json)
    }

    /// The `title`: what Confluent's record-name strategies take for a JSON Schema's name.
    fn record_name(&self, _label: &str, text: &str) -> std::result::Result<String, NoRecordName> {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.get("title")?.as_str().map(str::to_string))
            .ok_or(NoRecordName::Unnamed("no `title`"))
    }

    /// The other files the `$ref`s name (`address.json`, `common/money.json#/definitions/Money`
    /// → `common/money.json`): Confluent resolves each by the reference of that name.
    /// In-document references (`#/definitions/…`) are not files, and absolute URIs resolve by
    /// `$id`, not by a file. A text that is not JSON names none.
    fn used_names(&self, _label: &str, text: &str) -> Result<Vec<String>> {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        match (k.as_str(), x) {
                            ("$ref", Value::String(r)) => {
                                let file = r.split('#').next().unwrap_or_default();
                                if !file.is_empty()
                                    && !file.contains("://")
                                    && !out.iter().any(|o| o == file)
                                {
                                    out.push(file.to_string());
                                }
                            }
                            _ => walk(x, out),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            walk(&v, &mut out);
        }
        Ok(out)
    }

    /// Nothing: the registry's own answer names the `$ref` it could not resolve.
    fn unresolved(&self, _text: &str, _references: &[&str]) -> Unresolved {
        Unresolved::default()
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
