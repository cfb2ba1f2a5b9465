//! What the registry's refusal of a schema file leaves unsaid. Avro: a type name nothing
//! defines is either a typo (`"strng"`: said as an unknown type with the closest known name,
//! `unknown type "strng" at /fields/1/type (did you mean "string"?)`) or a named type of
//! another schema (dotted, or capitalised like `Address`: then which `--reference` to pass).
//! Protobuf: imports without a `--reference`. Each language's provider finds them
//! ([`schemaflow::format::SchemaProvider::unresolved`]). `register` and `produce` add this to the
//! registry's error, which ("Unknown primitive type: com.example.events.Address", "import not
//! found") does not say what to do.

use schemaflow::format::{self, Unresolved};
use schemaflow::registry::{Schema, SchemaReference};
use schemaflow::SchemaType;

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
    let names: Vec<&str> = references.iter().map(|r| r.name.as_str()).collect();
    let Unresolved { typos, missing } = format::provider(kind).unresolved(text, &names);
    // Our registry already says a typo; Confluent's says "Unknown primitive type".
    let typos: Vec<String> = typos
        .into_iter()
        .filter(|t| !message.contains(t.as_str()))
        .collect();
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
