//! JSON Schema compatibility: Confluent Schema Registry's JSON Schema diff, rule for rule.
//!
//! A port of `io.confluent.kafka.schemaregistry.json.diff` (confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/`):
//! `SchemaDiff` (`schema.rs`), `ObjectSchemaDiff` (`object.rs`), `ArraySchemaDiff` (`array.rs`),
//! `CombinedSchemaDiff` and `NotSchemaDiff` (`schema.rs`), `StringSchemaDiff`,
//! `NumberSchemaDiff` and `EnumSchemaDiff` (`scalar.rs`), `Context` (`context.rs`). The schema
//! classes it works on are [`crate::json_schema`]'s model of everit's.
//!
//! Two schemas are compared as an **original** and an **update**; every difference is one of
//! upstream's `Difference.Type`s (a [`Rule`] whose id is the type's name, `JSON`-only) at a
//! JSON-pointer path as upstream prints it (`TYPE_NARROWED #/properties/foo`,
//! `COMBINED_TYPE_SUBSCHEMAS_CHANGED #/`). `$ref`s are followed (a change behind one is
//! reported at the referring path), and a pair already being compared further up is not
//! compared again, so recursive schemas terminate.
//!
//! ## Direction
//!
//! As for Protobuf, one diff serves both directions (Confluent's
//! `JsonSchema.isBackwardCompatible(previous)` diffs original = previous, update = this):
//! `BACKWARD` diffs previous → candidate, `FORWARD` candidate → previous.
//!
//! ## Policies
//!
//! Whether a difference is compatible depends on the set of compatible changes in force
//! ([`JsonCompatPolicy`]): **STRICT**, the registry's default (`SchemaDiff.COMPATIBLE_CHANGES`,
//! `COMPATIBLE_CHANGES_STRICT` in later releases; [`Rule::compatible`]), or **LENIENT**
//! (`COMPATIBLE_CHANGES_LENIENT`), which also accepts the open-content-model changes that
//! STRICT refuses: `ADDITIONAL_PROPERTIES_NARROWED`, `ADDITIONAL_PROPERTIES_REMOVED`,
//! `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`, `PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL`
//! and `PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL`. The policy also steers
//! the walk itself (which union branch or subschema pair counts as a match), as upstream's
//! `Context` carries its set into every sub-context. Upstream's test
//! (`SchemaDiffTest.checkJsonSchemaCompatibility`) checks each example under both, with
//! `compatible_lenient` where the verdicts differ.
//!
//! Not ported: `RESERVED_PROPERTY_*` (they compare `confluent:reserved` metadata, which a
//! schema text does not carry), `UNEVALUATED_*` and `*_CONTAINS` (2019-09 keywords the diff
//! version ported here does not compare).

mod array;
mod context;
mod object;
mod scalar;
mod schema;

use super::difference::Difference;
use super::input::SchemaInput;
use super::rules::Rule;
use super::{CompatReport, CompatibilityLevel, Direction, ParsedSchema};
use crate::error::Result;
use crate::json_schema::JsonSchema;

/// Which changes the registry accepts for JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JsonCompatPolicy {
    /// The registry's default set (`SchemaDiff.COMPATIBLE_CHANGES_STRICT`).
    #[default]
    Strict,
    /// STRICT plus the open-content-model changes of `COMPATIBLE_CHANGES_LENIENT`.
    Lenient,
}

/// What LENIENT accepts beyond STRICT (`SchemaDiff`'s static initializer adds these after
/// snapshotting STRICT).
const LENIENT_ALSO: &[Rule] = &[
    Rule::JsonAdditionalPropertiesNarrowed,
    Rule::JsonAdditionalPropertiesRemoved,
    Rule::JsonPropertyAddedToOpenContentModel,
    Rule::JsonPropertyRemovedFromOpenContentModel,
    Rule::JsonPropertyAddedNotCoveredByPartiallyOpenContentModel,
    Rule::JsonPropertyRemovedNotCoveredByPartiallyOpenContentModel,
];

impl JsonCompatPolicy {
    /// Whether a schema showing a difference of this rule is compatible under the policy.
    pub fn accepts(self, rule: Rule) -> bool {
        rule.compatible() || (self == JsonCompatPolicy::Lenient && LENIENT_ALSO.contains(&rule))
    }

    /// `STRICT` or `LENIENT` (Confluent's `compatibilityPolicy` config values).
    pub fn as_str(self) -> &'static str {
        match self {
            JsonCompatPolicy::Strict => "STRICT",
            JsonCompatPolicy::Lenient => "LENIENT",
        }
    }
}

impl std::fmt::Display for JsonCompatPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text given was not a JSON compatibility policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compatibility policy {0:?}: expected STRICT or LENIENT")]
pub struct UnknownJsonCompatPolicy(pub String);

impl std::str::FromStr for JsonCompatPolicy {
    type Err = UnknownJsonCompatPolicy;

    /// Case-insensitive `STRICT` or `LENIENT`.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Ok(JsonCompatPolicy::Strict),
            "LENIENT" => Ok(JsonCompatPolicy::Lenient),
            _ => Err(UnknownJsonCompatPolicy(s.to_string())),
        }
    }
}

/// A parsed JSON Schema with its references, ready to compare.
#[derive(Debug, Clone)]
pub struct JsonCompatSchema {
    schema: JsonSchema,
}

impl JsonCompatSchema {
    /// Parse the input with its references (see [`JsonSchema::parse`]); errors name the
    /// input's label.
    pub fn parse(input: &SchemaInput) -> Result<Self> {
        JsonSchema::parse(&input.label, &input.text, &input.references)
            .map(|schema| JsonCompatSchema { schema })
    }

    /// The schema.
    pub fn schema(&self) -> &JsonSchema {
        &self.schema
    }
}

/// Every difference from `original` to `update` under `policy`, in upstream's order.
pub fn differences(
    original: &JsonCompatSchema,
    update: &JsonCompatSchema,
    policy: JsonCompatPolicy,
) -> Vec<Difference> {
    let (o, u) = (original.schema.model(), update.schema.model());
    schema::diff(o, u, policy, o.root, u.root)
}

/// [`super::check`] for JSON Schema under a chosen policy (`check` itself uses STRICT, the
/// registry's default).
pub fn check(
    level: CompatibilityLevel,
    previous: &[SchemaInput],
    candidate: &SchemaInput,
    policy: JsonCompatPolicy,
) -> Result<CompatReport> {
    super::check_with(level, previous, candidate, policy)
}

/// The JSON differences in one direction, as [`super::differences`] orients them.
pub(super) fn directed(
    direction: Direction,
    previous: &JsonCompatSchema,
    candidate: &JsonCompatSchema,
    policy: JsonCompatPolicy,
) -> Vec<Difference> {
    match direction {
        Direction::Backward => differences(previous, candidate, policy),
        Direction::Forward => differences(candidate, previous, policy),
    }
}

impl From<JsonCompatSchema> for ParsedSchema {
    fn from(s: JsonCompatSchema) -> Self {
        ParsedSchema::Json(s)
    }
}
