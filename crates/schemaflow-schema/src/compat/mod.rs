//! Schema compatibility, with the verdicts a Confluent Schema Registry gives.
//!
//! ## The model
//!
//! A subject's versions form a history; a **candidate** schema may join it if it is compatible
//! with the **previous** versions under the subject's [`CompatibilityLevel`]:
//!
//! * `BACKWARD` — the candidate (as reader) can read data written with the previous schema;
//! * `FORWARD` — the previous schema (as reader) can read data written with the candidate;
//! * `FULL` — both;
//! * plain levels compare with the latest version only, `_TRANSITIVE` levels with every
//!   earlier version; `NONE` accepts anything (the candidate must still parse).
//!
//! Each comparison of one previous schema in one [`Direction`] yields **differences**, each
//! of a typed [`Rule`] (one variant per rule, [`Rule::ALL`]): its id, its category, the schema
//! types it applies to, whether the registry accepts the change, and what it means. A schema is compatible when no difference
//! found is of an incompatible rule; those become [`Finding`]s, carrying the rule id, the
//! element's path, a sentence a person can act on, and which version and direction failed.
//! Every rule has a fixture folder, `tests/fixtures/compat/<avro|protobuf>/<RULE_ID>/` (more
//! cases of a rule: `<RULE_ID>__<case>/`), with a previous and a candidate file — or, for
//! schemas with imports, `previous/` and `candidate/` folders and the main file named in
//! `expected.json` — and the expected verdict (buf-style).
//! JSON Schema's are `tests/fixtures/compat/json/<RULE_ID>__<case>/`, one of Confluent's own
//! examples each (source cited in `expected.json`, with upstream's change list and both
//! policies' verdicts), run by `crates/schemaflow-schema/tests/json_compat_fixtures.rs`.
//!
//! * **Avro** ([`avro`]): Apache Avro's reader/writer compatibility, as the registry uses it
//!   (Java's `SchemaCompatibility`), reimplemented over `apache_avro::Schema`: promotions,
//!   defaults for reader-only fields, names and aliases, enum symbols and enum defaults, fixed
//!   sizes, unions branch by branch, arrays and maps, nested and recursive records. Rule ids are
//!   Avro's incompatibility types (`READER_FIELD_MISSING_DEFAULT_VALUE`, `TYPE_MISMATCH`, …);
//!   paths are Avro's (`/fields/1/type/items`).
//! * **Protobuf** ([`protobuf`]): the registry's schema-diff rules, fields matched by number,
//!   paths are full names (`events.v1.UserEvent.action`). See the module for the direction
//!   semantics.
//! * **JSON Schema** ([`json`]): the registry's JSON Schema diff (`json/diff`), open, closed and
//!   partially open content models, `allOf`/`anyOf`/`oneOf`/`not`, `$ref` followed; rule ids
//!   are upstream's difference types (`TYPE_NARROWED`, …), paths JSON pointers
//!   (`#/properties/foo`). [`check`] uses the registry's default STRICT set of compatible
//!   changes; [`json::check`] takes [`json::JsonCompatPolicy::Lenient`] too.
//!
//! ## Use
//!
//! ```
//! use schemaflow_schema::compat::{check, CompatibilityLevel, Rule, SchemaInput};
//! use schemaflow_schema::SchemaType;
//!
//! let v1 = SchemaInput::new(SchemaType::Avro, r#"{"type":"record","name":"U","fields":[]}"#, "version 1");
//! let v2 = SchemaInput::new(
//!     SchemaType::Avro,
//!     r#"{"type":"record","name":"U","fields":[{"name":"email","type":"string"}]}"#,
//!     "candidate",
//! );
//! let report = check(CompatibilityLevel::Backward, &[v1], &v2)?;
//! assert!(!report.compatible);
//! assert_eq!(report.findings[0].rule, Rule::ReaderFieldMissingDefaultValue);
//! assert_eq!(report.findings[0].rule.id(), "READER_FIELD_MISSING_DEFAULT_VALUE");
//! # Ok::<(), schemaflow_schema::Error>(())
//! ```

pub mod avro;
mod difference;
mod input;
pub mod json;
mod level;
pub mod locate;
mod parse;
pub mod protobuf;
mod rules;

use std::fmt;

pub use difference::Difference;
pub use input::SchemaInput;
pub use level::{CompatibilityLevel, UnknownCompatibilityLevel};
pub use rules::{Rule, RuleCategory, UnknownRule};

#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::SchemaType;

/// Which way data flows in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The candidate reads data written with the previous schema.
    Backward,
    /// The previous schema reads data written with the candidate.
    Forward,
}

impl Direction {
    /// `BACKWARD` or `FORWARD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Backward => "BACKWARD",
            Direction::Forward => "FORWARD",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An incompatible change: why the candidate may not join the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule it breaks (its [`Rule::id`] is what outputs print).
    pub rule: Rule,
    /// Where: an Avro path (`/fields/1/type`) or a Protobuf full name.
    pub path: String,
    /// A sentence a person can act on.
    pub message: String,
    /// The label of the previous schema compared with.
    pub against: String,
    /// Which way the data could not flow.
    pub direction: Direction,
}

/// One sentence: `RULE_ID at PATH (BACKWARD against version 2): message`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {} ({} against {}): {}",
            self.rule, self.path, self.direction, self.against, self.message
        )
    }
}

/// The verdict on a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompatReport {
    /// Whether the registry would accept the candidate.
    pub compatible: bool,
    /// Why not (empty when compatible).
    pub findings: Vec<Finding>,
}

impl CompatReport {
    /// One sentence per finding, for the registry's verbose 409 answer:
    /// `RULE_ID at PATH (BACKWARD against version 2): message`.
    pub fn messages(&self) -> Vec<String> {
        self.findings.iter().map(Finding::to_string).collect()
    }
}

/// A parsed schema, ready to compare.
#[derive(Debug)]
pub enum ParsedSchema {
    /// An Avro schema with its named types.
    Avro(avro::AvroCompatSchema),
    /// A Protobuf file with its imports.
    Protobuf(protobuf::ProtoCompatSchema),
    /// A JSON Schema with its references.
    Json(json::JsonCompatSchema),
}

impl ParsedSchema {
    fn schema_type(&self) -> SchemaType {
        match self {
            ParsedSchema::Avro(_) => SchemaType::Avro,
            ParsedSchema::Protobuf(_) => SchemaType::Protobuf,
            ParsedSchema::Json(_) => SchemaType::Json,
        }
    }
}

/// Every difference between `previous` and `candidate` in one direction, compatible ones
/// included (what the rule fixtures assert). JSON Schema is compared under the registry's
/// default STRICT policy ([`json::differences`] takes another).
pub fn differences(
    direction: Direction,
    previous: &ParsedSchema,
    candidate: &ParsedSchema,
) -> Vec<Difference> {
    differences_under(
        direction,
        previous,
        candidate,
        json::JsonCompatPolicy::Strict,
    )
}

fn differences_under(
    direction: Direction,
    previous: &ParsedSchema,
    candidate: &ParsedSchema,
    policy: json::JsonCompatPolicy,
) -> Vec<Difference> {
    match (previous, candidate) {
        (ParsedSchema::Json(p), ParsedSchema::Json(c)) => json::directed(direction, p, c, policy),
        (ParsedSchema::Avro(p), ParsedSchema::Avro(c)) => match direction {
            Direction::Backward => avro::differences(c, p, "new schema", "old schema"),
            Direction::Forward => avro::differences(p, c, "old schema", "new schema"),
        },
        (ParsedSchema::Protobuf(p), ParsedSchema::Protobuf(c)) => match direction {
            Direction::Backward => protobuf::differences(p, c),
            Direction::Forward => protobuf::differences(c, p),
        },
        (p, c) => vec![Difference {
            rule: Rule::SchemaTypeChanged,
            path: "/".into(),
            message: format!(
                "the schema type changed from {} to {}; a subject keeps one schema type, so register it under a new subject",
                p.schema_type(),
                c.schema_type()
            ),
        }],
    }
}

/// Check `candidate` against the `previous` versions (oldest first) under `level`.
///
/// Parse errors are [`Error::ParseAvroSchema`] / [`Error::ParseProtobufSchema`] /
/// [`Error::ParseJsonSchema`]; the candidate
/// is parsed even under `NONE`.
pub fn check(
    level: CompatibilityLevel,
    previous: &[SchemaInput],
    candidate: &SchemaInput,
) -> Result<CompatReport> {
    check_with(level, previous, candidate, json::JsonCompatPolicy::Strict)
}

/// [`check`] with the JSON Schema policy given (Avro and Protobuf have only one).
fn check_with(
    level: CompatibilityLevel,
    previous: &[SchemaInput],
    candidate: &SchemaInput,
    policy: json::JsonCompatPolicy,
) -> Result<CompatReport> {
    let cand = ParsedSchema::parse(candidate)?;
    let against: &[SchemaInput] = if level == CompatibilityLevel::None {
        &[]
    } else if level.is_transitive() {
        previous
    } else {
        previous.last().map(std::slice::from_ref).unwrap_or(&[])
    };
    let mut findings = Vec::new();
    // Newest first, as the registry reports.
    for prev_input in against.iter().rev() {
        let prev = ParsedSchema::parse(prev_input)?;
        for (on, direction) in [
            (level.checks_backward(), Direction::Backward),
            (level.checks_forward(), Direction::Forward),
        ] {
            if !on {
                continue;
            }
            for d in differences_under(direction, &prev, &cand, policy) {
                if policy.accepts(d.rule) {
                    continue;
                }
                findings.push(Finding {
                    rule: d.rule,
                    path: d.path,
                    message: d.message,
                    against: prev_input.label.clone(),
                    direction,
                });
            }
        }
    }
    Ok(CompatReport {
        compatible: findings.is_empty(),
        findings,
    })
}
