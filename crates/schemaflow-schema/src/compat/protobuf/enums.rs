//! Enum values, matched by number (Confluent's `EnumSchemaDiff`); every enum change is
//! compatible, so these differences only inform.

use prost_reflect::EnumDescriptor;

use super::Diff;
use crate::compat::rules::Rule;

impl Diff<'_> {
    /// Values added, removed or renamed between two same-named enums.
    pub(super) fn enum_values(&mut self, oe: &EnumDescriptor, ue: &EnumDescriptor) {
        for ov in oe.values() {
            match ue.get_value(ov.number()) {
                Some(uv) if uv.name() != ov.name() => self.push(
                    Rule::EnumConstChanged,
                    uv.full_name(),
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
                    Rule::EnumConstRemoved,
                    ov.full_name(),
                    format!("enum value {} ({}) was removed", ov.name(), ov.number()),
                ),
            }
        }
        for uv in ue.values() {
            if oe.get_value(uv.number()).is_none() {
                self.push(
                    Rule::EnumConstAdded,
                    uv.full_name(),
                    format!("enum value {} ({}) was added", uv.name(), uv.number()),
                );
            }
        }
    }
}
