//! One change between two schemas, as the per-language checkers report it (the dispatcher in
//! [`super`] turns the incompatible ones into findings).

/// One change found between two schemas, compatible or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The rule it is an instance of.
    pub rule: super::Rule,
    /// Where: an Avro path (`/fields/1/type`) or a Protobuf full name.
    pub path: String,
    /// What changed and what to do about it.
    pub message: String,
}
