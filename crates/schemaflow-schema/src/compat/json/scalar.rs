//! Keyword-by-keyword diffs of strings, numbers and enums: Confluent's `StringSchemaDiff`,
//! `NumberSchemaDiff` and `EnumSchemaDiff` (confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/`).

use serde_json::Value;

use crate::compat::rules::Rule;
use crate::json_schema::model::{NumberKind, StringKind};

use super::context::Ctx;

/// The four rules of one bound: added, removed, increased, decreased.
pub(super) struct Bound {
    pub added: Rule,
    pub removed: Rule,
    pub increased: Rule,
    pub decreased: Rule,
}

/// Compare one optional bound at `attribute`.
pub(super) fn bound<T: PartialOrd>(
    ctx: &mut Ctx,
    attribute: &str,
    original: Option<T>,
    update: Option<T>,
    rules: Bound,
) {
    match (original, update) {
        (None, Some(_)) => ctx.add_at(attribute, rules.added),
        (Some(_), None) => ctx.add_at(attribute, rules.removed),
        (Some(o), Some(u)) if o < u => ctx.add_at(attribute, rules.increased),
        (Some(o), Some(u)) if o > u => ctx.add_at(attribute, rules.decreased),
        _ => {}
    }
}

pub(super) fn string(ctx: &mut Ctx, o: &StringKind, u: &StringKind) {
    bound(
        ctx,
        "maxLength",
        o.max_length,
        u.max_length,
        Bound {
            added: Rule::JsonMaxLengthAdded,
            removed: Rule::JsonMaxLengthRemoved,
            increased: Rule::JsonMaxLengthIncreased,
            decreased: Rule::JsonMaxLengthDecreased,
        },
    );
    bound(
        ctx,
        "minLength",
        o.min_length,
        u.min_length,
        Bound {
            added: Rule::JsonMinLengthAdded,
            removed: Rule::JsonMinLengthRemoved,
            increased: Rule::JsonMinLengthIncreased,
            decreased: Rule::JsonMinLengthDecreased,
        },
    );
    match (&o.pattern, &u.pattern) {
        (None, Some(_)) => ctx.add_at("pattern", Rule::JsonPatternAdded),
        (Some(_), None) => ctx.add_at("pattern", Rule::JsonPatternRemoved),
        (Some(a), Some(b)) if a != b => ctx.add_at("pattern", Rule::JsonPatternChanged),
        _ => {}
    }
}

pub(super) fn number(ctx: &mut Ctx, o: &NumberKind, u: &NumberKind) {
    bound(
        ctx,
        "maximum",
        o.maximum,
        u.maximum,
        Bound {
            added: Rule::JsonMaximumAdded,
            removed: Rule::JsonMaximumRemoved,
            increased: Rule::JsonMaximumIncreased,
            decreased: Rule::JsonMaximumDecreased,
        },
    );
    bound(
        ctx,
        "minimum",
        o.minimum,
        u.minimum,
        Bound {
            added: Rule::JsonMinimumAdded,
            removed: Rule::JsonMinimumRemoved,
            increased: Rule::JsonMinimumIncreased,
            decreased: Rule::JsonMinimumDecreased,
        },
    );
    // Upstream compares the original exclusive maximum with the update's *maximum* for
    // "decreased" (a slip that throws when the update has none); the exclusive limits are
    // compared with each other here.
    bound(
        ctx,
        "exclusiveMaximum",
        o.exclusive_maximum,
        u.exclusive_maximum,
        Bound {
            added: Rule::JsonExclusiveMaximumAdded,
            removed: Rule::JsonExclusiveMaximumRemoved,
            increased: Rule::JsonExclusiveMaximumIncreased,
            decreased: Rule::JsonExclusiveMaximumDecreased,
        },
    );
    bound(
        ctx,
        "exclusiveMinimum",
        o.exclusive_minimum,
        u.exclusive_minimum,
        Bound {
            added: Rule::JsonExclusiveMinimumAdded,
            removed: Rule::JsonExclusiveMinimumRemoved,
            increased: Rule::JsonExclusiveMinimumIncreased,
            decreased: Rule::JsonExclusiveMinimumDecreased,
        },
    );
    match (o.multiple_of, u.multiple_of) {
        (None, Some(_)) => ctx.add_at("multipleOf", Rule::JsonMultipleOfAdded),
        (Some(_), None) => ctx.add_at("multipleOf", Rule::JsonMultipleOfRemoved),
        (Some(a), Some(b)) if a != b => {
            let rule = if is_multiple(b, a) {
                Rule::JsonMultipleOfExpanded
            } else if is_multiple(a, b) {
                Rule::JsonMultipleOfReduced
            } else {
                Rule::JsonMultipleOfChanged
            };
            ctx.add_at("multipleOf", rule);
        }
        _ => {}
    }
    if o.integer != u.integer {
        ctx.add(if o.integer {
            Rule::JsonTypeExtended
        } else {
            Rule::JsonTypeNarrowed
        });
    }
}

/// Whether `a` is a whole multiple of `b` (upstream takes both as integers; fractional
/// `multipleOf`s are compared by their ratio instead of dividing by zero).
fn is_multiple(a: f64, b: f64) -> bool {
    if b == 0.0 {
        return false;
    }
    let ratio = a / b;
    ratio.is_finite() && (ratio - ratio.round()).abs() < 1e-9
}

/// `EnumSchemaDiff`: the values as sets.
pub(super) fn enumeration(ctx: &mut Ctx, o: &[Value], u: &[Value]) {
    let o_in_u = o.iter().all(|v| u.contains(v));
    let u_in_o = u.iter().all(|v| o.contains(v));
    if o_in_u && u_in_o {
        return;
    }
    ctx.add_at(
        "enum",
        if o_in_u {
            Rule::JsonEnumArrayExtended
        } else if u_in_o {
            Rule::JsonEnumArrayNarrowed
        } else {
            Rule::JsonEnumArrayChanged
        },
    );
}
