//! What the registry's refusal of a schema file leaves unsaid. Avro: a type name nothing
//! defines is either a typo (`"strng"`: said as an unknown type with the closest known name,
//! `unknown type "strng" at /fields/1/type (did you mean "string"?)`) or a named type of
//! another schema (dotted, or capitalised like `Address`: then which `--reference` to pass).
//! Protobuf: imports without a `--reference`. `register` and `produce` add this to the
//! registry's error, which ("Unknown primitive type: com.example.events.Address", "import not
//! found") does not say what to do.

use schemaflow::registry::{Schema, SchemaReference};
use schemaflow::SchemaType;
use schemaflow_schema::avro::{unknown_types, UnknownType};

use super::common::CliError;

/// `e` from registering `schema`, with the unknown types or the missing `--reference` named
/// when the registry found the schema invalid.
pub fn register_error(e: schemaflow::registry::RegistryError, schema: &Schema) -> CliError {
    let invalid = e.code() == Some(schemaflow::registry::ErrorCode::InvalidSchema);
    let mut err = CliError::from(e);
    if invalid {
        if let Some(h) = hint(
            schema.schema_type,
            &schema.schema,
            &schema.references,
            &err.message,
        ) {
            err.message = format!("{} ({h})", err.message);
        }
    }
    err
}

/// The hint for a schema the registry refused with `message`: its unknown types (those the
/// message does not already describe) and the references it lacks.
pub fn hint(
    kind: SchemaType,
    text: &str,
    references: &[SchemaReference],
    message: &str,
) -> Option<String> {
    let referenced = |name: &str| references.iter().any(|r| r.name == name);
    let (typos, missing): (Vec<String>, Vec<String>) = match kind {
        SchemaType::Avro => {
            let (missing, typos): (Vec<UnknownType>, Vec<UnknownType>) = unknown_types(text, &[])
                .into_iter()
                .filter(|u| !referenced(&u.full_name) && !referenced(&u.name))
                .partition(UnknownType::looks_like_a_reference);
            let mut names: Vec<String> = missing.into_iter().map(|u| u.full_name).collect();
            names.dedup();
            let typos = typos
                .iter()
                .map(ToString::to_string)
                // Our registry already says it; Confluent's says "Unknown primitive type".
                .filter(|t| !message.contains(t.as_str()))
                .collect();
            (typos, names)
        }
        SchemaType::Protobuf => (
            Vec::new(),
            protobuf_imports(text)
                .into_iter()
                .filter(|i| !referenced(i))
                .collect(),
        ),
        _ => return None,
    };
    let mut parts = typos;
    if let Some(example) = missing.first() {
        parts.push(format!(
            "{} {} not defined in this file: register the schema that defines it, then pass --reference {example}=SUBJECT:VERSION (e.g. `schemaflow register --subject {example} --schema-file …`, then --reference {example}={example}:1)",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
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
        let hint = hint(SchemaType::Avro, &text, &[], "").unwrap();
        assert!(
            hint.starts_with("com.example.events.Address is not defined"),
            "{hint}"
        );
        let address = SchemaReference {
            name: "com.example.events.Address".into(),
            subject: "a".into(),
            version: 1,
        };
        assert_eq!(super::hint(SchemaType::Avro, &text, &[address], ""), None);
        let own = std::fs::read_to_string("schemas/address.avsc").unwrap();
        assert_eq!(super::hint(SchemaType::Avro, &own, &[], ""), None);
        let proto = std::fs::read_to_string("proto/events/v1/user_event.proto").unwrap();
        assert!(super::hint(SchemaType::Protobuf, &proto, &[], "")
            .unwrap()
            .starts_with("events/v1/common.proto is not defined"));
    }

    #[test]
    fn a_typo_is_an_unknown_type_not_a_missing_reference() {
        let text = r#"{"type": "record", "name": "R", "namespace": "t", "fields": [
            {"name": "a", "type": "int"}, {"name": "b", "type": "strng"}]}"#;
        let typo = r#"unknown type "strng" at /fields/1/type (did you mean "string"?)"#;
        // Confluent's registry says "Unknown primitive type: t.strng": the hint says more.
        assert_eq!(
            hint(
                SchemaType::Avro,
                text,
                &[],
                "Unknown primitive type: t.strng"
            )
            .as_deref(),
            Some(typo)
        );
        // Ours already says it: nothing to add.
        assert_eq!(hint(SchemaType::Avro, text, &[], typo), None);
    }
}
