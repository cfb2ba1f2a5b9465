//! How the embedded registry asks whether a schema may be registered: through a trait, so the
//! compatibility engine plugs in (and tests can substitute a checker).

use crate::registry::types::CompatibilityLevel;
use crate::SchemaType;

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
}
