//! `avsc_parse`: arbitrary text parsed as an `.avsc` schema, as the registry parses a schema
//! it is asked to register: alone, and with `address.avsc` as a reference (a schema that
//! names `com.example.events.Address`).

use schemaflow_schema::codec::avro::AvroSchema;
use schemaflow_schema::compat::{check, CompatibilityLevel, SchemaInput};
use schemaflow_schema::SchemaType;

use crate::samples;

/// Parse `data` (UTF-8) as Avro schema text.
pub fn avsc_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let alone = AvroSchema::parse(text, &[]);
    let referring = AvroSchema::parse(text, &[samples::avro_address_text()]);
    if let Ok(schema) = alone.as_ref().or(referring.as_ref()) {
        let _ = (schema.name(), schema.fingerprint());
    }
    if alone.is_ok() {
        // A schema the registry accepts is compatible with itself.
        let input = SchemaInput::new(SchemaType::Avro, text, "fuzz input");
        match check(
            CompatibilityLevel::FullTransitive,
            std::slice::from_ref(&input),
            &input,
        ) {
            Ok(report) => assert!(
                report.compatible,
                "a schema is incompatible with itself: {:?}",
                report.messages()
            ),
            Err(e) => panic!("a schema that parses does not parse for the checker: {e}"),
        }
    }
}
