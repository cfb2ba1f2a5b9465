//! `compat_check`: the compatibility checker on a pair of schemas parsed from arbitrary text.
//!
//! Input layout: one byte naming the schema type (`A` Avro, `P` Protobuf), one byte choosing
//! the level (its value modulo 7, in [`CompatibilityLevel::ALL`]'s order), then the previous
//! schema, a NUL byte, and the candidate. (NUL never occurs raw in a schema's text, so the
//! split is unambiguous.)

use schemaflow_schema::compat::{
    check, differences, CompatibilityLevel, Direction, ParsedSchema, SchemaInput,
};
use schemaflow_schema::SchemaType;

/// Check the candidate against the previous schema, both parsed from `data`.
pub fn compat_check(data: &[u8]) {
    let [kind, level, rest @ ..] = data else {
        return;
    };
    let schema_type = match kind {
        b'A' => SchemaType::Avro,
        b'P' => SchemaType::Protobuf,
        _ => return,
    };
    let level = CompatibilityLevel::ALL[usize::from(*level) % CompatibilityLevel::ALL.len()];
    let Some(split) = rest.iter().position(|&b| b == 0) else {
        return;
    };
    let (Ok(previous), Ok(candidate)) = (
        std::str::from_utf8(&rest[..split]),
        std::str::from_utf8(&rest[split + 1..]),
    ) else {
        return;
    };
    let previous = SchemaInput::new(schema_type, previous, "previous");
    let candidate = SchemaInput::new(schema_type, candidate, "candidate");
    let (Ok(p), Ok(c)) = (
        ParsedSchema::parse(&previous),
        ParsedSchema::parse(&candidate),
    ) else {
        return;
    };
    for direction in [Direction::Backward, Direction::Forward] {
        for d in differences(direction, &p, &c) {
            assert!(!d.message.is_empty(), "a difference says what it is");
        }
    }
    match check(level, std::slice::from_ref(&previous), &candidate) {
        Ok(report) => {
            if level == CompatibilityLevel::None {
                assert!(report.compatible, "NONE accepts everything");
            }
            let _ = report.messages();
        }
        Err(e) => panic!("schemas that parse fail the check: {e}"),
    }
    // A schema is compatible with itself, at every level.
    match check(
        CompatibilityLevel::FullTransitive,
        std::slice::from_ref(&candidate),
        &candidate,
    ) {
        Ok(report) => assert!(
            report.compatible,
            "a schema is incompatible with itself: {:?}",
            report.messages()
        ),
        Err(e) => panic!("a schema that parses fails the check against itself: {e}"),
    }
}
