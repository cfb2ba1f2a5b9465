//! The walk: Confluent's `SchemaDiff.compare(Context, Schema, Schema)` (references followed,
//! the singleton and sum/product special cases, the class check, then one diff per class) and
//! `CombinedSchemaDiff` (criteria, sizes, and a maximum matching of compatible subschema
//! pairs). confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/`
//! (`SchemaDiff.java` at 658073b7e7298df246edc8894c95f1cad2fbdec1, `CombinedSchemaDiff.java`
//! at 10a588d05596840b76236ec931361924af1754d9, `NotSchemaDiff.java`, `EnumSchemaDiff.java`,
//! `ConstSchemaDiff.java`).

use std::collections::{HashMap, HashSet};

use crate::compat::difference::Difference;

use crate::compat::rules::Rule;
use crate::json_schema::model::{Criterion, Kind, Model, NodeId};

use super::context::Ctx;
use super::JsonCompatPolicy;

/// How many times a comparison that met a recursive cycle is redone before its answer is
/// taken as it stands (each pass feeds the cycle what the previous one found; two or three
/// passes settle in practice).
const MAX_PASSES: usize = 16;

/// Every difference from `original` to `update` (paths relative to them).
///
/// Each pair of schemas is compared once per pass and remembered (upstream's
/// `Context.compareMemoized`): without that, recursive unions (`oneOf` over definitions that
/// hold the same `oneOf`) take exponential time. A pair met again while it is being compared
/// is a recursive cycle: the first pass assumes it compatible; if any pass relied on such an
/// assumption, the comparison runs again with each cycle given the verdict the previous pass
/// found for its pair, until no verdict changes (upstream's greatest-fixed-point iteration,
/// so that a cycle cannot mask a real incompatibility). A cycle adds no differences of its
/// own: they are reported once, where the cycle starts.
pub(super) fn diff(
    o: &Model,
    u: &Model,
    policy: JsonCompatPolicy,
    original: NodeId,
    update: NodeId,
) -> Vec<Difference> {
    let mut differ = Differ {
        o,
        u,
        policy,
        in_progress: HashSet::new(),
        computed: HashMap::new(),
        assumed: HashMap::new(),
        used_assumption: false,
    };
    let mut ctx = Ctx::root();
    for _ in 0..MAX_PASSES {
        ctx = Ctx::root();
        differ.used_assumption = false;
        differ.computed.clear();
        differ.compare(&mut ctx, Some(original), Some(update));
        let verdicts: HashMap<(NodeId, NodeId), bool> = differ
            .computed
            .iter()
            .map(|(k, (diffs, tainted))| {
                (*k, !tainted && diffs.iter().all(|d| policy.accepts(d.rule)))
            })
            .collect();
        if !differ.used_assumption || verdicts == differ.assumed {
            break;
        }
        differ.assumed = verdicts;
    }
    ctx.diffs
}

/// One pass of a comparison of an original model with an update model.
pub(super) struct Differ<'a> {
    pub(super) o: &'a Model,
    pub(super) u: &'a Model,
    pub(super) policy: JsonCompatPolicy,
    /// Pairs being compared further up the stack: met again, they are a recursive cycle
    /// (upstream's `Context.inProgress`).
    in_progress: HashSet<(NodeId, NodeId)>,
    /// This pass's results per pair, paths relative to the pair, and whether they rely on an
    /// incompatible cycle.
    computed: HashMap<(NodeId, NodeId), (Vec<Difference>, bool)>,
    /// The previous pass's verdict per pair, what a cycle is assumed to be (compatible, at
    /// first).
    assumed: HashMap<(NodeId, NodeId), bool>,
    /// Whether this pass cut a cycle.
    used_assumption: bool,
}

impl Differ<'_> {
    /// `SchemaDiff.compare`: `None` is an absent subschema (`items` not given).
    pub(super) fn compare(
        &mut self,
        ctx: &mut Ctx,
        original: Option<NodeId>,
        update: Option<NodeId>,
    ) {
        let (o, u) = match (original, update) {
            (None, None) => return,
            (None, Some(_)) => return ctx.add(Rule::JsonSchemaAdded),
            (Some(_), None) => return ctx.add(Rule::JsonSchemaRemoved),
            (Some(o), Some(u)) => (self.o.deref(o), self.u.deref(u)),
        };
        let key = (o, u);
        if let Some((found, tainted)) = self.computed.get(&key) {
            return ctx.extend_rebased(found, *tainted);
        }
        if self.in_progress.contains(&key) {
            self.used_assumption = true;
            if self.assumed.get(&key) == Some(&false) {
                ctx.tainted = true;
            }
            return;
        }
        self.in_progress.insert(key);
        let mut pair = Ctx::root();
        self.compare_pair(&mut pair, o, u);
        self.in_progress.remove(&key);
        ctx.extend_rebased(&pair.diffs, pair.tainted);
        self.computed.insert(key, (pair.diffs, pair.tainted));
    }

    /// The comparison of one pair (references already followed), paths relative to it.
    fn compare_pair(&mut self, ctx: &mut Ctx, o: NodeId, u: NodeId) {
        let (ok, uk) = (&self.o.node(o).kind, &self.u.node(u).kind);
        match (ok, uk) {
            (k, Kind::Combined(criterion, subs)) if !matches!(k, Kind::Combined(..)) => {
                let subs = subs.clone();
                if subs.len() == 1 {
                    // A singleton union is its one member.
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(o), Some(subs[0]));
                    if sub.is_compatible(self.policy) {
                        return ctx.extend(sub);
                    }
                } else if matches!(criterion, Criterion::AnyOf | Criterion::OneOf) {
                    // A type that became one branch of a union.
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(o), Some(s));
                        if sub.is_compatible(self.policy) {
                            ctx.extend(sub);
                            return ctx.add(Rule::JsonSumTypeExtended);
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), k) if !matches!(k, Kind::Combined(..)) => {
                let subs = subs.clone();
                if subs.len() == 1 {
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(subs[0]), Some(u));
                    if sub.is_compatible(self.policy) {
                        return ctx.extend(sub);
                    }
                } else if *criterion == Criterion::AllOf {
                    // An `allOf` reduced to one of its members.
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(s), Some(u));
                        if sub.is_compatible(self.policy) {
                            ctx.extend(sub);
                            return ctx.add(Rule::JsonProductTypeNarrowed);
                        }
                    }
                }
            }
            _ => {}
        }
        let (ok, uk) = (&self.o.node(o).kind, &self.u.node(u).kind);
        if !ok.same_class(uk) {
            // `false` accepts nothing and `{}`/`true` everything: from the one or to the
            // other is never a narrowing.
            if !matches!(ok, Kind::False) && !matches!(uk, Kind::Empty) {
                ctx.add(Rule::JsonTypeChanged);
            }
            return;
        }
        let (on, un) = (self.o.node(o), self.u.node(u));
        if on.id != un.id {
            ctx.add(Rule::JsonIdChanged);
        }
        if on.title != un.title {
            ctx.add(Rule::JsonTitleChanged);
        }
        if on.description != un.description {
            ctx.add(Rule::JsonDescriptionChanged);
        }
        if on.default != un.default {
            ctx.add(Rule::JsonDefaultChanged);
        }
        match (&on.kind, &un.kind) {
            (Kind::String(a), Kind::String(b)) => super::scalar::string(ctx, a, b),
            (Kind::Number(a), Kind::Number(b)) => super::scalar::number(ctx, a, b),
            (Kind::Enum(a), Kind::Enum(b)) => super::scalar::enumeration(ctx, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                ctx.add_at("const", Rule::JsonEnumArrayChanged);
            }
            (Kind::Combined(oc, os), Kind::Combined(uc, us)) => {
                let (oc, os, uc, us) = (*oc, os.clone(), *uc, us.clone());
                self.combined(ctx, oc, &os, uc, &us);
            }
            (Kind::Not(a), Kind::Not(b)) => {
                let (a, b) = (*a, *b);
                self.not(ctx, a, b);
            }
            (Kind::Object(a), Kind::Object(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.object(ctx, &a, &b);
            }
            (Kind::Array(a), Kind::Array(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.array(ctx, &a, &b);
            }
            _ => {}
        }
    }

    /// `NotSchemaDiff`: the wrapped schemas compared the other way round (a `not` that
    /// excludes less accepts more), in a sub-context whose differences are not kept.
    fn not(&mut self, ctx: &mut Ctx, original: NodeId, update: NodeId) {
        ctx.enter("not");
        let reversed = diff(self.u, self.o, self.policy, update, original);
        ctx.add(if reversed.iter().all(|d| self.policy.accepts(d.rule)) {
            Rule::JsonNotTypeNarrowed
        } else {
            Rule::JsonNotTypeExtended
        });
        ctx.leave();
    }

    /// `CombinedSchemaDiff.compare`.
    fn combined(
        &mut self,
        ctx: &mut Ctx,
        oc: Criterion,
        original: &[NodeId],
        uc: Criterion,
        update: &[NodeId],
    ) {
        let change = if oc == uc {
            None
        } else if uc == Criterion::AnyOf {
            Some(Rule::JsonCombinedTypeExtended)
        } else if uc == Criterion::OneOf {
            Some(if original.len() == 1 {
                Rule::JsonCombinedTypeExtended
            } else {
                Rule::JsonCombinedTypeChanged
            })
        } else if original.len() == 1 && update.len() == 1 {
            Some(Rule::JsonCombinedTypeExtended)
        } else {
            Some(Rule::JsonCombinedTypeChanged)
        };
        if let Some(rule) = change {
            ctx.add(rule);
            if rule == Rule::JsonCombinedTypeChanged {
                return;
            }
        }
        let product = uc == Criterion::AllOf;
        if original.len() < update.len() {
            ctx.add(if product {
                Rule::JsonProductTypeExtended
            } else {
                Rule::JsonSumTypeExtended
            });
        } else if original.len() > update.len() {
            ctx.add(if product {
                Rule::JsonProductTypeNarrowed
            } else {
                Rule::JsonSumTypeNarrowed
            });
        }
        // Every compatible (original, update) pair, with what comparing it found.
        let mut edges: Vec<Vec<(usize, Ctx)>> = Vec::with_capacity(original.len());
        for (i, &os) in original.iter().enumerate() {
            ctx.enter(format!("{}/{i}", oc.keyword()));
            let mut row = Vec::new();
            for (j, &us) in update.iter().enumerate() {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(os), Some(us));
                if sub.is_compatible(self.policy) {
                    row.push((j, sub));
                }
            }
            ctx.leave();
            edges.push(row);
        }
        let adjacency: Vec<Vec<usize>> = edges
            .iter()
            .map(|row| row.iter().map(|(j, _)| *j).collect())
            .collect();
        let matched = maximum_matching(&adjacency, update.len());
        let mut size = 0;
        for (i, row) in edges.into_iter().enumerate() {
            if let Some(j) = matched[i] {
                size += 1;
                if let Some((_, sub)) = row.into_iter().find(|(k, _)| *k == j) {
                    ctx.extend(sub);
                }
            }
        }
        if size < original.len().min(update.len()) {
            // No matching covers the smaller side: some subschema has no compatible partner.
            ctx.add(Rule::JsonCombinedTypeSubschemasChanged);
        }
    }
}

/// A maximum bipartite matching (Kuhn's augmenting paths, left vertices in order, as
/// upstream's `MaximumCardinalityMatch` finds one): for each left vertex, its right partner.
fn maximum_matching(adjacency: &[Vec<usize>], right: usize) -> Vec<Option<usize>> {
    fn augment(
        left: usize,
        adjacency: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &r in &adjacency[left] {
            if seen[r] {
                continue;
            }
            seen[r] = true;
            if owner[r].is_none_or(|l| augment(l, adjacency, seen, owner)) {
                owner[r] = Some(left);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for left in 0..adjacency.len() {
        let mut seen = vec![false; right];
        augment(left, adjacency, &mut seen, &mut owner);
    }
    let mut partner = vec![None; adjacency.len()];
    for (r, l) in owner.iter().enumerate() {
        if let Some(l) = l {
            partner[*l] = Some(r);
        }
    }
    partner
}

#[cfg(test)]
mod tests {
    use super::maximum_matching;

    #[test]
    fn matching_reassigns_to_cover_more() {
        // Left 0 can take 0 or 1, left 1 only 0: both are matched.
        let m = maximum_matching(&[vec![0, 1], vec![0]], 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
        assert_eq!(maximum_matching(&[vec![], vec![0]], 1), vec![None, Some(0)]);
    }
}
