//! Oneofs, matched by the fields they hold rather than by their names (Confluent's
//! `MessageSchemaDiff`, as changed in 2026: "Detect incompatible oneof field changes hidden by
//! oneof rename/removal", confluentinc/schema-registry#4385, and its follow-up).
//!
//! A oneof makes its members mutually exclusive; data written when they were independent may
//! set several of them, and a reader of the new schema keeps only one. So what matters is
//! where each member of an update oneof **came from**: each original oneof is one group, each
//! original top-level field is a group of its own, brand-new fields belong to none (old data
//! never set them). A oneof whose old members come from more than one group joins fields that
//! were independent:
//!
//! * two or more of them top-level fields: `MULTIPLE_FIELDS_MOVED_TO_ONEOF`;
//! * otherwise (a top-level field joining an old oneof's members, renamed or not, or members
//!   of two old oneofs merged): `FIELD_MOVED_TO_EXISTING_ONEOF`.
//!
//! Renaming a oneof with the same members is one group: only the compatible `ONEOF_REMOVED` +
//! `ONEOF_ADDED` by name. A single top-level field moving into a new oneof is one group too.

use std::collections::{BTreeSet, HashMap, HashSet};

use prost_reflect::{FieldDescriptor, MessageDescriptor, OneofDescriptor};

use super::Diff;
use crate::compat::rules::Rule;

/// The field's oneof, unless it is the synthetic oneof of a proto3 `optional` field (which
/// Confluent's parser never sees: it is the field's label).
pub(super) fn real_oneof(f: &FieldDescriptor) -> Option<OneofDescriptor> {
    f.containing_oneof().filter(|o| !o.is_synthetic())
}

fn real_oneofs(m: &MessageDescriptor) -> impl Iterator<Item = OneofDescriptor> + '_ {
    m.oneofs().filter(|o| !o.is_synthetic())
}

/// Where a member of an update oneof was in the original message.
#[derive(PartialEq, Eq, Hash)]
enum Origin {
    Oneof(String),
    TopLevel(u32),
}

impl Diff<'_> {
    /// The oneof-level differences of two same-named messages. Returns the original oneofs
    /// that were deleted outright (gone by name, and none of their fields left anywhere), whose
    /// members are then not reported as removed one by one.
    pub(super) fn oneofs(
        &mut self,
        om: &MessageDescriptor,
        um: &MessageDescriptor,
    ) -> HashSet<String> {
        let original_oneof_of: HashMap<u32, String> = om
            .fields()
            .filter_map(|f| real_oneof(&f).map(|o| (f.number(), o.name().to_string())))
            .collect();
        let original_names: BTreeSet<String> =
            real_oneofs(om).map(|o| o.name().to_string()).collect();
        let update_names: BTreeSet<String> =
            real_oneofs(um).map(|o| o.name().to_string()).collect();

        let mut deleted = HashSet::new();
        for oo in real_oneofs(om) {
            if !update_names.contains(oo.name())
                && oo.fields().all(|f| um.get_field(f.number()).is_none())
            {
                deleted.insert(oo.name().to_string());
            }
        }

        for uo in real_oneofs(um) {
            let mut origins = HashSet::new();
            let mut top_level_moved_in = Vec::new();
            for f in uo.fields() {
                if let Some(name) = original_oneof_of.get(&f.number()) {
                    origins.insert(Origin::Oneof(name.clone()));
                } else if om.get_field(f.number()).is_some() {
                    origins.insert(Origin::TopLevel(f.number()));
                    top_level_moved_in.push(f.name().to_string());
                }
            }
            if origins.len() <= 1 {
                continue;
            }
            if top_level_moved_in.len() > 1 {
                self.push(
                    Rule::MultipleFieldsMovedToOneof,
                    uo.full_name(),
                    format!(
                        "the fields [{}] of {} were independent and are now members of oneof {}; data setting more than one of them would lose values, so move at most one existing field into a new oneof",
                        top_level_moved_in.join(", "),
                        um.full_name(),
                        uo.name()
                    ),
                );
            } else {
                self.push(
                    Rule::FieldMovedToExistingOneof,
                    uo.full_name(),
                    format!(
                        "oneof {} now holds fields that were independent before (an existing field joined members of an existing oneof, or two oneofs were merged); setting one member now clears the others, so add a new field instead",
                        uo.full_name()
                    ),
                );
            }
        }

        for name in original_names.difference(&update_names) {
            self.push(
                Rule::OneofRemoved,
                format!("{}.{name}", om.full_name()),
                format!("oneof {name} of {} was removed", om.full_name()),
            );
        }
        for name in update_names.difference(&original_names) {
            self.push(
                Rule::OneofAdded,
                format!("{}.{name}", um.full_name()),
                format!("oneof {name} of {} was added", um.full_name()),
            );
        }
        deleted
    }
}
