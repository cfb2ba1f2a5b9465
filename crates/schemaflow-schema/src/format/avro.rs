//! Avro behind the [`SchemaProvider`] shape.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{NoRecordName, Parsed, ReferenceNaming, SchemaProvider, Unresolved};
use crate::avro::{java_string, unknown_types, UnknownType};
use crate::compat::avro::AvroCompatSchema;
use crate::compat::{ParsedSchema, SchemaInput};
use crate::error::{Error, Result};
use crate::SchemaType;

/// Apache Avro (`AVRO`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AvroProvider;

impl SchemaProvider for AvroProvider {
    fn schema_type(&self) -> SchemaType {
        SchemaType::Avro
    }

    fn file_extension(&self) -> &'static str {
        "avsc"
    }

    fn reference_naming(&self) -> ReferenceNaming {
        ReferenceNaming::TypeName
    }

    fn parse_compat(&self, input: &SchemaInput) -> Result<ParsedSchema> {
        AvroCompatSchema::parse(input).map(ParsedSchema::Avro)
    }

    fn record_name(&self, _label: &str, text: &str) -> std::result::Result<String, NoRecordName> {
        full_name(text).ok_or(NoRecordName::Unnamed("not a named Avro type"))
    }

    fn used_names(&self, label: &str, text: &str) -> Result<Vec<String>> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::ParseAvroSchema {
            name: label.to_string(),
            reason: format!("not JSON: {e}"),
        })?;
        let mut used = BTreeSet::new();
        type_names(&v, None, &mut used);
        Ok(used.into_iter().collect())
    }

    fn unresolved(&self, text: &str, references: &[&str]) -> Unresolved {
        let referenced = |name: &str| references.contains(&name);
        let (missing, typos): (Vec<UnknownType>, Vec<UnknownType>) = unknown_types(text, &[])
            .into_iter()
            .filter(|u| !referenced(&u.full_name) && !referenced(&u.name))
            .partition(UnknownType::looks_like_a_reference);
        let mut missing: Vec<String> = missing.into_iter().map(|u| u.full_name).collect();
        missing.dedup();
        Unresolved {
            typos: typos.iter().map(ToString::to_string).collect(),
            missing,
        }
    }

    fn parse(&self, input: &SchemaInput) -> Result<Parsed> {
        let parsed = AvroCompatSchema::parse(input)?;
        let pcf = crate::avro::canonical_form(parsed.schema());
        // Confluent's canonical text (Avro Java's `Schema.toString()`), which is also what
        // identifies the schema in a subject (Confluent hashes it); a shape Avro Java would
        // refuse but apache-avro took keeps its text as given, so it stays itself.
        let canonical = java_string(&input.text, &input.references, false)
            .unwrap_or_else(|| input.text.clone());
        let normalized =
            java_string(&input.text, &input.references, true).unwrap_or_else(|| canonical.clone());
        Ok(Parsed::new(
            SchemaType::Avro,
            canonical,
            normalized,
            pcf.as_bytes(),
            ParsedSchema::Avro(parsed),
        ))
    }
}

/// The full name an Avro schema defines at its top (`namespace.name`), if it is a named type.
fn full_name(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let name = v.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match v.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// The type names an Avro schema uses (full names, and bare names as written).
fn type_names(v: &Value, ns: Option<&str>, out: &mut BTreeSet<String>) {
    const BUILT_IN: [&str; 13] = [
        "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum",
        "array", "map", "fixed",
    ];
    match v {
        Value::String(s) if !BUILT_IN.contains(&s.as_str()) => {
            out.insert(s.clone());
            if let (false, Some(ns)) = (s.contains('.'), ns) {
                out.insert(format!("{ns}.{s}"));
            }
        }
        Value::Array(items) => {
            for i in items {
                type_names(i, ns, out);
            }
        }
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str);
            let own_ns = match name.and_then(|n| n.rsplit_once('.')) {
                Some((n, _)) => Some(n),
                None => o.get("namespace").and_then(Value::as_str).or(ns),
            };
            // Only named types set the namespace of what they contain.
            let is_named = matches!(
                o.get("type").and_then(Value::as_str),
                Some("record" | "error" | "enum" | "fixed")
            );
            let inner = if is_named { own_ns } else { ns };
            for key in ["type", "items", "values"] {
                if let Some(t) = o.get(key) {
                    type_names(t, inner, out);
                }
            }
            if let Some(Value::Array(fields)) = o.get("fields") {
                for f in fields {
                    if let Some(t) = f.get("type") {
                        type_names(t, inner, out);
                    }
                }
            }
        }
        _ => {}
    }
}
