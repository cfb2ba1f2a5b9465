//! What a Protobuf field needs besides its [`Field`](super::fields::Field) entry: a file of its
//! own, so that the field tree (`fields.rs`) and the Protobuf walk (`fields_protobuf.rs`) do not
//! import each other.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value;

/// A scalar's kind, as the JSON mapping writes it and CEL binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scalar {
    /// int32, sint32, sfixed32: a JSON number, a CEL `int`.
    Int32,
    /// uint32, fixed32: a JSON number, a CEL `uint`.
    Uint32,
    /// int64, sint64, sfixed64: a JSON string, a CEL `int`.
    Int64,
    /// uint64, fixed64: a JSON string, a CEL `uint`.
    Uint64,
    /// float, double: a JSON number (or "NaN", "Infinity"), a CEL `double`.
    Double,
    /// A JSON bool.
    Bool,
    /// A JSON string.
    String,
    /// base64 in JSON, CEL `bytes`.
    Bytes,
    /// An enum: its value's name in JSON, its number in CEL.
    Enum,
    /// A message.
    Message,
}

/// What a Protobuf field needs beyond [`Field`]: how its value is written in the JSON mapping.
#[derive(Debug)]
pub(super) struct ProtoField {
    /// The key of the field in the JSON mapping (its `json_name`).
    pub json_key: String,
    /// Whether an absent field is unset (explicit presence: messages, `optional`, oneof
    /// members, proto2) rather than holding its default.
    pub presence: bool,
    /// A oneof member: left out of the message binding when unset (as Python's MessageType).
    pub oneof: bool,
    /// Repeated (not a map).
    pub list: bool,
    /// A map: its key's kind.
    pub map_key: Option<Scalar>,
    /// The value's kind (a map's value kind).
    pub scalar: Scalar,
    /// The default of a singular scalar, as CEL sees it.
    pub default: Value,
    /// Enum value names → numbers (the message binding gives enums as numbers).
    pub enum_numbers: Option<Arc<HashMap<String, i32>>>,
    /// The record of a message-valued field (a map's value).
    pub record: Option<usize>,
}
