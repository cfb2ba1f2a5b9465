//! One field present in both messages (same number): its name, label and type, as
//! Confluent's `FieldSchemaDiff` compares them.
//!
//! Types are first sorted into kinds: **scalar** (every scalar, and enums: an enum is a varint
//! on the wire), **map**, **message**. Different kinds are `FIELD_KIND_CHANGED`. Scalars of
//! different wire groups are `FIELD_SCALAR_KIND_CHANGED`; maps compare their key and value
//! types; messages are matched by name relative to their package ([`super::types`]) and, when
//! the two definitions can differ (an import is involved), compared field by field.

use prost_reflect::{Cardinality, FieldDescriptor, Kind, MessageDescriptor};

use super::types::{local_name, same_definition};
use super::Diff;
use crate::compat::rules::Rule;

/// The scalar groups within which a type may change (protobuf's "updating a message type"
/// guide; `FieldSchemaDiff.scalarKind`).
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
enum ScalarGroup {
    Varint,
    Zigzag,
    Length,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

/// A type's kind in `FieldSchemaDiff`'s sense.
enum Shape {
    Scalar(ScalarGroup),
    Map(MessageDescriptor),
    Message(MessageDescriptor),
}

fn shape(k: &Kind) -> Shape {
    Shape::Scalar(match k {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => {
            ScalarGroup::Varint
        }
        Kind::Sint32 | Kind::Sint64 => ScalarGroup::Zigzag,
        Kind::String | Kind::Bytes => ScalarGroup::Length,
        Kind::Fixed32 | Kind::Sfixed32 => ScalarGroup::Fixed32,
        Kind::Fixed64 | Kind::Sfixed64 => ScalarGroup::Fixed64,
        Kind::Float => ScalarGroup::Float,
        Kind::Double => ScalarGroup::Double,
        Kind::Message(m) if m.is_map_entry() => return Shape::Map(m.clone()),
        Kind::Message(m) => return Shape::Message(m.clone()),
    })
}

fn kind_name(k: &Kind) -> String {
    match k {
        Kind::Message(m) if m.is_map_entry() => "map".to_string(),
        Kind::Message(m) => format!("message {}", m.full_name()),
        Kind::Enum(e) => format!("enum {}", e.full_name()),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Where a compared type sits, for messages: the field's full name and number.
struct At<'p> {
    path: &'p str,
    num: u32,
}

impl Diff<'_> {
    /// Name, required-ness, and label and type of a field both messages have.
    pub(super) fn field(&mut self, of: &FieldDescriptor, uf: &FieldDescriptor) {
        let path = uf.full_name().to_string();
        let num = of.number();
        if of.name() != uf.name() {
            self.push(
                Rule::FieldNameChanged,
                path.as_str(),
                format!(
                    "field number {num} was renamed from {} to {}",
                    of.name(),
                    uf.name()
                ),
            );
        }
        // proto2 `required` is reported as its own change (our reading: Confluent's diff has
        // the ids, and a reader requiring a field the writer may omit fails to parse).
        let (oreq, ureq) = (
            of.cardinality() == Cardinality::Required,
            uf.cardinality() == Cardinality::Required,
        );
        if oreq && !ureq {
            self.push(
                Rule::RequiredFieldRemoved,
                path.as_str(),
                format!("field {path} (number {num}) is no longer required; readers of the other version require it, so keep it required"),
            );
        } else if !oreq && ureq {
            self.push(
                Rule::RequiredFieldAdded,
                path.as_str(),
                format!("field {path} (number {num}) became required; data written without it cannot be read, so keep it optional"),
            );
        }
        let labels = (
            of.cardinality() == Cardinality::Repeated,
            uf.cardinality() == Cardinality::Repeated,
        );
        self.types(
            &At { path: &path, num },
            &of.kind(),
            &uf.kind(),
            Some(labels),
        );
    }

    /// `compareLabelsAndTypes`: `repeated` is `(original, update)` for a field, `None` for a
    /// map's key or value (which have no label).
    fn types(&mut self, at: &At<'_>, ok: &Kind, uk: &Kind, repeated: Option<(bool, bool)>) {
        let (path, num) = (at.path, at.num);
        match (shape(ok), shape(uk)) {
            (Shape::Scalar(og), Shape::Scalar(ug)) => {
                if og != ug {
                    self.push(
                        Rule::FieldScalarKindChanged,
                        path,
                        format!(
                            "field {path} (number {num}) changed from {} to {}, which is not wire-compatible; add a new field instead",
                            kind_name(ok),
                            kind_name(uk)
                        ),
                    );
                } else if let Some((orep, _)) = repeated.filter(|(o, u)| o != u) {
                    self.label(path, num, og, orep);
                }
            }
            (Shape::Map(om), Shape::Map(um)) => {
                for (of, uf) in [
                    (om.map_entry_key_field(), um.map_entry_key_field()),
                    (om.map_entry_value_field(), um.map_entry_value_field()),
                ] {
                    self.types(at, &of.kind(), &uf.kind(), None);
                }
            }
            (Shape::Message(om), Shape::Message(um)) => self.message_types(at, &om, &um),
            _ => self.push(
                Rule::FieldKindChanged,
                path,
                format!(
                    "field {path} (number {num}) changed from {} to {}; add a new field instead",
                    kind_name(ok),
                    kind_name(uk)
                ),
            ),
        }
    }

    /// A scalar field changed between singular and repeated. Message fields have no label
    /// difference (upstream: "Detect compatible field label change for message").
    fn label(&mut self, path: &str, num: u32, group: ScalarGroup, was_repeated: bool) {
        let from_to = if was_repeated {
            "repeated to singular"
        } else {
            "singular to repeated"
        };
        if group == ScalarGroup::Length {
            self.push(
                Rule::FieldStringOrBytesLabelChanged,
                path,
                format!("field {path} (number {num}) changed from {from_to}"),
            );
        } else {
            self.push(
                Rule::FieldNumericLabelChanged,
                path,
                format!("numeric field {path} (number {num}) changed from {from_to}; packed and unpacked encodings differ, so keep the label or add a new field"),
            );
        }
    }

    /// `compareMessageTypes`: same name relative to the package, then the definitions
    /// themselves when they may differ. Their differences are reported (at the referenced
    /// message's own paths), and an incompatible one makes the field's type change too.
    fn message_types(&mut self, at: &At<'_>, om: &MessageDescriptor, um: &MessageDescriptor) {
        let (path, num) = (at.path, at.num);
        let (ofile, ufile) = (om.parent_file(), um.parent_file());
        let (oname, uname) = (
            local_name(om.full_name(), &ofile),
            local_name(um.full_name(), &ufile),
        );
        if oname != uname {
            self.push(
                Rule::FieldNamedTypeChanged,
                path,
                format!(
                    "field {path} (number {num}) changed type from {} to {}; add a new field instead",
                    om.full_name(),
                    um.full_name()
                ),
            );
            return;
        }
        if same_definition(&ofile, &self.o.file, &ufile, &self.u.file) {
            return;
        }
        // Each pair of definitions is compared once: its differences are reported once, and
        // later fields naming it reuse the verdict, so types referenced from many places (or
        // chains of them) cost linear, not exponential, time.
        let key = (om.full_name().to_string(), um.full_name().to_string());
        let incompatible = match self.compared.get(&key) {
            Some(&known) => known,
            None => {
                let start = self.out.len();
                self.message(om, um);
                let found = self.out[start..].iter().any(|d| !d.rule.compatible());
                // A message already being compared further up is cut short (its fields are
                // judged there); only a full comparison is a verdict to reuse.
                if !self.visiting.contains(om.full_name()) {
                    self.compared.insert(key, found);
                }
                found
            }
        };
        if incompatible {
            self.push(
                Rule::FieldNamedTypeChanged,
                path,
                format!(
                    "field {path} (number {num}) has type {} (from {}), whose definition changed incompatibly from {} (from {}); keep the referenced message compatible or add a new field",
                    um.full_name(),
                    ufile.name(),
                    om.full_name(),
                    ofile.name()
                ),
            );
        }
    }
}
