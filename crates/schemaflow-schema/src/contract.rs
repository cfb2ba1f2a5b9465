//! Data contracts as Confluent Schema Registry keeps them with a schema version: `metadata`
//! (`tags`, `properties`, `sensitive`) and `ruleSet` (`migrationRules`, `domainRules`,
//! `encodingRules`), and Confluent's validation of a rule set. One definition for the registry
//! server (which stores them) and the client (whose producer and consumer run the rules).
//!
//! The shapes and their JSON follow Confluent's `client/rest/entities/Metadata.java`,
//! `RuleSet.java` and `Rule.java`: `@JsonInclude(NON_EMPTY)` (empty maps, sets, lists and
//! `null` strings left out; the primitive `disabled` always written), properties in the
//! `@JsonCreator` order, maps and sets sorted (`SortedMap`/`SortedSet`), unknown fields
//! ignored. A rule without `kind` is `TRANSFORM`, without `mode` `WRITEREAD` (the creator's
//! defaults).

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
    /// Its name as Confluent writes it (`WRITE`, `CONDITION`, …).
    pub fn name(self) -> &'static str {
        match self {
            RuleMode::Upgrade => "UPGRADE",
            RuleMode::Downgrade => "DOWNGRADE",
            RuleMode::Updown => "UPDOWN",
            RuleMode::Write => "WRITE",
            RuleMode::Read => "READ",
            RuleMode::Writeread => "WRITEREAD",
        }
    }

    /// Whether it is a migration mode (`UPGRADE`, `DOWNGRADE`, `UPDOWN`).
    pub fn is_migration(self) -> bool {
        matches!(
            self,
            RuleMode::Upgrade | RuleMode::Downgrade | RuleMode::Updown
        )
    }
}

impl RuleKind {
    /// Its name as Confluent writes it (`WRITE`, `CONDITION`, …).
    pub fn name(self) -> &'static str {
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

impl std::error::Error for RuleError {}

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
}

impl Metadata {
    /// The value of property `key`.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}
