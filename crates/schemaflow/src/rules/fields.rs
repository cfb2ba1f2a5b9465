//! The fields of a writer schema as field rules (`CEL_FIELD`) see them: each record field with
//! its full name (`<record full name>.<field>`), its Confluent type (`FieldType` in
//! confluent-kafka-python's `serde.py`) and its tags — the field's own (`confluent:tags` in
//! Avro) and those `metadata.tags` gives it by a wildcard path (`**.ssn`), as
//! `RuleContext.enter_field` merges them.
//!
//! Built once per schema, when its rules are compiled, so the per-record walk only follows
//! the tree and never parses or matches names. Avro trees are built here; Protobuf trees (one
//! record per message, with what the proto3 JSON mapping needs) in `fields_protobuf.rs`.

use std::collections::{BTreeSet, HashMap};

use apache_avro::schema::{InnerDecimalSchema, UuidSchema};
use apache_avro::Schema as Avro;
use serde_json::Value as Json;

use super::wildcard::wildcard_match;
use crate::registry::Metadata;

/// Confluent's `FieldType`: what `typeName` is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldType {
    Record,
    Enum,
    Array,
    Map,
    Combined,
    Fixed,
    String,
    Bytes,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    Null,
}

impl FieldType {
    /// The name a rule sees (`typeName == 'STRING'`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Record => "RECORD",
            FieldType::Enum => "ENUM",
            FieldType::Array => "ARRAY",
            FieldType::Map => "MAP",
            FieldType::Combined => "COMBINED",
            FieldType::Fixed => "FIXED",
            FieldType::String => "STRING",
            FieldType::Bytes => "BYTES",
            FieldType::Int => "INT",
            FieldType::Long => "LONG",
            FieldType::Float => "FLOAT",
            FieldType::Double => "DOUBLE",
            FieldType::Boolean => "BOOLEAN",
            FieldType::Null => "NULL",
        }
    }

    /// Whether a field rule runs on a value of this type (`FieldContext.is_primitive`).
    pub fn is_primitive(self) -> bool {
        matches!(
            self,
            FieldType::Int
                | FieldType::Long
                | FieldType::Float
                | FieldType::Double
                | FieldType::Boolean
                | FieldType::Null
                | FieldType::String
                | FieldType::Bytes
        )
    }
}

/// A schema node, as the walk follows it.
#[derive(Debug)]
pub(super) enum Node {
    /// A value with no fields of its own (primitive, enum, fixed).
    Leaf(FieldType),
    /// A record: an index into [`FieldTree::records`] (records may recurse).
    Record(usize),
    /// An array of items.
    Array(Box<Node>),
    /// A map of values.
    Map(Box<Node>),
    /// A union: the branch is chosen from the value.
    Union(Vec<Node>),
    /// A value Confluent's clients bind to CEL as one value of `FieldType` although its schema
    /// is a message (Protobuf's `google.protobuf.Timestamp`, `confluent.type.Decimal`): a field
    /// rule that would run on it fails with the reason given, rather than skip it silently.
    Opaque(FieldType, &'static str),
}

/// A record's field.
#[derive(Debug)]
pub(super) struct Field {
    /// The field's name.
    pub name: String,
    /// `<record full name>.<field name>`.
    pub full_name: String,
    /// Its own tags and those the metadata gives its full name.
    pub tags: BTreeSet<String>,
    /// Its schema.
    pub node: Node,
    /// For a Protobuf field: how its value is written in the proto3 JSON mapping.
    pub proto: Option<super::proto_field::ProtoField>,
}

impl Field {
    /// The key of the field's value in the record's JSON object.
    pub fn key(&self) -> &str {
        self.proto.as_ref().map_or(&self.name, |p| &p.json_key)
    }
}

/// A record's fields, in the schema's order (the order Python walks them).
#[derive(Debug, Default)]
pub(super) struct Record {
    pub fields: Vec<Field>,
}

/// The field tree of one writer schema.
#[derive(Debug)]
pub struct FieldTree {
    pub(super) root: Node,
    pub(super) records: Vec<Record>,
    /// Protobuf: each message of the schema's file (full name, record), in index-path order;
    /// the record's message is one of them. Empty for Avro (the root is the schema).
    pub(super) messages: Vec<(String, usize)>,
}

impl FieldTree {
    /// The tree of an Avro schema, tagged by its fields' `confluent:tags` and `metadata`.
    pub fn avro(schema: &Avro, metadata: Option<&Metadata>) -> FieldTree {
        let mut b = AvroBuilder {
            metadata,
            records: Vec::new(),
            by_name: HashMap::new(),
            named_leaves: HashMap::new(),
        };
        let root = b.node(schema);
        FieldTree {
            root,
            records: b.records,
            messages: Vec::new(),
        }
    }

    /// The node a record starts at: the schema (Avro), or the Protobuf message named
    /// `message` — without the name, the first message (in index-path order) whose fields
    /// hold every key of `value`, as the JSON of a record does not say which message it is.
    pub(super) fn root_for(&self, value: &Json, message: Option<&str>) -> Option<usize> {
        if self.messages.is_empty() {
            return None;
        }
        if let Some(name) = message {
            return self
                .messages
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i);
        }
        let holds = |i: usize| match (value, self.records.get(i)) {
            (Json::Object(o), Some(r)) => o
                .keys()
                .all(|k| r.fields.iter().any(|f| f.key() == k || f.name == *k)),
            _ => false,
        };
        self.messages
            .iter()
            .map(|(_, i)| *i)
            .find(|i| holds(*i))
            .or_else(|| self.messages.first().map(|(_, i)| *i))
    }

    /// The branch of `branches` that `value` (natural JSON: a union is its plain value) is
    /// in: the first that accepts it, as Python's `_resolve_union` takes the first branch the
    /// datum validates against.
    pub(super) fn branch<'a>(&self, branches: &'a [Node], value: &Json) -> Option<&'a Node> {
        branches.iter().find(|b| self.accepts(b, value))
    }

    fn accepts(&self, node: &Node, value: &Json) -> bool {
        use FieldType as T;
        match (node, value) {
            (Node::Leaf(T::Null), Json::Null) | (Node::Leaf(T::Boolean), Json::Bool(_)) => true,
            (Node::Leaf(T::Int | T::Long), Json::Number(n)) => n.is_i64() || n.is_u64(),
            (Node::Leaf(T::Float | T::Double), Json::Number(_)) => true,
            (Node::Leaf(T::String | T::Bytes | T::Enum | T::Fixed), Json::String(_)) => true,
            (Node::Record(i), Json::Object(o)) => self
                .records
                .get(*i)
                .is_some_and(|r| o.keys().all(|k| r.fields.iter().any(|f| f.name == *k))),
            (Node::Map(_), Json::Object(_)) | (Node::Array(_), Json::Array(_)) => true,
            (Node::Union(b), v) => b.iter().any(|n| self.accepts(n, v)),
            _ => false,
        }
    }
}

/// The type of a node: a union is `COMBINED` until its branch is known.
pub(super) fn node_type(node: &Node) -> FieldType {
    match node {
        Node::Leaf(t) => *t,
        Node::Record(_) => FieldType::Record,
        Node::Array(_) => FieldType::Array,
        Node::Map(_) => FieldType::Map,
        Node::Union(_) => FieldType::Combined,
        Node::Opaque(t, _) => *t,
    }
}

struct AvroBuilder<'m> {
    metadata: Option<&'m Metadata>,
    records: Vec<Record>,
    by_name: HashMap<String, usize>,
    /// Enums and fixeds by full name, for references to them.
    named_leaves: HashMap<String, FieldType>,
}

impl AvroBuilder<'_> {
    fn node(&mut self, s: &Avro) -> Node {
        use FieldType as T;
        // Logical types are their underlying Avro type, as fastavro's parsed schema gives
        // Python's `get_type` (`{"type": "int", "logicalType": "date"}` is INT).
        match s {
            Avro::Null => Node::Leaf(T::Null),
            Avro::Boolean => Node::Leaf(T::Boolean),
            Avro::Int | Avro::Date | Avro::TimeMillis => Node::Leaf(T::Int),
            Avro::Long
            | Avro::TimeMicros
            | Avro::TimestampMillis
            | Avro::TimestampMicros
            | Avro::TimestampNanos
            | Avro::LocalTimestampMillis
            | Avro::LocalTimestampMicros
            | Avro::LocalTimestampNanos => Node::Leaf(T::Long),
            Avro::Float => Node::Leaf(T::Float),
            Avro::Double => Node::Leaf(T::Double),
            Avro::Bytes | Avro::BigDecimal => Node::Leaf(T::Bytes),
            Avro::String => Node::Leaf(T::String),
            Avro::Uuid(UuidSchema::String) => Node::Leaf(T::String),
            Avro::Uuid(UuidSchema::Bytes) => Node::Leaf(T::Bytes),
            Avro::Uuid(UuidSchema::Fixed(f)) | Avro::Fixed(f) | Avro::Duration(f) => {
                self.named_leaves.insert(f.name.fullname(None), T::Fixed);
                Node::Leaf(T::Fixed)
            }
            Avro::Decimal(d) => match &d.inner {
                InnerDecimalSchema::Bytes => Node::Leaf(T::Bytes),
                InnerDecimalSchema::Fixed(f) => {
                    self.named_leaves.insert(f.name.fullname(None), T::Fixed);
                    Node::Leaf(T::Fixed)
                }
            },
            Avro::Enum(e) => {
                self.named_leaves.insert(e.name.fullname(None), T::Enum);
                Node::Leaf(T::Enum)
            }
            Avro::Array(a) => Node::Array(Box::new(self.node(&a.items))),
            Avro::Map(m) => Node::Map(Box::new(self.node(&m.types))),
            Avro::Union(u) => Node::Union(u.variants().iter().map(|v| self.node(v)).collect()),
            Avro::Record(r) => {
                let full = r.name.fullname(None);
                if let Some(i) = self.by_name.get(&full) {
                    return Node::Record(*i);
                }
                // Reserved before its fields are built: a field may refer back to it.
                let index = self.records.len();
                self.records.push(Record::default());
                self.by_name.insert(full.clone(), index);
                let mut fields = Vec::with_capacity(r.fields.len());
                for f in &r.fields {
                    let full_name = format!("{full}.{}", f.name);
                    let mut tags = metadata_tags(self.metadata, &full_name);
                    if let Some(Json::Array(own)) = f.custom_attributes.get("confluent:tags") {
                        tags.extend(own.iter().filter_map(Json::as_str).map(str::to_string));
                    }
                    fields.push(Field {
                        name: f.name.clone(),
                        full_name,
                        tags,
                        node: self.node(&f.schema),
                        proto: None,
                    });
                }
                self.records[index].fields = fields;
                Node::Record(index)
            }
            Avro::Ref { name } => {
                let full = name.fullname(None);
                match (self.by_name.get(&full), self.named_leaves.get(&full)) {
                    (Some(i), _) => Node::Record(*i),
                    (None, Some(t)) => Node::Leaf(*t),
                    // apache-avro resolves every reference when parsing: not reached.
                    (None, None) => Node::Leaf(T::Null),
                }
            }
        }
    }
}

/// The tags `metadata.tags` gives `full_name` (`RuleContext.get_tags`).
pub(super) fn metadata_tags(metadata: Option<&Metadata>, full_name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(m) = metadata {
        for (path, tags) in &m.tags {
            if wildcard_match(full_name, path) {
                out.extend(tags.iter().cloned());
            }
        }
    }
    out
}
