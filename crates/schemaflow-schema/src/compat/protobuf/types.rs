//! How named types are found and matched, as Confluent's `Context` and
//! `SchemaDiff.compareTypeElements` do it.
//!
//! * The types a scope (the file, or a message) declares are matched by their **simple name**
//!   within that scope, so `shop.v1.Order` and `shop.v2.Order` are the same message of a file
//!   whose package changed.
//! * A field's message type is matched by its name **relative to the package of the file that
//!   defines it** (`FieldSchemaDiff.compareMessageTypes`: the resolved full name minus that
//!   file's package). `shop.common.Money` imported from one file and `shop.v1.Money` declared
//!   in the file itself are both `Money`: the same type, compared by content.
//! * protox has already resolved every type reference (relative names, leading dots, scoping)
//!   to a full name, which is what Confluent's `Context.resolve` computes from the text.

use prost_reflect::{EnumDescriptor, FileDescriptor, MessageDescriptor};

/// A type's name relative to the package of the file that defines it (`Order.Line` for
/// `shop.v1.Order.Line` in a file of package `shop.v1`); the full name when the file has no
/// package.
pub(super) fn local_name(full_name: &str, defined_in: &FileDescriptor) -> String {
    let pkg = defined_in.package_name();
    if pkg.is_empty() {
        return full_name.to_string();
    }
    full_name
        .strip_prefix(pkg)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full_name)
        .to_string()
}

/// Whether two same-named types referenced by a field need no comparison of their own:
/// both are declared in the compared files themselves (the file walk compares them), or both
/// come from the same import with identical content, its own imports included (Confluent skips
/// a direct reference to the same subject and version, which pins its imports too; identical
/// files are our equivalent).
///
/// Any other pair (a type moved between an import and the file, or imported from a file that
/// changed or has another path) is compared field by field.
pub(super) fn same_definition(
    original: &FileDescriptor,
    original_main: &FileDescriptor,
    update: &FileDescriptor,
    update_main: &FileDescriptor,
) -> bool {
    let original_is_main = original.name() == original_main.name();
    let update_is_main = update.name() == update_main.name();
    match (original_is_main, update_is_main) {
        (true, true) => true,
        (false, false) => identical_files(original, update),
        _ => false,
    }
}

/// Same path, same content, and the same for every file it imports.
fn identical_files(original: &FileDescriptor, update: &FileDescriptor) -> bool {
    // Imports form a DAG (protox rejects cycles), so the recursion ends.
    original.name() == update.name()
        && original.file_descriptor_proto() == update.file_descriptor_proto()
        && original
            .dependencies()
            .zip(update.dependencies())
            .all(|(o, u)| identical_files(&o, &u))
}

/// The named types one scope declares, as `compareTypeElements` lists them.
pub(super) struct Scope {
    /// `(simple name, index among the scope's messages, message)`; map entries are not
    /// types of their own (Confluent parses `map<K, V>` as a field type) and take no index.
    pub messages: Vec<(String, usize, MessageDescriptor)>,
    /// `(simple name, enum)`.
    pub enums: Vec<(String, EnumDescriptor)>,
}

impl Scope {
    fn new(
        messages: impl Iterator<Item = MessageDescriptor>,
        enums: impl Iterator<Item = EnumDescriptor>,
    ) -> Self {
        let messages = messages
            .filter(|m| !m.is_map_entry())
            .enumerate()
            .map(|(i, m)| (m.name().to_string(), i, m))
            .collect();
        let enums = enums.map(|e| (e.name().to_string(), e)).collect();
        Scope { messages, enums }
    }

    /// The top-level types of a file.
    pub fn of_file(file: &FileDescriptor) -> Self {
        Scope::new(file.messages(), file.enums())
    }

    /// The types nested in a message.
    pub fn of_message(message: &MessageDescriptor) -> Self {
        Scope::new(message.child_messages(), message.child_enums())
    }

    /// The message of this simple name.
    pub fn message(&self, name: &str) -> Option<&(String, usize, MessageDescriptor)> {
        self.messages.iter().find(|(n, _, _)| n == name)
    }

    /// The enum of this simple name.
    pub fn enum_named(&self, name: &str) -> Option<&EnumDescriptor> {
        self.enums.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }
}
