//! Why an Avro datum could not be read. Its own file so the primitives ([`super::binary`],
//! [`super::logical`]) depend on it without depending on the module that re-exports them.

use super::resolve_error::ResolveError;

/// Why an Avro datum could not be read: corrupt or truncated bytes, or a value the resolution
/// from the writer's schema to the reader's cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvroDecodeError {
    /// The input ends inside a varint.
    #[error("truncated varint")]
    TruncatedVarint,
    /// A varint longer than 64 bits.
    #[error("overlong varint")]
    OverlongVarint,
    /// An int outside 32 bits.
    #[error("int value {0} out of range")]
    IntOutOfRange(i64),
    /// A negative length prefix.
    #[error("negative length {0}")]
    NegativeLength(i64),
    /// The input ends inside a value.
    #[error("truncated data: needed {needed} bytes, {left} left")]
    Truncated {
        /// Bytes the value needs.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    /// A string that is not UTF-8.
    #[error("invalid UTF-8 in a string (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// A `uuid` string that is not a UUID.
    #[error("invalid uuid {0:?}")]
    InvalidUuid(String),
    /// A boolean byte other than 0 or 1.
    #[error("invalid boolean byte {0}")]
    InvalidBoolean(u8),
    /// An array or map block count that cannot be right.
    #[error("invalid block count {0}")]
    InvalidBlockCount(i64),
    /// An enum index past the writer's symbols.
    #[error("enum index {0} out of range")]
    EnumIndexOutOfRange(i32),
    /// A writer enum symbol the reader lacks, with no default to fall back on.
    #[error("enum symbol {0} is not in the reader's enum, which has no default")]
    UnknownEnumSymbol(String),
    /// A union branch index past the writer's branches.
    #[error("union branch {0} out of range")]
    UnionBranchOutOfRange(i32),
    /// A writer union branch the reader cannot read (known when the plan was made; only an
    /// error when data takes that branch).
    #[error("{0}")]
    UnreadableBranch(Box<ResolveError>),
    /// Data nested deeper than the reader accepts.
    #[error("data nested too deeply")]
    TooDeep,
    /// Bytes left over after the datum.
    #[error("{0} unexpected bytes after the datum")]
    TrailingBytes(usize),
    /// The datum does not fit the schema (apache-avro's deserializer says why).
    #[error("{0}")]
    Datum(String),
    /// A bug in the resolution plan.
    #[error("internal: {0}")]
    Internal(&'static str),
}
