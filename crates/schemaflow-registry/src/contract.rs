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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Confluent's `Metadata`: tags by path, free-form properties, sensitive property names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Metadata {
    /// Tags by path (`**.ssn` → `PII`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, BTreeSet<String>>,
    /// Properties (`owner` → `team-a`); `confluent:version` is the registry's own.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub properties: BTreeMap<String, String>,
    /// Names of properties holding sensitive values.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub sensitive: BTreeSet<String>,
}

/// What a rule does: Confluent's `RuleKind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleKind {
    /// Changes the value (the default).
    #[default]
    Transform,
    /// Checks the value.
    Condition,
}

/// When a rule applies: Confluent's `RuleMode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleMode {
    /// Migration from an older version.
    Upgrade,
    /// Migration to an older version.
    Downgrade,
    /// Both migrations.
    Updown,
    /// On write.
    Write,
    /// On read.
    Read,
    /// On write and read (the default).
    #[default]
    Writeread,
}

impl RuleMode {
    fn name(self) -> &'static str {
        match self {
            RuleMode::Upgrade => "UPGRADE",
            RuleMode::Downgrade => "DOWNGRADE",
            RuleMode::Updown => "UPDOWN",
            RuleMode::Write => "WRITE",
            RuleMode::Read => "READ",
            RuleMode::Writeread => "WRITEREAD",
        }
    }

    fn is_migration(self) -> bool {
        matches!(
            self,
            RuleMode::Upgrade | RuleMode::Downgrade | RuleMode::Updown
        )
    }
}

impl RuleKind {
    fn name(self) -> &'static str {
        match self {
            RuleKind::Transform => "TRANSFORM",
            RuleKind::Condition => "CONDITION",
        }
    }
}

/// One rule: Confluent's `Rule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Unique within the rule set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Transform or condition.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: RuleKind,
    /// When it applies.
    #[serde(default, deserialize_with = "null_as_default")]
    pub mode: RuleMode,
    /// The executor (`CEL`, `CEL_FIELD`, `JSONATA`, `ENCRYPT`, …).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<String>,
    /// The tags of the fields it applies to.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub tags: BTreeSet<String>,
    /// The executor's parameters.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub params: BTreeMap<String, String>,
    /// The expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// Action on success (`NONE`, `ERROR`, `DLQ`, or `write,read` for two-way modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// Action on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// Disabled (always written, as Jackson writes a primitive).
    #[serde(default, deserialize_with = "null_as_default")]
    pub disabled: bool,
}

/// Confluent's `RuleSet`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSet {
    /// Rules between versions (`UPGRADE`, `DOWNGRADE`, `UPDOWN`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub migration_rules: Vec<Rule>,
    /// Rules on the data (`WRITE`, `READ`, `WRITEREAD`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub domain_rules: Vec<Rule>,
    /// Rules on the encoded bytes (`WRITE`, `READ`, `WRITEREAD`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub encoding_rules: Vec<Rule>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A rule set Confluent refuses (`RuleSet.validate`, `Rule.validate`): answered with 42210
/// and this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError(pub String);

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Rule.NAME_MAX_LENGTH`.
const NAME_MAX_LENGTH: usize = 64;

impl Rule {
    /// Confluent's `Rule.validate`: a name (letter or `_` first, then letters, digits, `_`,
    /// `-`; at most 64), a type, and two actions (`a,b`) only in the two-way modes.
    pub fn validate(&self) -> Result<(), RuleError> {
        let err = |m: String| Err(RuleError(m));
        let Some(name) = &self.name else {
            return err("Missing rule name".into());
        };
        // Java counts UTF-16 units; the name's own characters decide legality below, so only
        // the length test can differ, and only for characters outside the BMP.
        let length = name.encode_utf16().count();
        if length == 0 {
            return err("Empty rule name".into());
        }
        if length > NAME_MAX_LENGTH {
            return err("Rule name too long".into());
        }
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            if !(first.is_alphabetic() || first == '_') {
                return err(format!("Illegal initial character in rule name: {name}"));
            }
        }
        if chars.any(|c| !(c.is_alphanumeric() || c == '_' || c == '-')) {
            return err(format!("Illegal character in rule name: {name}"));
        }
        if self.rule_type.is_none() {
            return err("Missing rule type".into());
        }
        for action in [&self.on_success, &self.on_failure].into_iter().flatten() {
            if !matches!(self.mode, RuleMode::Writeread | RuleMode::Updown) && action.contains(',')
            {
                return err("Multiple actions only valid with WRITEREAD and UPDOWN".into());
            }
        }
        Ok(())
    }

    /// `Rule.updateHash`.
    fn update_hash(&self, h: &mut dyn FnMut(&[u8])) {
        for s in [&self.name, &self.doc].into_iter().flatten() {
            h(s.as_bytes());
        }
        h(self.kind.name().as_bytes());
        h(self.mode.name().as_bytes());
        if let Some(t) = &self.rule_type {
            h(t.as_bytes());
        }
        for t in &self.tags {
            h(t.as_bytes());
        }
        for (k, v) in &self.params {
            h(k.as_bytes());
            h(v.as_bytes());
        }
        for s in [&self.expr, &self.on_success, &self.on_failure]
            .into_iter()
            .flatten()
        {
            h(s.as_bytes());
        }
        if self.disabled {
            h(&[1]);
        }
    }
}

impl RuleSet {
    /// Confluent's `RuleSet.validate`: names unique across the three lists, each rule valid,
    /// migration rules `UPGRADE`/`DOWNGRADE`/`UPDOWN`, domain and encoding rules
    /// `WRITE`/`READ`/`WRITEREAD`.
    pub fn validate(&self) -> Result<(), RuleError> {
        let mut names = BTreeSet::new();
        let lists: [(&[Rule], bool, &str); 3] = [
            (
                &self.migration_rules,
                true,
                "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
            ),
            (
                &self.domain_rules,
                false,
                "Domain rules can only be WRITE, READ, WRITEREAD",
            ),
            (
                &self.encoding_rules,
                false,
                "Encoding rules can only be WRITE, READ, WRITEREAD",
            ),
        ];
        for (rules, migration, wrong_mode) in lists {
            for rule in rules {
                let name = rule.name.clone().unwrap_or_else(|| "null".into());
                if !names.insert(name.clone()) {
                    return Err(RuleError(format!(
                        "Found rule with duplicate name '{name}'"
                    )));
                }
                rule.validate()?;
                if rule.mode.is_migration() != migration {
                    return Err(RuleError(wrong_mode.into()));
                }
            }
        }
        Ok(())
    }

    /// `RuleSet.updateHash`.
    fn update_hash(&self, h: &mut dyn FnMut(&[u8])) {
        for r in self
            .migration_rules
            .iter()
            .chain(&self.domain_rules)
            .chain(&self.encoding_rules)
        {
            r.update_hash(h);
        }
    }
}

impl Metadata {
    /// `Metadata.updateHash`.
    fn update_hash(&self, h: &mut dyn FnMut(&[u8])) {
        for (k, vs) in &self.tags {
            h(k.as_bytes());
            for v in vs {
                h(v.as_bytes());
            }
        }
        for (k, v) in &self.properties {
            h(k.as_bytes());
            h(v.as_bytes());
        }
        for s in &self.sensitive {
            h(s.as_bytes());
        }
    }

    /// The value of property `key`.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
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
        m.update_hash(h);
    }
    if let Some(r) = rule_set {
        h(&[1]);
        r.update_hash(h);
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
