//! Why a writer schema cannot be resolved into a reader schema: the resolution plan's error,
//! also carried by [`AvroDecodeError::UnreadableBranch`](super::AvroDecodeError) when data
//! takes a writer union branch the reader cannot read.

/// Why data written with one Avro schema cannot be read with another: where (a path in the
/// writer's schema, `/fields/device/type/1`) and which of the specification's resolution rules
/// failed. Typed, so callers (the checker's tests, a consumer's dead-letter headers) need not
/// parse a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {rule}", show(path))]
pub struct ResolveError {
    /// Where in the writer's schema (`""` is the root).
    pub path: String,
    /// The rule that failed.
    pub rule: ResolveRule,
}

/// The resolution rule that failed (Avro specification, "Schema Resolution").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveRule {
    /// A `Schema::Ref` names a type the schema does not define.
    #[error("unknown named type {0}")]
    UnknownNamedType(String),
    /// A writer union branch has no reader branch it can be read as.
    #[error("writer union branch {branch} ({writer}) has no match in the reader's union")]
    NoReaderBranch {
        /// The writer branch's index.
        branch: usize,
        /// Its kind and name.
        writer: String,
    },
    /// The reader is a union with no branch for the writer's (non-union) type.
    #[error("the reader's union has no branch for the writer's {writer}")]
    NotInReaderUnion {
        /// The writer's kind and name.
        writer: String,
    },
    /// Named types whose names (and the reader's aliases) do not match.
    #[error("{kind} {writer} cannot be read as {kind} {reader}")]
    NameMismatch {
        /// `record`, `enum` or `fixed`.
        kind: &'static str,
        /// The writer's full name.
        writer: String,
        /// The reader's full name.
        reader: String,
    },
    /// Fixed types of different sizes.
    #[error("fixed size {writer} cannot be read as size {reader}")]
    FixedSize {
        /// The writer's size.
        writer: usize,
        /// The reader's size.
        reader: usize,
    },
    /// Types that neither match nor promote.
    #[error("writer type {writer} cannot be read as {reader}")]
    TypeMismatch {
        /// The writer's kind (and name).
        writer: String,
        /// The reader's kind (and name).
        reader: String,
    },
    /// A reader field the writer lacks, without a default.
    #[error("the reader's field `{0}` is not in the writer's schema and has no default")]
    MissingDefault(String),
    /// A reader field's default that does not fit its type.
    #[error("the reader's field `{field}` has an invalid default: {reason}")]
    InvalidDefault {
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
}

/// `""` (the root) shows as `/`.
fn show(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}
