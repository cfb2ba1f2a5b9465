//! Arrays: Confluent's `ArraySchemaDiff` (confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/ArraySchemaDiff.java`).
//! `items` as one schema is compared at `#/items`; `items` as a list (2020-12:
//! `prefixItems`) position by position at `#/items/<i>`, with the same open / closed /
//! partially open content models as objects, decided by `additionalItems`.

use crate::compat::rules::Rule;
use crate::json_schema::model::{Additional, ArrayKind, Kind};

use super::context::Ctx;
use super::object::additional;
use super::scalar::{bound, Bound};
use super::schema::Differ;

fn is_open(a: &ArrayKind) -> bool {
    a.additional == Additional::Allowed
}

fn covering(a: &ArrayKind) -> Option<usize> {
    match a.additional {
        Additional::Schema(id) => Some(id),
        _ => None,
    }
}

impl Differ<'_> {
    pub(super) fn array(&mut self, ctx: &mut Ctx, o: &ArrayKind, u: &ArrayKind) {
        ctx.enter("items");
        self.compare(ctx, o.all_items, u.all_items);
        ctx.leave();
        self.items(ctx, o, u);
        ctx.enter("additionalItems");
        additional(
            self,
            ctx,
            o.additional,
            u.additional,
            [
                Rule::JsonAdditionalItemsAdded,
                Rule::JsonAdditionalItemsRemoved,
                Rule::JsonAdditionalItemsNarrowed,
                Rule::JsonAdditionalItemsExtended,
            ],
        );
        ctx.leave();
        bound(
            ctx,
            "maxItems",
            o.max_items,
            u.max_items,
            Bound {
                added: Rule::JsonMaxItemsAdded,
                removed: Rule::JsonMaxItemsRemoved,
                increased: Rule::JsonMaxItemsIncreased,
                decreased: Rule::JsonMaxItemsDecreased,
            },
        );
        bound(
            ctx,
            "minItems",
            o.min_items,
            u.min_items,
            Bound {
                added: Rule::JsonMinItemsAdded,
                removed: Rule::JsonMinItemsRemoved,
                increased: Rule::JsonMinItemsIncreased,
                decreased: Rule::JsonMinItemsDecreased,
            },
        );
        if o.unique_items != u.unique_items {
            ctx.add_at(
                "uniqueItems",
                if o.unique_items {
                    Rule::JsonUniqueItemsRemoved
                } else {
                    Rule::JsonUniqueItemsAdded
                },
            );
        }
    }

    /// `compareItemSchemaArray`.
    fn items(&mut self, ctx: &mut Ctx, o: &ArrayKind, u: &ArrayKind) {
        let common = o.item_schemas.len().min(u.item_schemas.len());
        for i in 0..common {
            ctx.enter(format!("items/{i}"));
            self.compare(ctx, Some(o.item_schemas[i]), Some(u.item_schemas[i]));
            ctx.leave();
        }
        for (i, &oi) in o.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            if is_open(u) {
                ctx.add(Rule::JsonItemRemovedFromOpenContentModel);
            } else if let Some(cover) = covering(u) {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(oi), Some(cover));
                let covered = sub.is_compatible(self.policy);
                ctx.extend(sub);
                ctx.add(if covered {
                    Rule::JsonItemRemovedIsCoveredByPartiallyOpenContentModel
                } else {
                    Rule::JsonItemRemovedNotCoveredByPartiallyOpenContentModel
                });
            } else if matches!(self.o.node(self.o.deref(oi)).kind, Kind::False) {
                ctx.add(Rule::JsonItemWithFalseRemovedFromClosedContentModel);
            } else {
                ctx.add(Rule::JsonItemRemovedFromClosedContentModel);
            }
            ctx.leave();
        }
        for (i, &ui) in u.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            if is_open(o) {
                ctx.add(
                    if matches!(self.u.node(self.u.deref(ui)).kind, Kind::Empty) {
                        Rule::JsonItemWithEmptySchemaAddedToOpenContentModel
                    } else {
                        Rule::JsonItemAddedToOpenContentModel
                    },
                );
            } else if let Some(cover) = covering(o) {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(cover), Some(ui));
                let covered = sub.is_compatible(self.policy);
                ctx.extend(sub);
                ctx.add(if covered {
                    Rule::JsonItemAddedIsCoveredByPartiallyOpenContentModel
                } else {
                    Rule::JsonItemAddedNotCoveredByPartiallyOpenContentModel
                });
            } else {
                ctx.add(Rule::JsonItemAddedToClosedContentModel);
            }
            ctx.leave();
        }
    }
}
