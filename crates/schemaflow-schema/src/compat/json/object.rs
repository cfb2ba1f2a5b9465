//! Objects: Confluent's `ObjectSchemaDiff` (confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/ObjectSchemaDiff.java`
//! at 0de3fd456bb1f51de1928bae6186630bd43d1000).
//!
//! The content model decides what adding or removing a property means:
//!
//! * **open** (no `patternProperties`, `additionalProperties` absent or `true`): old data may
//!   hold any property, so a property added to the original is `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`
//!   (incompatible unless its schema is empty), and removing one from the update is harmless;
//! * **closed** (`additionalProperties: false`, no patterns): adding is fine (old data cannot
//!   hold it), removing is `PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL`;
//! * **partially open** (a matching `patternProperties` schema, else the
//!   `additionalProperties` schema): the property's schema is compared with the one that
//!   covered it, `…_IS_COVERED_…` when compatible, `…_NOT_COVERED_…` otherwise.

use std::collections::BTreeSet;

use crate::compat::rules::Rule;
use crate::json_schema::model::{Additional, Kind, Model, NodeId, ObjectKind};
use crate::json_schema::pattern;

use super::context::Ctx;
use super::scalar::{bound, Bound};
use super::schema::Differ;

fn is_open(o: &ObjectKind) -> bool {
    o.pattern_properties.is_empty() && o.additional == Additional::Allowed
}

/// The schema a partially open object gives `name`: the first `patternProperties` pattern
/// found in it (ECMA-262 `find`, not anchored), else the `additionalProperties` schema.
fn covering(o: &ObjectKind, name: &str) -> Option<NodeId> {
    for (pattern, id) in &o.pattern_properties {
        if pattern::finds(pattern, name) {
            return Some(*id);
        }
    }
    match o.additional {
        Additional::Schema(id) => Some(id),
        _ => None,
    }
}

fn is_empty_schema(model: &Model, id: NodeId) -> bool {
    matches!(model.node(model.deref(id)).kind, Kind::Empty)
}

fn is_false_schema(model: &Model, id: NodeId) -> bool {
    matches!(model.node(model.deref(id)).kind, Kind::False)
}

impl Differ<'_> {
    pub(super) fn object(&mut self, ctx: &mut Ctx, o: &ObjectKind, u: &ObjectKind) {
        self.required(ctx, o, u);
        self.properties(ctx, o, u);
        self.dependencies(ctx, o, u);
        self.additional_properties(ctx, o, u);
        bound(
            ctx,
            "maxProperties",
            o.max_properties,
            u.max_properties,
            Bound {
                added: Rule::JsonMaxPropertiesAdded,
                removed: Rule::JsonMaxPropertiesRemoved,
                increased: Rule::JsonMaxPropertiesIncreased,
                decreased: Rule::JsonMaxPropertiesDecreased,
            },
        );
        bound(
            ctx,
            "minProperties",
            o.min_properties,
            u.min_properties,
            Bound {
                added: Rule::JsonMinPropertiesAdded,
                removed: Rule::JsonMinPropertiesRemoved,
                increased: Rule::JsonMinPropertiesIncreased,
                decreased: Rule::JsonMinPropertiesDecreased,
            },
        );
    }

    /// `compareRequired`: properties both sides define, at `#/required/<name>`.
    fn required(&mut self, ctx: &mut Ctx, o: &ObjectKind, u: &ObjectKind) {
        ctx.enter("required");
        for name in o.properties.keys() {
            let Some(&u_prop) = u.properties.get(name) else {
                continue;
            };
            let (was, is) = (o.required.contains(name), u.required.contains(name));
            if was && !is {
                ctx.add_at(name, Rule::JsonRequiredAttributeRemoved);
            } else if !was && is {
                ctx.add_at(
                    name,
                    if self.u.node(u_prop).default.is_some() {
                        Rule::JsonRequiredAttributeWithDefaultAdded
                    } else {
                        Rule::JsonRequiredAttributeAdded
                    },
                );
            }
        }
        ctx.leave();
    }

    /// `compareProperties`, at `#/properties/<name>`.
    fn properties(&mut self, ctx: &mut Ctx, o: &ObjectKind, u: &ObjectKind) {
        ctx.enter("properties");
        let names: BTreeSet<&String> = o.properties.keys().chain(u.properties.keys()).collect();
        for name in names {
            ctx.enter(name.as_str());
            match (o.properties.get(name), u.properties.get(name)) {
                (Some(&op), None) => self.property_removed(ctx, op, u, name),
                (None, Some(&up)) => self.property_added(ctx, o, up, u, name),
                (op, up) => self.compare(ctx, op.copied(), up.copied()),
            }
            ctx.leave();
        }
        ctx.leave();
    }

    /// A property the update no longer names: only the update's content model counts.
    fn property_removed(&mut self, ctx: &mut Ctx, op: NodeId, u: &ObjectKind, name: &str) {
        if is_open(u) {
            return ctx.add(Rule::JsonPropertyRemovedFromOpenContentModel);
        }
        if let Some(cover) = covering(u, name) {
            let mut sub = ctx.sub();
            self.compare(&mut sub, Some(op), Some(cover));
            let covered = sub.is_compatible(self.policy);
            ctx.extend(sub);
            ctx.add(if covered {
                Rule::JsonPropertyRemovedIsCoveredByPartiallyOpenContentModel
            } else {
                Rule::JsonPropertyRemovedNotCoveredByPartiallyOpenContentModel
            });
        } else if is_false_schema(self.o, op) {
            ctx.add(Rule::JsonPropertyWithFalseRemovedFromClosedContentModel);
        } else {
            ctx.add(Rule::JsonPropertyRemovedFromClosedContentModel);
        }
    }

    /// A property the original did not name: only the original's content model counts.
    fn property_added(
        &mut self,
        ctx: &mut Ctx,
        o: &ObjectKind,
        up: NodeId,
        u: &ObjectKind,
        name: &str,
    ) {
        if is_open(o) {
            return ctx.add(if is_empty_schema(self.u, up) {
                Rule::JsonPropertyWithEmptySchemaAddedToOpenContentModel
            } else {
                Rule::JsonPropertyAddedToOpenContentModel
            });
        }
        if let Some(cover) = covering(o, name) {
            let mut sub = ctx.sub();
            self.compare(&mut sub, Some(cover), Some(up));
            let covered = sub.is_compatible(self.policy);
            ctx.extend(sub);
            ctx.add(if covered {
                Rule::JsonPropertyAddedIsCoveredByPartiallyOpenContentModel
            } else {
                Rule::JsonPropertyAddedNotCoveredByPartiallyOpenContentModel
            });
        }
        // Closed and partially open models both: is the new property required?
        ctx.add(if !u.required.contains(name) {
            Rule::JsonOptionalPropertyAddedToUnopenContentModel
        } else if self.u.node(up).default.is_some() {
            Rule::JsonRequiredPropertyWithDefaultAddedToUnopenContentModel
        } else {
            Rule::JsonRequiredPropertyAddedToUnopenContentModel
        });
    }

    /// `compareDependencies`, at `#/dependencies/<name>` (property lists, then schemas).
    fn dependencies(&mut self, ctx: &mut Ctx, o: &ObjectKind, u: &ObjectKind) {
        ctx.enter("dependencies");
        let names: BTreeSet<&String> = o
            .property_dependencies
            .keys()
            .chain(u.property_dependencies.keys())
            .collect();
        for name in names {
            let rule = match (
                o.property_dependencies.get(name),
                u.property_dependencies.get(name),
            ) {
                (_, None) => Some(Rule::JsonDependencyArrayRemoved),
                (None, Some(_)) => Some(Rule::JsonDependencyArrayAdded),
                (Some(a), Some(b)) if a == b => None,
                (Some(a), Some(b)) if b.is_superset(a) => Some(Rule::JsonDependencyArrayExtended),
                (Some(a), Some(b)) if a.is_superset(b) => Some(Rule::JsonDependencyArrayNarrowed),
                _ => Some(Rule::JsonDependencyArrayChanged),
            };
            if let Some(rule) = rule {
                ctx.add_at(name, rule);
            }
        }
        let names: BTreeSet<&String> = o
            .schema_dependencies
            .keys()
            .chain(u.schema_dependencies.keys())
            .collect();
        for name in names {
            ctx.enter(name.as_str());
            match (
                o.schema_dependencies.get(name),
                u.schema_dependencies.get(name),
            ) {
                (_, None) => ctx.add(Rule::JsonDependencySchemaRemoved),
                (None, Some(_)) => ctx.add(Rule::JsonDependencySchemaAdded),
                (Some(&a), Some(&b)) => self.compare(ctx, Some(a), Some(b)),
            }
            ctx.leave();
        }
        ctx.leave();
    }

    /// `compareAdditionalProperties`, at `#/additionalProperties`.
    fn additional_properties(&mut self, ctx: &mut Ctx, o: &ObjectKind, u: &ObjectKind) {
        ctx.enter("additionalProperties");
        additional(
            self,
            ctx,
            o.additional,
            u.additional,
            [
                Rule::JsonAdditionalPropertiesAdded,
                Rule::JsonAdditionalPropertiesRemoved,
                Rule::JsonAdditionalPropertiesNarrowed,
                Rule::JsonAdditionalPropertiesExtended,
            ],
        );
        ctx.leave();
    }
}

/// `additionalProperties` / `additionalItems`: `[added, removed, narrowed, extended]`.
pub(super) fn additional(
    differ: &mut Differ<'_>,
    ctx: &mut Ctx,
    o: Additional,
    u: Additional,
    [added, removed, narrowed, extended]: [Rule; 4],
) {
    let permits = |a: Additional| a != Additional::Forbidden;
    let schema = |a: Additional| match a {
        Additional::Schema(id) => Some(id),
        _ => None,
    };
    if permits(o) != permits(u) {
        ctx.add(if permits(u) { added } else { removed });
    } else {
        match (schema(o), schema(u)) {
            (None, Some(_)) => ctx.add(narrowed),
            (Some(_), None) => ctx.add(extended),
            (a, b) => differ.compare(ctx, a, b),
        }
    }
}
