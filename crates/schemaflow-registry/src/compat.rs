//! How the embedded registry asks whether a schema may be registered: through a trait, so the
//! compatibility engine plugs in (and tests can substitute a checker).

use schemaflow::compat::json::JsonCompatPolicy;
use schemaflow::registry::types::CompatibilityLevel;
use schemaflow::SchemaType;

/// A schema handed to a [`CompatibilityChecker`]: its text and its references' texts.
#[derive(Debug, Clone)]
pub struct CheckInput {
    /// Language.
    pub schema_type: SchemaType,
    /// The schema text (Avro JSON, `.proto` source or base64 `FileDescriptorProto`).
    pub schema: String,
    /// `(reference name, text)` of every transitive dependency, dependencies first.
    pub references: Vec<(String, String)>,
    /// How messages name it ("version 3", "the candidate").
    pub label: String,
}

/// Decides compatibility for the registry.
pub trait CompatibilityChecker: Send + Sync + 'static {
    /// Check `candidate` against `previous` (oldest first; the registry passes only the
    /// versions the level asks for). `Ok(messages)`: empty means compatible, otherwise one
    /// sentence per problem. `Err`: a schema did not parse.
    fn check(
        &self,
        level: CompatibilityLevel,
        previous: &[CheckInput],
        candidate: &CheckInput,
    ) -> Result<Vec<String>, String>;

    /// [`check`](Self::check) under a JSON Schema compatibility policy (Confluent's
    /// `compatibilityPolicy`, resolved for the subject). A checker without policies ignores it.
    fn check_with_policy(
        &self,
        level: CompatibilityLevel,
        policy: JsonCompatPolicy,
        previous: &[CheckInput],
        candidate: &CheckInput,
    ) -> Result<Vec<String>, String> {
        let _ = policy;
        self.check(level, previous, candidate)
    }
}

/// The compatibility engine ([`schemaflow::compat`]): Confluent's verdicts for Avro, Protobuf
/// and JSON Schema (under the subject's `compatibilityPolicy`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CompatibilityEngine;

impl CompatibilityChecker for CompatibilityEngine {
    fn check(
        &self,
        level: CompatibilityLevel,
        previous: &[CheckInput],
        candidate: &CheckInput,
    ) -> Result<Vec<String>, String> {
        self.check_with_policy(level, JsonCompatPolicy::Strict, previous, candidate)
    }

    fn check_with_policy(
        &self,
        level: CompatibilityLevel,
        policy: JsonCompatPolicy,
        previous: &[CheckInput],
        candidate: &CheckInput,
    ) -> Result<Vec<String>, String> {
        let input = |c: &CheckInput| schemaflow::compat::SchemaInput {
            schema_type: c.schema_type,
            text: c.schema.clone(),
            references: c.references.clone(),
            label: c.label.clone(),
        };
        let previous: Vec<_> = previous.iter().map(input).collect();
        // The policy only changes JSON Schema verdicts; Avro and Protobuf have one set.
        schemaflow::compat::json::check(level, &previous, &input(candidate), policy)
            .map(|report| {
                if report.compatible {
                    Vec::new()
                } else {
                    report.messages()
                }
            })
            .map_err(|e| e.to_string())
    }
}
