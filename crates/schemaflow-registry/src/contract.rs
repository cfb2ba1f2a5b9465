//! Data contracts as Confluent Schema Registry keeps them: a schema's `metadata` (`tags`,
//! `properties`, `sensitive`) and `ruleSet` (`migrationRules`, `domainRules`, `encodingRules`),
//! their validation, how a config's defaults and overrides merge into them, and their share of
//! a schema's MD5.
//!
//! The shapes and their JSON follow Confluent's `client/rest/entities/Metadata.java`,
//! `RuleSet.java` and `Rule.java`: `@JsonInclude(NON_EMPTY)` (empty maps, sets, lists and
//! `null` strings left out; the primitive `disabled` always written), properties in the
//! `@JsonCreator` order, maps and sets sorted (`SortedMap`/`SortedSet`), unknown fields
//! ignored. A rule without `kind` is `TRANSFORM`, without `mode` `WRITEREAD` (the creator's
//! defaults). [`to_jackson`] writes them byte for byte as Jackson does, for the `_schemas`
//! records. Rules are kept, never run here.
//!
//! The data types themselves live in `schemaflow_schema::contract` (the client runs the rules
//! the server keeps); they are re-exported here.

use serde::{Deserialize, Serialize};

pub use schemaflow_schema::contract::{Metadata, Rule, RuleError, RuleKind, RuleMode, RuleSet};

/// `Rule.updateHash`.
fn rule_hash(rule: &Rule, h: &mut dyn FnMut(&[u8])) {
    for s in [&rule.name, &rule.doc].into_iter().flatten() {
        h(s.as_bytes());
    }
    h(rule.kind.name().as_bytes());
    h(rule.mode.name().as_bytes());
    if let Some(t) = &rule.rule_type {
        h(t.as_bytes());
    }
    for t in &rule.tags {
        h(t.as_bytes());
    }
    for (k, v) in &rule.params {
        h(k.as_bytes());
        h(v.as_bytes());
    }
    for s in [&rule.expr, &rule.on_success, &rule.on_failure]
        .into_iter()
        .flatten()
    {
        h(s.as_bytes());
    }
    if rule.disabled {
        h(&[1]);
    }
}

/// `RuleSet.updateHash`.
fn rule_set_hash(set: &RuleSet, h: &mut dyn FnMut(&[u8])) {
    for r in set
        .migration_rules
        .iter()
        .chain(&set.domain_rules)
        .chain(&set.encoding_rules)
    {
        rule_hash(r, h);
    }
}

/// `Metadata.updateHash`.
fn metadata_hash(m: &Metadata, h: &mut dyn FnMut(&[u8])) {
    for (k, vs) in &m.tags {
        h(k.as_bytes());
        for v in vs {
            h(v.as_bytes());
        }
    }
    for (k, v) in &m.properties {
        h(k.as_bytes());
        h(v.as_bytes());
    }
    for s in &m.sensitive {
        h(s.as_bytes());
    }
}

/// The metadata and rule set's share of Confluent's `Schema.updateHash` (after the schema text
/// and references): each present one is a `1` byte, then its fields.
pub fn update_hash(
    metadata: Option<&Metadata>,
    rule_set: Option<&RuleSet>,
    h: &mut dyn FnMut(&[u8]),
) {
    if let Some(m) = metadata {
        h(&[1]);
        metadata_hash(m, h);
    }
    if let Some(r) = rule_set {
        h(&[1]);
        rule_set_hash(r, h);
    }
}

/// Confluent's `Metadata.mergeMetadata`: `new` over `old`, map by map (a key of `new` replaces
/// the same key of `old`) and set by set (union).
pub fn merge_metadata(old: Option<&Metadata>, new: Option<&Metadata>) -> Option<Metadata> {
    match (old, new) {
        (None, n) => n.cloned(),
        (o, None) => o.cloned(),
        (Some(o), Some(n)) => {
            let mut m = o.clone();
            m.tags.extend(n.tags.clone());
            m.properties.extend(n.properties.clone());
            m.sensitive.extend(n.sensitive.iter().cloned());
            Some(m)
        }
    }
}

/// Confluent's `RuleSet.mergeRuleSets`: list by list, the old rules not named in the new list,
/// then the new list.
pub fn merge_rule_sets(old: Option<&RuleSet>, new: Option<&RuleSet>) -> Option<RuleSet> {
    fn merge(old: &[Rule], new: &[Rule]) -> Vec<Rule> {
        let mut out: Vec<Rule> = old
            .iter()
            .filter(|o| !new.iter().any(|n| n.name == o.name))
            .cloned()
            .collect();
        out.extend(new.iter().cloned());
        out
    }
    match (old, new) {
        (None, n) => n.cloned(),
        (o, None) => o.cloned(),
        (Some(o), Some(n)) => Some(RuleSet {
            migration_rules: merge(&o.migration_rules, &n.migration_rules),
            domain_rules: merge(&o.domain_rules, &n.domain_rules),
            encoding_rules: merge(&o.encoding_rules, &n.encoding_rules),
        }),
    }
}

/// The data-contract settings of a config (Confluent's `ConfigValue`): which metadata property
/// groups versions for compatibility, and the metadata and rules merged into every schema
/// registered under it (defaults below the schema's own, overrides above).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigContract {
    /// `compatibilityGroup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    /// `defaultMetadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<Metadata>,
    /// `overrideMetadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<Metadata>,
    /// `defaultRuleSet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<RuleSet>,
    /// `overrideRuleSet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<RuleSet>,
}

impl ConfigContract {
    /// Nothing set.
    pub fn is_empty(&self) -> bool {
        *self == ConfigContract::default()
    }

    /// Confluent's `Config.hasDefaultsOrOverrides`: any default or override metadata or rule
    /// set.
    pub fn has_defaults_or_overrides(&self) -> bool {
        self.default_metadata.is_some()
            || self.override_metadata.is_some()
            || self.default_rule_set.is_some()
            || self.override_rule_set.is_some()
    }

    /// Confluent's `ConfigValue.update`: what `new` sets replaces, the rest stays.
    pub fn updated(&self, new: &ConfigContract) -> ConfigContract {
        ConfigContract {
            compatibility_group: new
                .compatibility_group
                .clone()
                .or_else(|| self.compatibility_group.clone()),
            default_metadata: new
                .default_metadata
                .clone()
                .or_else(|| self.default_metadata.clone()),
            override_metadata: new
                .override_metadata
                .clone()
                .or_else(|| self.override_metadata.clone()),
            default_rule_set: new
                .default_rule_set
                .clone()
                .or_else(|| self.default_rule_set.clone()),
            override_rule_set: new
                .override_rule_set
                .clone()
                .or_else(|| self.override_rule_set.clone()),
        }
    }

    /// Each setting from `self`, else from `fallback` (a subject's config over the global one,
    /// setting by setting, as the level and policy are resolved).
    pub fn or(&self, fallback: &ConfigContract) -> ConfigContract {
        fallback.updated(self)
    }
}

/// The property Confluent sets to the version number when it is already in the merged
/// metadata (`confluent:version`, `KafkaSchemaRegistry.maybeSetMetadataRuleSet`).
pub const CONFLUENT_VERSION: &str = "confluent:version";

/// Compact JSON as Jackson writes it: serde_json's output, with control characters escaped
/// as `\u00XX` in upper-case hex (Jackson's `CharTypes.HC`), as the `_schemas` records need.
pub fn to_jackson<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JacksonFormatter);
    // Serializing these types to memory cannot fail: string keys, no custom serializers.
    if value.serialize(&mut ser).is_err() {
        return "null".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "null".into())
}

struct JacksonFormatter;

impl serde_json::ser::Formatter for JacksonFormatter {
    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        match char_escape {
            CharEscape::AsciiControl(b) => write!(writer, "\\u{:04X}", b),
            CharEscape::Quote => writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => writer.write_all(b"\\\\"),
            CharEscape::Solidus => writer.write_all(b"\\/"),
            CharEscape::Backspace => writer.write_all(b"\\b"),
            CharEscape::FormFeed => writer.write_all(b"\\f"),
            CharEscape::LineFeed => writer.write_all(b"\\n"),
            CharEscape::CarriageReturn => writer.write_all(b"\\r"),
            CharEscape::Tab => writer.write_all(b"\\t"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, mode: RuleMode) -> Rule {
        Rule {
            name: Some(name.into()),
            mode,
            rule_type: Some("CEL".into()),
            ..Rule::default()
        }
    }

    #[test]
    fn json_is_jacksons_order_sorted_and_non_empty() {
        let m: Metadata = serde_json::from_str(
            r#"{"sensitive":["b","a"],"properties":{"z":"1","a":"2"},"tags":null,"other":1}"#,
        )
        .unwrap();
        assert_eq!(
            to_jackson(&m),
            r#"{"properties":{"a":"2","z":"1"},"sensitive":["a","b"]}"#
        );
        let r: RuleSet = serde_json::from_str(
            r#"{"domainRules":[{"type":"CEL","name":"n","expr":"x\u0001","params":{"b":"1","a":"2"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            to_jackson(&r),
            "{\"domainRules\":[{\"name\":\"n\",\"kind\":\"TRANSFORM\",\"mode\":\"WRITEREAD\",\"type\":\"CEL\",\"params\":{\"a\":\"2\",\"b\":\"1\"},\"expr\":\"x\\u0001\",\"disabled\":false}]}"
        );
    }

    #[test]
    fn validation_refuses_what_confluent_refuses() {
        let ok = RuleSet {
            migration_rules: vec![rule("up", RuleMode::Upgrade)],
            domain_rules: vec![rule("check", RuleMode::Write)],
            encoding_rules: vec![],
        };
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (
                RuleSet {
                    domain_rules: vec![rule("up", RuleMode::Upgrade)],
                    ..RuleSet::default()
                },
                "Domain rules can only be WRITE, READ, WRITEREAD",
            ),
            (
                RuleSet {
                    migration_rules: vec![rule("w", RuleMode::Write)],
                    ..RuleSet::default()
                },
                "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
            ),
            (
                RuleSet {
                    domain_rules: vec![rule("a", RuleMode::Write), rule("a", RuleMode::Read)],
                    ..RuleSet::default()
                },
                "Found rule with duplicate name 'a'",
            ),
            (
                RuleSet {
                    domain_rules: vec![Rule {
                        rule_type: None,
                        ..rule("a", RuleMode::Write)
                    }],
                    ..RuleSet::default()
                },
                "Missing rule type",
            ),
            (
                RuleSet {
                    domain_rules: vec![rule("1a", RuleMode::Write)],
                    ..RuleSet::default()
                },
                "Illegal initial character in rule name: 1a",
            ),
            (
                RuleSet {
                    domain_rules: vec![Rule {
                        on_failure: Some("ERROR,NONE".into()),
                        ..rule("a", RuleMode::Write)
                    }],
                    ..RuleSet::default()
                },
                "Multiple actions only valid with WRITEREAD and UPDOWN",
            ),
        ];
        for (set, want) in cases {
            assert_eq!(set.validate(), Err(RuleError(want.into())), "{set:?}");
        }
    }

    #[test]
    fn merges_as_confluent() {
        let old = Metadata {
            properties: [("a".into(), "1".into()), ("b".into(), "1".into())].into(),
            sensitive: ["x".into()].into(),
            ..Metadata::default()
        };
        let new = Metadata {
            properties: [("b".into(), "2".into())].into(),
            sensitive: ["y".into()].into(),
            ..Metadata::default()
        };
        let m = merge_metadata(Some(&old), Some(&new)).unwrap();
        assert_eq!(m.property("a"), Some("1"));
        assert_eq!(m.property("b"), Some("2"));
        assert_eq!(m.sensitive.len(), 2);
        let old = RuleSet {
            domain_rules: vec![rule("a", RuleMode::Write), rule("b", RuleMode::Write)],
            ..RuleSet::default()
        };
        let new = RuleSet {
            domain_rules: vec![rule("a", RuleMode::Read)],
            ..RuleSet::default()
        };
        let r = merge_rule_sets(Some(&old), Some(&new)).unwrap();
        let names: Vec<_> = r
            .domain_rules
            .iter()
            .map(|r| (r.name.clone().unwrap(), r.mode))
            .collect();
        assert_eq!(
            names,
            [("b".into(), RuleMode::Write), ("a".into(), RuleMode::Read)]
        );
        assert_eq!(merge_rule_sets(None, Some(&new)), Some(new.clone()));
        assert_eq!(merge_rule_sets(Some(&new), None), Some(new));
    }
}
