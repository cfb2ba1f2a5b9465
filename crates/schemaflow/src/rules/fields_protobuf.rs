//! The fields of a Protobuf writer schema as field rules (`CEL_FIELD`) see them, following
//! confluent-kafka-python's `common/protobuf.py` (`transform`, `get_type`, `get_inline_tags`)
//! and its CEL binding of message values (`rules/cel/constraints.py`):
//!
//! ```text
//! every message of the schema's file → a record; each field (declaration order) with
//!   full name   <package>.<Message>.<field>      (the descriptor's own full name)
//!   tags        (confluent.field_meta).tags  ∪  metadata.tags matched by that full name
//!   type        get_type: a map is MAP, a message RECORD (Timestamp LONG, Decimal BYTES),
//!               an enum ENUM, int32/sint32/uint32/fixed32/sfixed32 INT, the 64-bit ones LONG…
//!   repeated    an array of its element (the element's type, as Python's get_type(fd))
//!   map         of messages: each value walked; of scalars: one MAP leaf (not primitive)
//! ```
//!
//! Records travel as the proto3 JSON mapping (what the codec gives rules): keys are JSON names,
//! 64-bit integers are strings, bytes base64, enums names, and a field without presence that
//! holds its default is absent. [`ProtoField`] keeps what undoes that per field, so a rule sees
//! what Python's sees: CEL `int`/`uint`/`double`/`bytes` values, and an unset implicit field
//! as its default (Python reads it with `getattr`, so a rule runs on it too).

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::Value;
use prost_reflect::{
    Cardinality, DescriptorPool, FieldDescriptor, Kind, MessageDescriptor, Value as Proto,
};
use serde_json::Value as Json;

use super::cel::to_cel;
use super::fields::{metadata_tags, Field, FieldTree, FieldType, Node, Record};
use super::proto_field::{ProtoField, Scalar};
use crate::registry::Metadata;

/// `confluent.type.Decimal` and `google.protobuf.Timestamp`: one value each for Confluent's
/// clients (`is_cel_leaf_message`), bound as a Python decimal and datetime.
fn opaque(full_name: &str) -> Option<(FieldType, &'static str)> {
    match full_name {
        "confluent.type.Decimal" => Some((
            FieldType::Bytes,
            "CEL_FIELD rules on confluent.type.Decimal fields are not supported by schemaflow yet",
        )),
        "google.protobuf.Timestamp" => Some((
            FieldType::Long,
            "CEL_FIELD rules on google.protobuf.Timestamp fields are not supported by schemaflow yet",
        )),
        _ => None,
    }
}

impl FieldTree {
    /// The tree of a Protobuf schema's file (`file` in `pool`): every message, nested ones
    /// included, tagged by `(confluent.field_meta).tags` and `metadata`.
    pub fn protobuf(pool: &DescriptorPool, file: &str, metadata: Option<&Metadata>) -> FieldTree {
        let mut b = ProtoBuilder {
            metadata,
            field_meta: pool.get_extension_by_name("confluent.field_meta"),
            records: Vec::new(),
            by_name: HashMap::new(),
        };
        let mut messages = Vec::new();
        fn all(m: MessageDescriptor, out: &mut Vec<MessageDescriptor>) {
            for child in m.child_messages() {
                all(child.clone(), out);
            }
            out.push(m);
        }
        if let Some(f) = pool.get_file_by_name(file) {
            // Top-level messages first (a record is most often one), then nested ones.
            let mut nested = Vec::new();
            for m in f.messages() {
                messages.push(m.clone());
                for child in m.child_messages() {
                    all(child, &mut nested);
                }
            }
            messages.extend(nested.into_iter().filter(|m| !m.is_map_entry()));
        }
        let messages = messages
            .into_iter()
            .map(|m| (m.full_name().to_string(), b.record(&m)))
            .collect();
        FieldTree {
            root: Node::Leaf(FieldType::Null),
            records: b.records,
            messages,
        }
    }
}

struct ProtoBuilder<'m> {
    metadata: Option<&'m Metadata>,
    field_meta: Option<prost_reflect::ExtensionDescriptor>,
    records: Vec<Record>,
    by_name: HashMap<String, usize>,
}

impl ProtoBuilder<'_> {
    fn record(&mut self, m: &MessageDescriptor) -> usize {
        if let Some(i) = self.by_name.get(m.full_name()) {
            return *i;
        }
        // Reserved before its fields are built: a field may refer back to it.
        let index = self.records.len();
        self.records.push(Record::default());
        self.by_name.insert(m.full_name().to_string(), index);
        let fields = m.fields().map(|fd| self.field(&fd)).collect();
        if let Some(r) = self.records.get_mut(index) {
            r.fields = fields;
        }
        index
    }

    fn field(&mut self, fd: &FieldDescriptor) -> Field {
        let full_name = fd.full_name().to_string();
        let mut tags = metadata_tags(self.metadata, &full_name);
        tags.extend(self.inline_tags(fd));
        let (map_key, value_kind) = match fd.kind() {
            Kind::Message(entry) if fd.is_map() => (
                Some(scalar(&entry.map_entry_key_field().kind())),
                entry.map_entry_value_field().kind(),
            ),
            k => (None, k),
        };
        let record = match &value_kind {
            Kind::Message(m) if opaque(m.full_name()).is_none() => Some(self.record(m)),
            _ => None,
        };
        let element = match (&value_kind, record) {
            (Kind::Message(m), None) => opaque(m.full_name())
                .map_or(Node::Leaf(FieldType::Record), |(t, why)| {
                    Node::Opaque(t, why)
                }),
            (_, Some(i)) => Node::Record(i),
            (k, None) => Node::Leaf(leaf_type(k)),
        };
        let node = match (fd.is_map(), fd.is_list()) {
            // Python walks the values of a map of messages; a map of scalars is one MAP value.
            (true, _) if record.is_some() => Node::Map(Box::new(element)),
            (true, _) => Node::Leaf(FieldType::Map),
            (false, true) => Node::Array(Box::new(element)),
            (false, false) => element,
        };
        let enum_numbers = match &value_kind {
            Kind::Enum(e) => Some(Arc::new(
                e.values()
                    .map(|v| (v.name().to_string(), v.number()))
                    .collect(),
            )),
            _ => None,
        };
        Field {
            name: fd.name().to_string(),
            full_name,
            tags,
            node,
            proto: Some(ProtoField {
                json_key: fd.json_name().to_string(),
                presence: fd.supports_presence() || fd.cardinality() == Cardinality::Repeated,
                oneof: fd.containing_oneof().is_some(),
                list: fd.is_list(),
                map_key,
                scalar: scalar(&value_kind),
                default: if fd.is_list() || fd.is_map() {
                    Value::Null
                } else {
                    proto_to_cel(&fd.default_value())
                },
                enum_numbers,
                record,
            }),
        }
    }

    /// `(confluent.field_meta).tags` of the field (`get_inline_tags`).
    fn inline_tags(&self, fd: &FieldDescriptor) -> Vec<String> {
        let Some(ext) = &self.field_meta else {
            return Vec::new();
        };
        let options = fd.options();
        if !options.has_extension(ext) {
            return Vec::new();
        }
        let meta = options.get_extension(ext);
        let Proto::Message(meta) = meta.as_ref() else {
            return Vec::new();
        };
        match meta.get_field_by_name("tags").as_deref() {
            Some(Proto::List(tags)) => tags
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Python's `get_type` of a non-message field.
fn leaf_type(kind: &Kind) -> FieldType {
    match kind {
        Kind::Int32 | Kind::Sint32 | Kind::Uint32 | Kind::Fixed32 | Kind::Sfixed32 => {
            FieldType::Int
        }
        Kind::Int64 | Kind::Sint64 | Kind::Uint64 | Kind::Fixed64 | Kind::Sfixed64 => {
            FieldType::Long
        }
        Kind::Float => FieldType::Float,
        Kind::Double => FieldType::Double,
        Kind::Bool => FieldType::Boolean,
        Kind::String => FieldType::String,
        Kind::Bytes => FieldType::Bytes,
        Kind::Enum(_) => FieldType::Enum,
        Kind::Message(_) => FieldType::Record,
    }
}

fn scalar(kind: &Kind) -> Scalar {
    match kind {
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Scalar::Int32,
        Kind::Uint32 | Kind::Fixed32 => Scalar::Uint32,
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Scalar::Int64,
        Kind::Uint64 | Kind::Fixed64 => Scalar::Uint64,
        Kind::Float | Kind::Double => Scalar::Double,
        Kind::Bool => Scalar::Bool,
        Kind::String => Scalar::String,
        Kind::Bytes => Scalar::Bytes,
        Kind::Enum(_) => Scalar::Enum,
        Kind::Message(_) => Scalar::Message,
    }
}

/// A field's default (prost-reflect's value) as CEL binds it.
fn proto_to_cel(v: &Proto) -> Value {
    match v {
        Proto::Bool(b) => Value::Bool(*b),
        Proto::I32(i) => Value::Int(i64::from(*i)),
        Proto::I64(i) => Value::Int(*i),
        Proto::U32(u) => Value::UInt(u64::from(*u)),
        Proto::U64(u) => Value::UInt(*u),
        Proto::F32(f) => Value::Float(f64::from(*f)),
        Proto::F64(f) => Value::Float(*f),
        Proto::String(s) => Value::String(Arc::new(s.clone())),
        Proto::Bytes(b) => Value::Bytes(Arc::new(b.to_vec())),
        Proto::EnumNumber(n) => Value::Int(i64::from(*n)),
        Proto::Message(_) | Proto::List(_) | Proto::Map(_) => Value::Null,
    }
}

/// A scalar of the JSON mapping as CEL sees it (Python's `_scalar_field_value_to_cel`).
pub(super) fn scalar_to_cel(p: &ProtoField, v: &Json) -> Result<Value, String> {
    use base64::Engine as _;
    let bad = || format!("{v} is not a {:?} in the proto3 JSON mapping", p.scalar);
    Ok(match (p.scalar, v) {
        (_, Json::Null) => Value::Null,
        (Scalar::Int32 | Scalar::Int64, Json::Number(n)) => Value::Int(n.as_i64().ok_or_else(bad)?),
        (Scalar::Int32 | Scalar::Int64, Json::String(s)) => {
            Value::Int(s.parse().map_err(|_| bad())?)
        }
        (Scalar::Uint32 | Scalar::Uint64, Json::Number(n)) => {
            Value::UInt(n.as_u64().ok_or_else(bad)?)
        }
        (Scalar::Uint32 | Scalar::Uint64, Json::String(s)) => {
            Value::UInt(s.parse().map_err(|_| bad())?)
        }
        (Scalar::Double, Json::Number(n)) => Value::Float(n.as_f64().ok_or_else(bad)?),
        (Scalar::Double, Json::String(s)) => Value::Float(match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => other.parse().map_err(|_| bad())?,
        }),
        (Scalar::Bytes, Json::String(s)) => Value::Bytes(Arc::new(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(s))
                .map_err(|_| bad())?,
        )),
        (Scalar::Enum, Json::String(name)) => Value::Int(i64::from(
            p.enum_numbers
                .as_ref()
                .and_then(|m| m.get(name))
                .copied()
                .ok_or_else(bad)?,
        )),
        (Scalar::Enum, Json::Number(n)) => Value::Int(n.as_i64().ok_or_else(bad)?),
        (_, other) => to_cel(other),
    })
}

/// A rule's answer for a scalar field back in the JSON mapping (64-bit integers as strings,
/// bytes as base64), so the frame re-encodes as the same field.
pub(super) fn scalar_from_cel(p: &ProtoField, v: &Value) -> Result<Json, String> {
    use base64::Engine as _;
    Ok(match (p.scalar, v) {
        (Scalar::Int64, Value::Int(i)) => Json::String(i.to_string()),
        (Scalar::Uint64, Value::UInt(u)) => Json::String(u.to_string()),
        (Scalar::Int64, Value::UInt(u)) => Json::String(u.to_string()),
        (Scalar::Uint64, Value::Int(i)) => Json::String(i.to_string()),
        (Scalar::Double, Value::Float(f)) if !f.is_finite() => Json::String(
            match f {
                f if f.is_nan() => "NaN",
                f if *f > 0.0 => "Infinity",
                _ => "-Infinity",
            }
            .to_string(),
        ),
        (_, Value::Bytes(b)) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(&**b))
        }
        (_, other) => super::cel::from_cel(other)?,
    })
}

/// A Protobuf record (the JSON mapping of `record`'s message) as Python's `MessageType` binds
/// it to `message`: keyed by field name, every field there (an absent one as its default, an
/// unset message as null) but unset oneof members, enums as numbers, bytes as bytes.
pub(super) fn record_to_cel(
    tree: &FieldTree,
    record: usize,
    obj: &serde_json::Map<String, Json>,
) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::new();
    let Some(r) = tree.records.get(record) else {
        return Value::Map(Map { map: Arc::new(map) });
    };
    for f in &r.fields {
        let Some(p) = &f.proto else { continue };
        let value = obj.get(&p.json_key).or_else(|| obj.get(&f.name));
        let cel = match value {
            None | Some(Json::Null) if p.oneof => continue,
            None | Some(Json::Null) if p.list => Value::List(Arc::new(Vec::new())),
            None | Some(Json::Null) if p.map_key.is_some() => Value::Map(Map {
                map: Arc::new(HashMap::new()),
            }),
            None | Some(Json::Null) if p.scalar == Scalar::Message => Value::Null,
            None | Some(Json::Null) => p.default.clone(),
            Some(v) => field_value_to_cel(tree, p, v),
        };
        map.insert(Key::String(Arc::new(f.name.clone())), cel);
    }
    Value::Map(Map { map: Arc::new(map) })
}

fn field_value_to_cel(tree: &FieldTree, p: &ProtoField, v: &Json) -> Value {
    let one = |x: &Json| match (p.record, x) {
        (Some(i), Json::Object(o)) => record_to_cel(tree, i, o),
        // A well-known type in its JSON form (a Timestamp's RFC 3339 text…), as it is.
        (None, _) if p.scalar == Scalar::Message => to_cel(x),
        _ => scalar_to_cel(p, x).unwrap_or_else(|_| to_cel(x)),
    };
    match (v, p.map_key) {
        (Json::Object(entries), Some(key)) => {
            let map = entries
                .iter()
                .map(|(k, x)| {
                    let key = match key {
                        Scalar::Int32 | Scalar::Int64 => k.parse().map(Key::Int).ok(),
                        Scalar::Uint32 | Scalar::Uint64 => k.parse().map(Key::Uint).ok(),
                        Scalar::Bool => k.parse().map(Key::Bool).ok(),
                        _ => None,
                    }
                    .unwrap_or_else(|| Key::String(Arc::new(k.clone())));
                    (key, one(x))
                })
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
        (Json::Array(items), _) if p.list => Value::List(Arc::new(items.iter().map(one).collect())),
        (x, _) => one(x),
    }
}
