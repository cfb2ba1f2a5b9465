//! Where the diff is and what it found: Confluent's `json/diff/Context.java` (a JSON-pointer
//! path stack, the differences so far, sub-contexts that start from the same path with no
//! differences, and `isCompatible` under the policy in force).

use crate::compat::difference::Difference;
use crate::compat::rules::Rule;

use super::JsonCompatPolicy;

/// One (sub)context of a comparison.
pub(super) struct Ctx {
    path: Vec<String>,
    pub(super) diffs: Vec<Difference>,
    /// Whether what was found relies on a recursive cycle that the previous pass found
    /// incompatible (its differences are reported where the cycle starts, not again here).
    pub(super) tainted: bool,
}

impl Ctx {
    pub(super) fn root() -> Ctx {
        Ctx {
            path: Vec::new(),
            diffs: Vec::new(),
            tainted: false,
        }
    }

    /// `getSubcontext()`: the same path, no differences yet.
    pub(super) fn sub(&self) -> Ctx {
        Ctx {
            path: self.path.clone(),
            diffs: Vec::new(),
            tainted: false,
        }
    }

    /// `enterPath`; pair with [`leave`](Self::leave).
    pub(super) fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    pub(super) fn leave(&mut self) {
        self.path.pop();
    }

    /// `#/` and the segments, as upstream prints paths (`#/properties/foo`, `#/`).
    fn path_string(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    /// `addDifference(type)` at the current path.
    pub(super) fn add(&mut self, rule: Rule) {
        let path = self.path_string();
        self.diffs.push(Difference {
            rule,
            message: rule.purpose().to_string(),
            path,
        });
    }

    /// `addDifference(attribute, type)`: at the current path plus `attribute`.
    pub(super) fn add_at(&mut self, attribute: &str, rule: Rule) {
        self.enter(attribute);
        self.add(rule);
        self.leave();
    }

    /// `addDifferences`: what a sub-context found.
    pub(super) fn extend(&mut self, other: Ctx) {
        self.diffs.extend(other.diffs);
        self.tainted |= other.tainted;
    }

    /// `addDifferencesRebased`: differences found relative to a pair (`#/x` is the pair's
    /// `x`), moved under the current path.
    pub(super) fn extend_rebased(&mut self, found: &[Difference], tainted: bool) {
        self.tainted |= tainted;
        for d in found {
            let relative = d.path.strip_prefix("#/").unwrap_or(&d.path);
            let mut path = self.path_string();
            if !relative.is_empty() {
                if !self.path.is_empty() {
                    path.push('/');
                }
                path.push_str(relative);
            }
            self.diffs.push(Difference { path, ..d.clone() });
        }
    }

    /// `isCompatible()`: every difference so far is one the policy accepts.
    pub(super) fn is_compatible(&self, policy: JsonCompatPolicy) -> bool {
        !self.tainted && self.diffs.iter().all(|d| policy.accepts(d.rule))
    }
}
