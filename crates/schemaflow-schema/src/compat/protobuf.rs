//! Protobuf compatibility: the registry's schema-diff rules.
//!
//! Two `.proto` files are compared as an **original** and an **update**; every difference is
//! named by one of the registry's difference types and is either compatible or not (see
//! [`RULES`](super::RULES)). Fields are matched by number, message and enum types by their
//! name relative to the package (so a package rename shows as one `PACKAGE_CHANGED`), oneofs
//! by name; synthetic oneofs (proto3 `optional`) and map-entry messages are not types of their
//! own (a map field's key and value are compared through its entry).
//!
//! ## Direction
//!
//! The registry checks Protobuf with the same diff in both directions: `BACKWARD` diffs
//! original = previous version, update = candidate; `FORWARD` diffs original = candidate,
//! update = previous version (the previous schema is then the one that must read). So a
//! message that the candidate adds is `MESSAGE_ADDED` (compatible) backward but
//! `MESSAGE_REMOVED` (incompatible: the previous schema's readers lack it) forward, and
//! `FULL` fails on it. Our reading of the documented behaviour:
//!
//! * `MESSAGE_MOVED`: a type keeps its name but its index path in the file changes
//!   (reordered or nested differently); compatible (the registry resolves message indexes by
//!   name).
//! * label changes: singular↔repeated is `FIELD_STRING_OR_BYTES_LABEL_CHANGED` (compatible)
//!   for string, bytes and message fields (length-delimited on the wire, as the protobuf
//!   guide allows), `FIELD_NUMERIC_LABEL_CHANGED` otherwise; becoming or ceasing to be proto2
//!   `required` is `REQUIRED_FIELD_ADDED` / `REQUIRED_FIELD_REMOVED`.
//! * scalar changes within {int32, int64, uint32, uint64, bool, enum}, {sint32, sint64},
//!   {string, bytes}, {fixed32, sfixed32}, {fixed64, sfixed64} are no difference; other
//!   scalar (or enum↔scalar) changes are `FIELD_SCALAR_KIND_CHANGED`; scalar/enum↔message is
//!   `FIELD_KIND_CHANGED`; a message or enum field changing to another named type is
//!   `FIELD_NAMED_TYPE_CHANGED`.
//! * oneofs: a field leaving a oneof is `ONEOF_FIELD_MOVED_TO_TOP_LEVEL` (compatible); a
//!   single field moving into a new oneof is compatible, several into the same new oneof are
//!   `MULTIPLE_FIELDS_MOVED_TO_ONEOF`, any into a oneof that existed is
//!   `FIELD_MOVED_TO_EXISTING_ONEOF`; removing a oneof's field is `ONEOF_FIELD_REMOVED`.
//! * only the types of the file itself are compared, not those of its imports (a field's
//!   imported type is compared by full name).
//!
//! ## Input forms
//!
//! Schema text is `.proto` source, or a base64-encoded serialized `FileDescriptorProto` (what
//! Confluent's Python client registers): text that does not parse as `.proto` but decodes as
//! base64 to a descriptor is used as one. Imports resolve from the input's references, then
//! `google/protobuf/*` (protox) and `google/type/*` (embedded).

use std::collections::HashMap;

use prost_reflect::{
    Cardinality, DescriptorPool, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind,
    MessageDescriptor,
};
use protox::file::File;

use super::difference::Difference;
use super::input::SchemaInput;
use crate::error::{Error, Result};

/// Whether an import is one registries resolve themselves (`google/protobuf/*`,
/// `google/type/*`, `confluent/meta.proto`, `confluent/type/decimal.proto`): never a reference.
pub fn is_well_known_import(import: &str) -> bool {
    crate::protobuf::bundled::is_bundled(import)
}

/// The import paths a `.proto` file (source or base64 descriptor) declares, in order.
pub fn imports_of(name: &str, text: &str) -> Result<Vec<String>> {
    file_from_text(name, text)
        .map(|f| f.file_descriptor_proto().dependency.clone())
        .map_err(|e| Error::ParseProtobufSchema {
            name: name.to_string(),
            reason: e.to_string(),
        })
}

/// A parsed `.proto` file with its imports.
#[derive(Debug, Clone)]
pub struct ProtoCompatSchema {
    file: FileDescriptor,
}

const MAIN: &str = "schemaflow/input.proto";

pub(crate) use crate::protobuf::file_from_text;

impl ProtoCompatSchema {
    /// Parse the input (source or base64 descriptor) with its references.
    pub fn parse(input: &SchemaInput) -> Result<Self> {
        let err = |reason: String| Error::ParseProtobufSchema {
            name: input.label.clone(),
            reason: reason.replace(MAIN, &input.label),
        };
        let files: HashMap<String, String> = input.references.iter().cloned().collect();
        // The source is parsed once here; the compiler gets this parsed file back.
        let (main_name, main_descriptor) = match File::from_source(MAIN, &input.text) {
            Ok(parsed) => (MAIN.to_string(), Some(parsed)),
            Err(source_err) => match crate::protobuf::decode_descriptor(&input.text) {
                Some(mut fdp) => {
                    let name = match fdp.name.as_deref() {
                        Some(n) if !n.is_empty() => n.to_string(),
                        _ => MAIN.to_string(),
                    };
                    fdp.name = Some(name.clone());
                    (name, Some(File::from_file_descriptor_proto(fdp)))
                }
                None => return Err(err(source_err.to_string())),
            },
        };
        let pool: DescriptorPool = crate::protobuf::compile(&main_name, main_descriptor, files)
            .map_err(|e| err(e.to_string()))?;
        let file = pool
            .get_file_by_name(&main_name)
            .ok_or_else(|| err("the file is missing from its own descriptor pool".into()))?;
        Ok(ProtoCompatSchema { file })
    }

    /// The file's descriptor.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }
}

/// Every difference from `original` to `update`.
pub fn differences(original: &ProtoCompatSchema, update: &ProtoCompatSchema) -> Vec<Difference> {
    let mut d = Diff {
        o: original,
        u: update,
        out: Vec::new(),
    };
    d.file();
    d.out
}

struct Diff<'a> {
    o: &'a ProtoCompatSchema,
    u: &'a ProtoCompatSchema,
    out: Vec<Difference>,
}

/// Name relative to the package for types of `schema`'s own file, full name otherwise.
fn type_key(full_name: &str, file: &FileDescriptor, schema: &ProtoCompatSchema) -> String {
    let pkg = schema.file.package_name();
    if file.name() == schema.file.name() && !pkg.is_empty() {
        if let Some(rest) = full_name
            .strip_prefix(pkg)
            .and_then(|r| r.strip_prefix('.'))
        {
            return rest.to_string();
        }
    }
    full_name.to_string()
}

type Types<T> = Vec<(String, Vec<usize>, T)>;

fn collect_messages(
    m: MessageDescriptor,
    index: Vec<usize>,
    s: &ProtoCompatSchema,
    msgs: &mut Types<MessageDescriptor>,
    enums: &mut Types<EnumDescriptor>,
) {
    for (i, e) in m.child_enums().enumerate() {
        let mut idx = index.clone();
        idx.push(i);
        enums.push((type_key(e.full_name(), &s.file, s), idx, e));
    }
    for (i, child) in m.child_messages().enumerate() {
        if child.is_map_entry() {
            continue;
        }
        let mut idx = index.clone();
        idx.push(i);
        collect_messages(child, idx, s, msgs, enums);
    }
    msgs.push((type_key(m.full_name(), &s.file, s), index, m));
}

fn types(s: &ProtoCompatSchema) -> (Types<MessageDescriptor>, Types<EnumDescriptor>) {
    let (mut msgs, mut enums) = (Vec::new(), Vec::new());
    for (i, e) in s.file.enums().enumerate() {
        enums.push((type_key(e.full_name(), &s.file, s), vec![i], e));
    }
    for (i, m) in s.file.messages().enumerate() {
        collect_messages(m, vec![i], s, &mut msgs, &mut enums);
    }
    (msgs, enums)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum ScalarGroup {
    Varint,
    Zigzag,
    Length,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

fn scalar_group(k: &Kind) -> Option<ScalarGroup> {
    Some(match k {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => {
            ScalarGroup::Varint
        }
        Kind::Sint32 | Kind::Sint64 => ScalarGroup::Zigzag,
        Kind::String | Kind::Bytes => ScalarGroup::Length,
        Kind::Fixed32 | Kind::Sfixed32 => ScalarGroup::Fixed32,
        Kind::Fixed64 | Kind::Sfixed64 => ScalarGroup::Fixed64,
        Kind::Float => ScalarGroup::Float,
        Kind::Double => ScalarGroup::Double,
        Kind::Message(_) => return None,
    })
}

fn kind_name(k: &Kind) -> String {
    match k {
        Kind::Message(m) => format!("message {}", m.full_name()),
        Kind::Enum(e) => format!("enum {}", e.full_name()),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn real_oneof(f: &FieldDescriptor) -> Option<prost_reflect::OneofDescriptor> {
    f.containing_oneof().filter(|o| !o.is_synthetic())
}

fn has_oneof(m: &MessageDescriptor, name: &str) -> bool {
    m.oneofs().any(|o| !o.is_synthetic() && o.name() == name)
}

impl Diff<'_> {
    fn push(&mut self, rule: &'static str, path: impl Into<String>, message: String) {
        self.out.push(Difference {
            rule,
            path: path.into(),
            message,
        });
    }

    fn file(&mut self) {
        let (op, up) = (self.o.file.package_name(), self.u.file.package_name());
        if op != up {
            self.push(
                "PACKAGE_CHANGED",
                if up.is_empty() { "(package)" } else { up }.to_string(),
                format!(
                    "the package changed from '{op}' to '{up}'; message full names change with it, so keep the package (or use a new subject)"
                ),
            );
        }
        let (omsgs, oenums) = types(self.o);
        let (umsgs, uenums) = types(self.u);
        for (key, oidx, om) in &omsgs {
            match umsgs.iter().find(|(k, _, _)| k == key) {
                Some((_, uidx, um)) => {
                    if oidx != uidx {
                        self.push(
                            "MESSAGE_MOVED",
                            um.full_name().to_string(),
                            format!(
                                "message {} moved from index path {oidx:?} to {uidx:?} in the file",
                                um.full_name()
                            ),
                        );
                    }
                    self.message(om, um);
                }
                None => self.push(
                    "MESSAGE_REMOVED",
                    om.full_name().to_string(),
                    format!(
                        "message {} is no longer defined, but data written with it may still be read; keep the message (it can be left unused)",
                        om.full_name()
                    ),
                ),
            }
        }
        for (key, _, um) in &umsgs {
            if !omsgs.iter().any(|(k, _, _)| k == key) {
                self.push(
                    "MESSAGE_ADDED",
                    um.full_name().to_string(),
                    format!("message {} was added", um.full_name()),
                );
            }
        }
        for (key, _, oe) in &oenums {
            match uenums.iter().find(|(k, _, _)| k == key) {
                Some((_, _, ue)) => self.enum_values(oe, ue),
                None => self.push(
                    "ENUM_REMOVED",
                    oe.full_name().to_string(),
                    format!("enum {} was removed", oe.full_name()),
                ),
            }
        }
        for (key, _, ue) in &uenums {
            if !oenums.iter().any(|(k, _, _)| k == key) {
                self.push(
                    "ENUM_ADDED",
                    ue.full_name().to_string(),
                    format!("enum {} was added", ue.full_name()),
                );
            }
        }
    }

    fn enum_values(&mut self, oe: &EnumDescriptor, ue: &EnumDescriptor) {
        for ov in oe.values() {
            match ue.get_value(ov.number()) {
                Some(uv) if uv.name() != ov.name() => self.push(
                    "ENUM_CONST_CHANGED",
                    uv.full_name().to_string(),
                    format!(
                        "enum value {} of {} was renamed from {} to {}",
                        ov.number(),
                        ue.full_name(),
                        ov.name(),
                        uv.name()
                    ),
                ),
                Some(_) => {}
                None => self.push(
                    "ENUM_CONST_REMOVED",
                    ov.full_name().to_string(),
                    format!("enum value {} ({}) was removed", ov.name(), ov.number()),
                ),
            }
        }
        for uv in ue.values() {
            if oe.get_value(uv.number()).is_none() {
                self.push(
                    "ENUM_CONST_ADDED",
                    uv.full_name().to_string(),
                    format!("enum value {} ({}) was added", uv.name(), uv.number()),
                );
            }
        }
    }

    fn message(&mut self, om: &MessageDescriptor, um: &MessageDescriptor) {
        for oo in om.oneofs().filter(|o| !o.is_synthetic()) {
            if !has_oneof(um, oo.name()) {
                self.push(
                    "ONEOF_REMOVED",
                    oo.full_name().to_string(),
                    format!("oneof {} was removed", oo.full_name()),
                );
            }
        }
        for uo in um.oneofs().filter(|o| !o.is_synthetic()) {
            if !has_oneof(om, uo.name()) {
                self.push(
                    "ONEOF_ADDED",
                    uo.full_name().to_string(),
                    format!("oneof {} was added", uo.full_name()),
                );
            }
        }
        for of in om.fields() {
            match um.get_field(of.number()) {
                Some(uf) => self.field(om, um, &of, &uf),
                None => {
                    let (rule, what) = if real_oneof(&of).is_some() {
                        ("ONEOF_FIELD_REMOVED", "oneof field")
                    } else if of.cardinality() == Cardinality::Required {
                        ("REQUIRED_FIELD_REMOVED", "required field")
                    } else {
                        ("FIELD_REMOVED", "field")
                    };
                    let advice = if rule == "FIELD_REMOVED" {
                        "; reserve its number so it is not reused".to_string()
                    } else {
                        format!(
                            "; readers rely on it, so keep field {} = {}",
                            of.name(),
                            of.number()
                        )
                    };
                    self.push(
                        rule,
                        of.full_name().to_string(),
                        format!(
                            "{what} {} (number {}) was removed{advice}",
                            of.full_name(),
                            of.number()
                        ),
                    )
                }
            }
        }
        for uf in um.fields() {
            if om.get_field(uf.number()).is_some() {
                continue;
            }
            let (rule, msg) = if uf.cardinality() == Cardinality::Required {
                (
                    "REQUIRED_FIELD_ADDED",
                    format!(
                        "required field {} (number {}) was added; data written without it cannot be read, so make it optional",
                        uf.full_name(),
                        uf.number()
                    ),
                )
            } else if real_oneof(&uf).is_some() {
                (
                    "ONEOF_FIELD_ADDED",
                    format!(
                        "oneof field {} (number {}) was added",
                        uf.full_name(),
                        uf.number()
                    ),
                )
            } else {
                (
                    "FIELD_ADDED",
                    format!(
                        "field {} (number {}) was added",
                        uf.full_name(),
                        uf.number()
                    ),
                )
            };
            self.push(rule, uf.full_name().to_string(), msg);
        }
    }

    fn field(
        &mut self,
        om: &MessageDescriptor,
        um: &MessageDescriptor,
        of: &FieldDescriptor,
        uf: &FieldDescriptor,
    ) {
        let path = uf.full_name().to_string();
        let num = of.number();
        if of.name() != uf.name() {
            self.push(
                "FIELD_NAME_CHANGED",
                path.clone(),
                format!(
                    "field number {num} was renamed from {} to {}",
                    of.name(),
                    uf.name()
                ),
            );
        }
        self.field_type(of, uf, &path);

        // Labels.
        let (oreq, ureq) = (
            of.cardinality() == Cardinality::Required,
            uf.cardinality() == Cardinality::Required,
        );
        if oreq && !ureq {
            self.push(
                "REQUIRED_FIELD_REMOVED",
                path.clone(),
                format!("field {path} (number {num}) is no longer required; readers of the other version require it, so keep it required"),
            );
        } else if !oreq && ureq {
            self.push(
                "REQUIRED_FIELD_ADDED",
                path.clone(),
                format!("field {path} (number {num}) became required; data written without it cannot be read, so keep it optional"),
            );
        }
        let (orep, urep) = (
            of.cardinality() == Cardinality::Repeated,
            uf.cardinality() == Cardinality::Repeated,
        );
        if orep != urep {
            let from_to = if orep {
                "repeated to singular"
            } else {
                "singular to repeated"
            };
            let length_delimited = matches!(
                (of.kind(), uf.kind()),
                (
                    Kind::String | Kind::Bytes | Kind::Message(_),
                    Kind::String | Kind::Bytes | Kind::Message(_)
                )
            );
            if length_delimited {
                self.push(
                    "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
                    path.clone(),
                    format!("field {path} (number {num}) changed from {from_to}"),
                );
            } else {
                self.push(
                    "FIELD_NUMERIC_LABEL_CHANGED",
                    path.clone(),
                    format!("numeric field {path} (number {num}) changed from {from_to}; packed and unpacked encodings differ, so keep the label or add a new field"),
                );
            }
        }

        // Oneof membership.
        match (real_oneof(of), real_oneof(uf)) {
            (Some(oo), None) => self.push(
                "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
                path.clone(),
                format!(
                    "field {path} (number {num}) moved out of oneof {}",
                    oo.name()
                ),
            ),
            (oo, Some(uo)) if oo.as_ref().map(|o| o.name()) != Some(uo.name()) => {
                if has_oneof(om, uo.name()) {
                    self.push(
                        "FIELD_MOVED_TO_EXISTING_ONEOF",
                        path.clone(),
                        format!("field {path} (number {num}) moved into the existing oneof {}; setting another member now clears it, so add a new field instead", uo.name()),
                    );
                } else if oo.is_none() {
                    let moved: Vec<FieldDescriptor> = uo
                        .fields()
                        .filter(|f| {
                            om.get_field(f.number())
                                .is_some_and(|o| real_oneof(&o).is_none())
                        })
                        .collect();
                    if moved.len() > 1 && moved[0].number() == uf.number() {
                        let names: Vec<&str> = moved.iter().map(|f| f.name()).collect();
                        self.push(
                            "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                            uo.full_name().to_string(),
                            format!(
                                "the existing fields [{}] of {} moved into the new oneof {}; data setting more than one of them would lose values, so move at most one",
                                names.join(", "),
                                um.full_name(),
                                uo.name()
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn field_type(&mut self, of: &FieldDescriptor, uf: &FieldDescriptor, path: &str) {
        let (ok, uk) = (of.kind(), uf.kind());
        let num = of.number();
        match (&ok, &uk) {
            (Kind::Message(om), Kind::Message(um)) => {
                if om.is_map_entry() && um.is_map_entry() {
                    self.message(om, um);
                } else if type_key(om.full_name(), &om.parent_file(), self.o)
                    != type_key(um.full_name(), &um.parent_file(), self.u)
                {
                    self.push(
                        "FIELD_NAMED_TYPE_CHANGED",
                        path.to_string(),
                        format!(
                            "field {path} (number {num}) changed type from {} to {}; add a new field instead",
                            om.full_name(),
                            um.full_name()
                        ),
                    );
                }
            }
            (Kind::Enum(oe), Kind::Enum(ue)) => {
                if type_key(oe.full_name(), &oe.parent_file(), self.o)
                    != type_key(ue.full_name(), &ue.parent_file(), self.u)
                {
                    self.push(
                        "FIELD_NAMED_TYPE_CHANGED",
                        path.to_string(),
                        format!(
                            "field {path} (number {num}) changed type from enum {} to enum {}; add a new field instead",
                            oe.full_name(),
                            ue.full_name()
                        ),
                    );
                }
            }
            (Kind::Message(_), _) | (_, Kind::Message(_)) => self.push(
                "FIELD_KIND_CHANGED",
                path.to_string(),
                format!(
                    "field {path} (number {num}) changed from {} to {}; add a new field instead",
                    kind_name(&ok),
                    kind_name(&uk)
                ),
            ),
            _ => {
                if scalar_group(&ok) != scalar_group(&uk) {
                    self.push(
                        "FIELD_SCALAR_KIND_CHANGED",
                        path.to_string(),
                        format!(
                            "field {path} (number {num}) changed from {} to {}, which is not wire-compatible; add a new field instead",
                            kind_name(&ok),
                            kind_name(&uk)
                        ),
                    );
                }
            }
        }
    }
}
