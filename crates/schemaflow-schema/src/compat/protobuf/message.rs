//! Messages and the types they nest: the types of a scope matched by simple name
//! (`SchemaDiff.compareTypeElements`), a message's fields matched by number whatever their
//! oneof (`MessageSchemaDiff`).

use std::collections::BTreeSet;

use prost_reflect::{Cardinality, FieldDescriptor, MessageDescriptor};

use super::oneof::real_oneof;
use super::types::Scope;
use super::Diff;
use crate::compat::rules::Rule;

impl Diff<'_> {
    /// The messages and enums two scopes (files, or same-named messages) declare.
    pub(super) fn scopes(&mut self, o: &Scope, u: &Scope) {
        for (name, oidx, om) in &o.messages {
            match u.message(name) {
                Some((_, uidx, um)) => {
                    self.message(om, um);
                    if oidx != uidx {
                        // Compatible: serialized message indexes refer to the schema of the
                        // writer's id.
                        self.push(
                            Rule::MessageMoved,
                            um.full_name(),
                            format!(
                                "message {} moved from position {oidx} to {uidx} among its siblings",
                                um.full_name()
                            ),
                        );
                    }
                }
                None => self.push(
                    Rule::MessageRemoved,
                    om.full_name(),
                    format!(
                        "message {} is no longer defined here, but data written with it may still be read; keep the message (it can be left unused)",
                        om.full_name()
                    ),
                ),
            }
        }
        for (name, _, um) in &u.messages {
            if o.message(name).is_none() {
                self.push(
                    Rule::MessageAdded,
                    um.full_name(),
                    format!("message {} was added", um.full_name()),
                );
            }
        }
        for (name, oe) in &o.enums {
            match u.enum_named(name) {
                Some(ue) => self.enum_values(oe, ue),
                None => self.push(
                    Rule::EnumRemoved,
                    oe.full_name(),
                    format!("enum {} was removed", oe.full_name()),
                ),
            }
        }
        for (name, ue) in &u.enums {
            if o.enum_named(name).is_none() {
                self.push(
                    Rule::EnumAdded,
                    ue.full_name(),
                    format!("enum {} was added", ue.full_name()),
                );
            }
        }
    }

    /// Two same-named messages: their fields (unless the original is already being compared
    /// further up, which ends recursive types), then the types they nest.
    pub(super) fn message(&mut self, om: &MessageDescriptor, um: &MessageDescriptor) {
        if self.visiting.insert(om.full_name().to_string()) {
            self.fields(om, um);
            self.visiting.remove(om.full_name());
        }
        self.scopes(&Scope::of_message(om), &Scope::of_message(um));
    }

    /// Every field by number, top-level fields and oneof members alike, so that a change of
    /// oneof membership (renamed, merged, dissolved) hides no change of the field itself.
    fn fields(&mut self, om: &MessageDescriptor, um: &MessageDescriptor) {
        self.field_comparisons += 1;
        let deleted_oneofs = self.oneofs(om, um);
        let tags: BTreeSet<u32> = om.fields().chain(um.fields()).map(|f| f.number()).collect();
        for tag in tags {
            match (om.get_field(tag), um.get_field(tag)) {
                (Some(of), None) => {
                    let in_deleted_oneof =
                        real_oneof(&of).is_some_and(|o| deleted_oneofs.contains(o.name()));
                    // A oneof deleted with all its members is one compatible ONEOF_REMOVED.
                    if !in_deleted_oneof {
                        self.field_removed(&of);
                    }
                }
                (None, Some(uf)) => self.field_added(&uf),
                (Some(of), Some(uf)) => {
                    if let (Some(oo), None) = (real_oneof(&of), real_oneof(&uf)) {
                        self.push(
                            Rule::OneofFieldMovedToTopLevel,
                            uf.full_name(),
                            format!(
                                "field {} (number {tag}) moved out of oneof {}",
                                uf.full_name(),
                                oo.name()
                            ),
                        );
                    }
                    self.field(&of, &uf);
                }
                (None, None) => {}
            }
        }
    }

    fn field_removed(&mut self, of: &FieldDescriptor) {
        let (rule, what) = if real_oneof(of).is_some() {
            (Rule::OneofFieldRemoved, "oneof field")
        } else if of.cardinality() == Cardinality::Required {
            (Rule::RequiredFieldRemoved, "required field")
        } else {
            (Rule::FieldRemoved, "field")
        };
        let advice = if rule == Rule::FieldRemoved {
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
            of.full_name(),
            format!(
                "{what} {} (number {}) was removed{advice}",
                of.full_name(),
                of.number()
            ),
        );
    }

    fn field_added(&mut self, uf: &FieldDescriptor) {
        let (rule, msg) = if real_oneof(uf).is_some() {
            (
                Rule::OneofFieldAdded,
                format!(
                    "oneof field {} (number {}) was added",
                    uf.full_name(),
                    uf.number()
                ),
            )
        } else if uf.cardinality() == Cardinality::Required {
            (
                Rule::RequiredFieldAdded,
                format!(
                    "required field {} (number {}) was added; data written without it cannot be read, so make it optional",
                    uf.full_name(),
                    uf.number()
                ),
            )
        } else {
            (
                Rule::FieldAdded,
                format!(
                    "field {} (number {}) was added",
                    uf.full_name(),
                    uf.number()
                ),
            )
        };
        self.push(rule, uf.full_name(), msg);
    }
}
