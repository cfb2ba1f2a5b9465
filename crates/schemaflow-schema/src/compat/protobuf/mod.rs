//! Protobuf compatibility: Confluent Schema Registry's schema diff, rule for rule.
//!
//! Two `.proto` files are compared as an **original** and an **update**; every difference is
//! named by one of the registry's difference types and is either compatible or not (see
//! [`Rule`]). The walk follows Confluent's `SchemaDiff`, `MessageSchemaDiff`,
//! `FieldSchemaDiff` and `Context` (confluentinc/schema-registry,
//! `protobuf-provider/src/main/java/io/confluent/kafka/schemaregistry/protobuf/diff/`), and the
//! fixtures follow the expected change lists of its tests
//! (`protobuf-provider/src/test/java/.../protobuf/diff/SchemaDiffTest.java`,
//! `checkProtobufSchemaCompatibility`, over
//! `protobuf-provider/src/test/resources/diff-schema-examples.json`).
//!
//! ## How names are matched
//!
//! * **Declared types** (the file's top-level messages and enums, and the types each message
//!   nests) are matched by their **simple name within the enclosing scope**
//!   (`SchemaDiff.compareTypeElements`). A package rename is therefore one `PACKAGE_CHANGED`
//!   (incompatible, as upstream's "Detect package change" at commit
//!   1b51f24596e6dad2b21cb7917a224ac17f9c2f2c), not a removal of every message. A
//!   message whose position among its sibling messages changes is `MESSAGE_MOVED`
//!   (compatible); map entries are not types and take no position.
//! * **A field's message type** is matched by its **name relative to the package of the file
//!   that defines it** (`FieldSchemaDiff.compareMessageTypes`): the full name protox resolved,
//!   minus that file's package. `shop.common.Money` from an import and `shop.v1.Money` declared
//!   in the file are both `Money`; different relative names are `FIELD_NAMED_TYPE_CHANGED`.
//! * With equal relative names, the two **definitions are compared too** unless both are
//!   declared in the compared files (the declared-type walk covers them) or both come from the
//!   same import with identical content (upstream skips the same subject-version). So a
//!   message moved between an import and the file, imported under another package, or whose
//!   import changed, is compared field by field: its differences are reported at its own paths
//!   and, when one is incompatible, the field is `FIELD_NAMED_TYPE_CHANGED` as well (upstream:
//!   "Detect incompatible import change", "Detect import change with different remote package
//!   name", "Detect moving from import").
//! * Recursion ends as upstream's `Context.enterSchema` does it: a message whose fields are
//!   being compared further up the stack is not compared again (its nested types still are).
//! * **Enums are scalars** (`FieldSchemaDiff.kind`): an enum field may become `int32` or
//!   another enum without a difference, and an imported enum is not compared (every enum
//!   change is compatible anyway).
//!
//! ## Fields and oneofs
//!
//! Fields are matched by number across the whole message, whatever oneof holds them
//! (the oneof rules are below). Scalars may change within
//! {int32, int64, uint32, uint64, bool, enum}, {sint32, sint64}, {string, bytes},
//! {fixed32, sfixed32}, {fixed64, sfixed64}; other scalar changes are
//! `FIELD_SCALAR_KIND_CHANGED`, scalar ↔ map ↔ message `FIELD_KIND_CHANGED`. A scalar field
//! changing between singular and repeated is `FIELD_STRING_OR_BYTES_LABEL_CHANGED`
//! (compatible) for string and bytes, `FIELD_NUMERIC_LABEL_CHANGED` otherwise; a message
//! field's label is not compared. Becoming or ceasing to be proto2 `required` is
//! `REQUIRED_FIELD_ADDED` / `REQUIRED_FIELD_REMOVED` (our reading; upstream only reports those
//! for added and removed fields). Synthetic oneofs (proto3 `optional`) are labels, not oneofs.
//!
//! Oneofs are matched by the fields they hold (`MessageSchemaDiff` since
//! confluentinc/schema-registry#4385, "Detect incompatible oneof field changes hidden by oneof
//! rename/removal", and its follow-up). Each member of an update oneof is traced to where it
//! was: an original oneof (one group per oneof), a top-level field (a group of its own), or
//! nowhere (a new field, no group). When the members come from more than one group, fields
//! that were independent became mutually exclusive: `MULTIPLE_FIELDS_MOVED_TO_ONEOF` when two
//! or more were top-level fields, `FIELD_MOVED_TO_EXISTING_ONEOF` otherwise (a field joining an
//! old oneof's members, renamed or not; two oneofs merged), both at the oneof's path. Beside
//! them, oneofs are added and removed by name (`ONEOF_ADDED` / `ONEOF_REMOVED`, compatible), so
//! a renamed oneof with the same members is just those two. A field leaving a oneof for the top
//! level is `ONEOF_FIELD_MOVED_TO_TOP_LEVEL` (compatible); a oneof member gone from the message
//! is `ONEOF_FIELD_REMOVED`, unless its whole oneof was deleted with all its members (one
//! compatible `ONEOF_REMOVED`).
//!
//! ## Direction
//!
//! The registry checks Protobuf with the same diff in both directions: `BACKWARD` diffs
//! original = previous version, update = candidate; `FORWARD` diffs original = candidate,
//! update = previous version (the previous schema is then the one that must read). So a
//! message that the candidate adds is `MESSAGE_ADDED` (compatible) backward but
//! `MESSAGE_REMOVED` (incompatible: the previous schema's readers lack it) forward, and
//! `FULL` fails on it.
//!
//! ## Input forms
//!
//! Schema text is `.proto` source, or a base64-encoded serialized `FileDescriptorProto` (what
//! Confluent's Python client registers): text that does not parse as `.proto` but decodes as
//! base64 to a descriptor is used as one. Imports resolve from the input's references, then
//! `google/protobuf/*` (protox) and `google/type/*` (embedded). Whatever protoc rejects (field
//! number 0, duplicate numbers, unresolved names) is a parse error, never a difference.

mod enums;
mod field;
mod message;
mod oneof;
mod schema;
mod types;

use std::collections::{HashMap, HashSet};

pub use schema::{imports_of, is_well_known_import, ProtoCompatSchema};

use super::difference::Difference;
use super::rules::Rule;
use types::Scope;

/// Every difference from `original` to `update`, each `(rule, path)` once.
pub fn differences(original: &ProtoCompatSchema, update: &ProtoCompatSchema) -> Vec<Difference> {
    let d = diff(original, update);
    // A difference reached along several paths (nested walks of a referenced message) is
    // reported once.
    let mut seen = HashSet::new();
    d.out
        .into_iter()
        .filter(|x| seen.insert((x.rule, x.path.clone())))
        .collect()
}

/// How many times [`differences`] compares the fields of two messages: the measure of its
/// cost. Each pair of definitions is compared once, so this grows with the number of
/// definitions, not with the number of paths to them; tests assert that here rather than
/// with a clock.
pub fn field_comparisons(original: &ProtoCompatSchema, update: &ProtoCompatSchema) -> usize {
    diff(original, update).field_comparisons
}

/// The whole walk from the file down.
fn diff<'a>(original: &'a ProtoCompatSchema, update: &'a ProtoCompatSchema) -> Diff<'a> {
    let mut d = Diff {
        o: original,
        u: update,
        out: Vec::new(),
        visiting: HashSet::new(),
        compared: HashMap::new(),
        field_comparisons: 0,
    };
    d.file();
    d
}

/// One comparison in progress: the two files, the differences so far, the original messages
/// whose fields are being compared (upstream's `Context.schemas`), and the referenced
/// definitions already compared with whether they differed incompatibly, and how many
/// message pairs had their fields compared.
struct Diff<'a> {
    o: &'a ProtoCompatSchema,
    u: &'a ProtoCompatSchema,
    out: Vec<Difference>,
    visiting: HashSet<String>,
    compared: HashMap<(String, String), bool>,
    field_comparisons: usize,
}

impl Diff<'_> {
    fn push(&mut self, rule: Rule, path: impl Into<String>, message: String) {
        self.out.push(Difference {
            rule,
            path: path.into(),
            message,
        });
    }

    /// The package, then the file's own types.
    fn file(&mut self) {
        let (op, up) = (self.o.file.package_name(), self.u.file.package_name());
        if op != up {
            self.push(
                Rule::PackageChanged,
                if up.is_empty() { "(package)" } else { up }.to_string(),
                format!(
                    "the package changed from '{op}' to '{up}': every message's full name changes with it, so readers that look types up by full name break; register it under a new subject"
                ),
            );
        }
        let (o, u) = (Scope::of_file(&self.o.file), Scope::of_file(&self.u.file));
        self.scopes(&o, &u);
    }
}
