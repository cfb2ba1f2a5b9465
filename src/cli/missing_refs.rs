//! Which named types (Avro) or imports (Protobuf) a schema file uses without defining them
//! and without a `--reference` for them: when the registry refuses such a schema, its error
//! ("Unknown primitive type: com.example.events.Address", "import not found") does not say
//! what to do; `register` and `produce` then add which `--reference` is missing.

use schemaflow::registry::{Schema, SchemaReference};
use schemaflow::SchemaType;

use super::common::CliError;

/// Avro's primitive type names: every other type name refers to a named type.
const AVRO_PRIMITIVES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// `e` from registering `schema`, with the missing `--reference` named when the registry
/// found the schema invalid and the file uses names nothing defines.
pub fn register_error(e: schemaflow::registry::RegistryError, schema: &Schema) -> CliError {
    let invalid = e.code() == Some(schemaflow::registry::ErrorCode::InvalidSchema);
    let mut err = CliError::from(e);
    if invalid {
        if let Some(h) = hint(schema.schema_type, &schema.schema, &schema.references) {
            err.message = format!("{} ({h})", err.message);
        }
    }
    err
}

/// The hint for a schema the registry refused, if it uses names no reference covers.
pub fn hint(kind: SchemaType, text: &str, references: &[SchemaReference]) -> Option<String> {
    let missing: Vec<String> = match kind {
        SchemaType::Avro => avro_missing(text),
        SchemaType::Protobuf => protobuf_imports(text),
        _ => return None,
    }
    .into_iter()
    .filter(|name| !references.iter().any(|r| r.name == *name))
    .collect();
    if missing.is_empty() {
        return None;
    }
    let example = &missing[0];
    Some(format!(
        "{} {} not defined in this file: register the schema that defines it, then pass --reference {example}=SUBJECT:VERSION (e.g. `schemaflow register --subject {example} --schema-file …`, then --reference {example}={example}:1)",
        missing.join(", "),
        if missing.len() == 1 { "is" } else { "are" },
    ))
}

/// Full names the Avro schema refers to but does not define.
fn avro_missing(text: &str) -> Vec<String> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let (mut defined, mut used) = (Vec::new(), Vec::new());
    walk(&json, "", &mut defined, &mut used);
    let mut missing: Vec<String> = used.into_iter().filter(|u| !defined.contains(u)).collect();
    missing.dedup();
    missing
}

/// A name as Avro resolves it: with a dot it is full, else in the enclosing namespace.
fn full_name(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}.{name}")
    }
}

fn walk(v: &serde_json::Value, namespace: &str, defined: &mut Vec<String>, used: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::String(name) if !AVRO_PRIMITIVES.contains(&name.as_str()) => {
            used.push(full_name(name, namespace));
        }
        Value::Array(branches) => {
            for b in branches {
                walk(b, namespace, defined, used);
            }
        }
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).unwrap_or("");
            let mut ns = namespace.to_string();
            if matches!(kind, "record" | "error" | "enum" | "fixed") {
                if let Some(name) = o.get("name").and_then(Value::as_str) {
                    if let Some(explicit) = o.get("namespace").and_then(Value::as_str) {
                        ns = explicit.to_string();
                    }
                    let full = full_name(name, &ns);
                    // A dotted name sets the namespace of what it contains.
                    if let Some((space, _)) = full.rsplit_once('.') {
                        ns = space.to_string();
                    }
                    defined.push(full);
                }
            }
            match kind {
                "record" | "error" => {
                    for f in o
                        .get("fields")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(t) = f.get("type") {
                            walk(t, &ns, defined, used);
                        }
                    }
                }
                "array" => {
                    if let Some(items) = o.get("items") {
                        walk(items, &ns, defined, used);
                    }
                }
                "map" => {
                    if let Some(values) = o.get("values") {
                        walk(values, &ns, defined, used);
                    }
                }
                "enum" | "fixed" => {}
                // `{"type": "string", "logicalType": …}` or `{"type": "com.x.Named"}`.
                _ => {
                    if let Some(t) = o.get("type") {
                        walk(t, &ns, defined, used);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The files a `.proto` imports, except the well-known `google/protobuf/*` and `google/type/*`
/// ones, which are never registered (Confluent's `skip.known.types`).
fn protobuf_imports(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix("import")?.trim_start();
            let l = l
                .strip_prefix("public")
                .or_else(|| l.strip_prefix("weak"))
                .unwrap_or(l)
                .trim_start();
            let path = l.strip_prefix('"')?.split('"').next()?;
            (!path.starts_with("google/protobuf/") && !path.starts_with("google/type/"))
                .then(|| path.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_used_but_not_defined_nor_referenced() {
        let text = std::fs::read_to_string("schemas/user_event.avsc").unwrap();
        let hint = hint(SchemaType::Avro, &text, &[]).unwrap();
        assert!(
            hint.starts_with("com.example.events.Address is not defined"),
            "{hint}"
        );
        let address = SchemaReference {
            name: "com.example.events.Address".into(),
            subject: "a".into(),
            version: 1,
        };
        assert_eq!(super::hint(SchemaType::Avro, &text, &[address]), None);
        let own = std::fs::read_to_string("schemas/address.avsc").unwrap();
        assert_eq!(super::hint(SchemaType::Avro, &own, &[]), None);
        let proto = std::fs::read_to_string("proto/events/v1/user_event.proto").unwrap();
        assert!(super::hint(SchemaType::Protobuf, &proto, &[])
            .unwrap()
            .starts_with("events/v1/common.proto is not defined"));
    }
}
