//! The registry's state and the one function that changes it, [`State::apply`]: every backend
//! (file, Kafka topic, memory) reads its log into [`Event`]s and applies them here, so the
//! three cannot drift apart.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::contract::ConfigContract;
use crate::event::{Event, StoredSchema};
use schemaflow::compat::json::JsonCompatPolicy;
use schemaflow::registry::types::{CompatibilityLevel, Mode};

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version number.
    pub version: i32,
    /// The schema id.
    pub id: u32,
    /// Soft-deleted.
    pub deleted: bool,
}

/// The registry's state: what replaying a log gives.
#[derive(Debug, Default)]
pub struct State {
    /// Schemas by id.
    pub schemas: BTreeMap<u32, StoredSchema>,
    /// Versions by subject, in version order.
    pub subjects: BTreeMap<String, Vec<VersionEntry>>,
    /// Global compatibility level (default BACKWARD).
    pub global_level: Option<CompatibilityLevel>,
    /// Per-subject levels.
    pub subject_levels: HashMap<String, CompatibilityLevel>,
    /// Global JSON Schema compatibility policy (Confluent's `compatibilityPolicy`; default
    /// STRICT).
    pub global_policy: Option<JsonCompatPolicy>,
    /// Per-subject policies.
    pub subject_policies: HashMap<String, JsonCompatPolicy>,
    /// Global mode.
    pub global_mode: Option<Mode>,
    /// Per-subject modes.
    pub subject_modes: HashMap<String, Mode>,
    /// GUID → id.
    pub guids: HashMap<String, u32>,
    /// Global data-contract settings (`compatibilityGroup`, default and override metadata and
    /// rule sets).
    pub global_contract: ConfigContract,
    /// Per-subject data-contract settings.
    pub subject_contracts: HashMap<String, ConfigContract>,
    /// Ids whose every version was permanently deleted: they no longer resolve (Confluent's
    /// `InMemoryCache.schemaTombstoned` forgets a schema with its last key), but stay in
    /// `schemas` so that they are never given again.
    pub forgotten: HashSet<u32>,
}

impl State {
    /// Apply one event; whether the state changed (a log may repeat what is already known:
    /// the Kafka topic holds every instance's writes, and compaction keeps the latest record
    /// per key).
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Schema(s) => {
                if self.schemas.get(&s.id) == Some(s) {
                    return false;
                }
                // The id written again with other text (another registry's topic): its old
                // guid no longer names it.
                if let Some(old) = self.schemas.get(&s.id) {
                    if self.guids.get(&old.guid) == Some(&s.id) {
                        self.guids.remove(&old.guid);
                    }
                }
                self.guids.insert(s.guid.clone(), s.id);
                self.schemas.insert(s.id, s.clone());
                true
            }
            Event::Version {
                subject,
                version,
                id,
                deleted,
            } => {
                let entry = VersionEntry {
                    version: *version,
                    id: *id,
                    deleted: *deleted,
                };
                self.forgotten.remove(id);
                let versions = self.subjects.entry(subject.clone()).or_default();
                match versions.iter_mut().find(|e| e.version == *version) {
                    Some(e) if *e == entry => false,
                    Some(e) => {
                        *e = entry;
                        true
                    }
                    None => {
                        versions.push(entry);
                        versions.sort_by_key(|v| v.version);
                        true
                    }
                }
            }
            Event::DeleteVersion {
                subject,
                version,
                permanent: true,
            } => self.remove_versions(subject, |v| v.version == *version),
            Event::DeleteVersion {
                subject,
                version,
                permanent: false,
            } => self.soft_delete(subject, |v| v.version == *version),
            Event::DeleteSubject { subject, version } => {
                self.soft_delete(subject, |v| v.version <= *version)
            }
            Event::ClearSubject { subject } => self.remove_versions(subject, |v| v.deleted),
            Event::Config {
                subject,
                level,
                policy,
                contract,
            } => {
                let contract_changed = match subject {
                    None => {
                        std::mem::replace(&mut self.global_contract, contract.clone()) != *contract
                    }
                    Some(s) if contract.is_empty() => self.subject_contracts.remove(s).is_some(),
                    Some(s) => {
                        self.subject_contracts.insert(s.clone(), contract.clone())
                            != Some(contract.clone())
                    }
                };
                // A policy this version cannot read counts as none (STRICT).
                let policy: Option<JsonCompatPolicy> =
                    policy.as_deref().and_then(|p| p.parse().ok());
                let policy_changed = match subject {
                    None => std::mem::replace(&mut self.global_policy, policy) != policy,
                    Some(s) => match policy {
                        Some(p) => self.subject_policies.insert(s.clone(), p) != Some(p),
                        None => self.subject_policies.remove(s).is_some(),
                    },
                };
                let level_changed = match (subject, level) {
                    (None, l) => std::mem::replace(&mut self.global_level, *l) != *l,
                    (Some(s), Some(l)) => self.subject_levels.insert(s.clone(), *l) != Some(*l),
                    (Some(s), None) => self.subject_levels.remove(s).is_some(),
                };
                policy_changed | level_changed | contract_changed
            }
            Event::Mode { subject, mode } => match (subject, mode) {
                (None, m) => std::mem::replace(&mut self.global_mode, *m) != *m,
                (Some(s), Some(m)) => self.subject_modes.insert(s.clone(), *m) != Some(*m),
                (Some(s), None) => self.subject_modes.remove(s).is_some(),
            },
        }
    }

    fn soft_delete(&mut self, subject: &str, which: impl Fn(&VersionEntry) -> bool) -> bool {
        let mut changed = false;
        if let Some(versions) = self.subjects.get_mut(subject) {
            for v in versions.iter_mut().filter(|v| which(v)) {
                changed |= !v.deleted;
                v.deleted = true;
            }
        }
        changed
    }

    /// Ids stay known when their last version goes: ids are never reused (the next id is
    /// the highest seen + 1, as Confluent's).
    fn remove_versions(&mut self, subject: &str, gone: impl Fn(&VersionEntry) -> bool) -> bool {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return false;
        };
        let removed: Vec<u32> = versions.iter().filter(|v| gone(v)).map(|v| v.id).collect();
        versions.retain(|v| !gone(v));
        if versions.is_empty() {
            self.subjects.remove(subject);
        }
        for id in &removed {
            if !self.id_in_use(*id) {
                self.forgotten.insert(*id);
            }
        }
        !removed.is_empty()
    }

    /// Whether a version of any subject (soft-deleted ones included) has the id.
    fn id_in_use(&self, id: u32) -> bool {
        self.subjects
            .values()
            .any(|vs| vs.iter().any(|e| e.id == id))
    }

    /// The schema under `id`, unless no version has it any more (hard-deleted).
    pub fn resolvable(&self, id: u32) -> Option<&StoredSchema> {
        if self.forgotten.contains(&id) {
            return None;
        }
        self.schemas.get(&id)
    }

    /// The next free schema id.
    pub fn next_id(&self) -> u32 {
        self.schemas.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Live (not soft-deleted) versions of a subject.
    pub fn live_versions(&self, subject: &str) -> Vec<VersionEntry> {
        self.subjects
            .get(subject)
            .map(|v| v.iter().filter(|e| !e.deleted).cloned().collect())
            .unwrap_or_default()
    }

    /// The level in force for a subject.
    pub fn level_for(&self, subject: &str) -> CompatibilityLevel {
        self.subject_levels
            .get(subject)
            .copied()
            .or(self.global_level)
            .unwrap_or_default()
    }

    /// The JSON Schema compatibility policy in force for a subject (subject, then global,
    /// then STRICT, as Confluent resolves `compatibilityPolicy`).
    pub fn policy_for(&self, subject: &str) -> JsonCompatPolicy {
        self.subject_policies
            .get(subject)
            .copied()
            .or(self.global_policy)
            .unwrap_or_default()
    }

    /// The data-contract settings in force for a subject: each of the subject's own, else the
    /// global one (resolved setting by setting, as the level is).
    pub fn contract_for(&self, subject: &str) -> ConfigContract {
        match self.subject_contracts.get(subject) {
            Some(c) => c.or(&self.global_contract),
            None => self.global_contract.clone(),
        }
    }

    /// The mode in force for a subject.
    pub fn mode_for(&self, subject: &str) -> Mode {
        self.subject_modes
            .get(subject)
            .copied()
            .or(self.global_mode)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemaflow::SchemaType;

    fn schema(id: u32, text: &str) -> StoredSchema {
        StoredSchema {
            id,
            schema_type: SchemaType::Avro,
            schema: text.into(),
            references: vec![],
            guid: format!("guid-{text}"),
            metadata: None,
            rule_set: None,
        }
    }

    fn versions(state: &State, subject: &str) -> Vec<(i32, u32, bool)> {
        state
            .subjects
            .get(subject)
            .map(|vs| vs.iter().map(|v| (v.version, v.id, v.deleted)).collect())
            .unwrap_or_default()
    }

    /// `s` with versions 1..=n, version i on id i.
    fn with_versions(n: i32) -> State {
        let mut state = State::default();
        for v in 1..=n {
            let id = v as u32;
            state.apply(&Event::Schema(schema(id, &format!("\"t{id}\""))));
            state.apply(&Event::version("s", v, id));
        }
        state
    }

    #[test]
    fn schema_is_known_under_its_id_and_guid_and_repeating_it_changes_nothing() {
        let mut state = State::default();
        assert!(state.apply(&Event::Schema(schema(3, "\"int\""))));
        assert!(!state.apply(&Event::Schema(schema(3, "\"int\""))));
        assert_eq!(state.guids.get("guid-\"int\""), Some(&3));
        assert_eq!(state.next_id(), 4);
        // The same id with other text: the old guid no longer names it.
        assert!(state.apply(&Event::Schema(schema(3, "\"long\""))));
        assert_eq!(state.guids.get("guid-\"int\""), None);
        assert_eq!(state.guids.get("guid-\"long\""), Some(&3));
    }

    /// Issue 28: Confluent forgets a schema when its last version is permanently deleted
    /// (`InMemoryCache.schemaTombstoned`), but its id is never given again.
    #[test]
    fn a_schema_no_version_uses_no_longer_resolves_but_keeps_its_id_taken() {
        let mut state = with_versions(2);
        // Id 1 also under another subject: deleting s/1 leaves it in use.
        state.apply(&Event::version("t", 1, 1));
        let hard = |state: &mut State, subject: &str, version| {
            state.apply(&Event::DeleteVersion {
                subject: subject.into(),
                version,
                permanent: true,
            })
        };
        assert!(hard(&mut state, "s", 1));
        assert!(state.resolvable(1).is_some(), "t/1 still uses id 1");
        // A soft delete keeps it resolvable (data written with it stays readable).
        state.apply(&Event::DeleteVersion {
            subject: "t".into(),
            version: 1,
            permanent: false,
        });
        assert!(state.resolvable(1).is_some());
        assert!(hard(&mut state, "t", 1));
        assert!(
            state.resolvable(1).is_none(),
            "no version uses id 1 any more"
        );
        assert!(hard(&mut state, "s", 2));
        assert!(state.resolvable(2).is_none());
        assert_eq!(state.next_id(), 3, "forgotten ids stay taken");
        // Used again (another registry's record, or the same schema registered again).
        state.apply(&Event::version("u", 1, 2));
        assert!(state.resolvable(2).is_some());
        assert!(state.resolvable(1).is_none());
    }

    #[test]
    fn version_is_added_in_order_and_rewritten_in_place() {
        let mut state = State::default();
        assert!(state.apply(&Event::version("s", 2, 7)));
        assert!(state.apply(&Event::version("s", 1, 5)));
        assert!(!state.apply(&Event::version("s", 1, 5)));
        assert_eq!(versions(&state, "s"), [(1, 5, false), (2, 7, false)]);
        assert!(state.apply(&Event::Version {
            subject: "s".into(),
            version: 2,
            id: 7,
            deleted: true,
        }));
        assert_eq!(versions(&state, "s"), [(1, 5, false), (2, 7, true)]);
        assert_eq!(state.live_versions("s").len(), 1);
    }

    #[test]
    fn delete_version_soft_keeps_it_and_permanent_removes_it() {
        let mut state = with_versions(2);
        let soft = Event::DeleteVersion {
            subject: "s".into(),
            version: 1,
            permanent: false,
        };
        assert!(state.apply(&soft));
        assert!(!state.apply(&soft));
        assert_eq!(versions(&state, "s"), [(1, 1, true), (2, 2, false)]);
        for v in [1, 2] {
            assert!(state.apply(&Event::DeleteVersion {
                subject: "s".into(),
                version: v,
                permanent: true,
            }));
        }
        assert!(!state.subjects.contains_key("s"), "no versions, no subject");
        assert_eq!(state.next_id(), 3, "ids are never reused");
        assert!(!state.apply(&Event::DeleteVersion {
            subject: "gone".into(),
            version: 1,
            permanent: true,
        }));
    }

    #[test]
    fn delete_subject_soft_deletes_up_to_its_version() {
        let mut state = with_versions(3);
        assert!(state.apply(&Event::DeleteSubject {
            subject: "s".into(),
            version: 2,
        }));
        assert_eq!(
            versions(&state, "s"),
            [(1, 1, true), (2, 2, true), (3, 3, false)]
        );
        assert!(!state.apply(&Event::DeleteSubject {
            subject: "other".into(),
            version: 9,
        }));
    }

    #[test]
    fn clear_subject_removes_the_soft_deleted_versions() {
        let mut state = with_versions(2);
        assert!(!state.apply(&Event::ClearSubject {
            subject: "s".into()
        }));
        state.apply(&Event::DeleteVersion {
            subject: "s".into(),
            version: 1,
            permanent: false,
        });
        assert!(state.apply(&Event::ClearSubject {
            subject: "s".into()
        }));
        assert_eq!(versions(&state, "s"), [(2, 2, false)]);
        state.apply(&Event::DeleteSubject {
            subject: "s".into(),
            version: 2,
        });
        assert!(state.apply(&Event::ClearSubject {
            subject: "s".into()
        }));
        assert!(!state.subjects.contains_key("s"));
    }

    #[test]
    fn config_sets_and_removes_global_and_subject_levels() {
        let mut state = State::default();
        let set = |subject: Option<&str>, level| Event::Config {
            subject: subject.map(str::to_owned),
            level,
            policy: None,
            contract: ConfigContract::default(),
        };
        assert!(state.apply(&set(None, Some(CompatibilityLevel::Full))));
        assert!(!state.apply(&set(None, Some(CompatibilityLevel::Full))));
        assert!(state.apply(&set(Some("s"), Some(CompatibilityLevel::None))));
        assert_eq!(state.level_for("s"), CompatibilityLevel::None);
        assert_eq!(state.level_for("t"), CompatibilityLevel::Full);
        assert!(state.apply(&set(Some("s"), None)));
        assert!(!state.apply(&set(Some("s"), None)));
        assert_eq!(state.level_for("s"), CompatibilityLevel::Full);
        assert!(state.apply(&set(None, None)));
        assert_eq!(state.level_for("s"), CompatibilityLevel::default());
    }

    #[test]
    fn mode_sets_and_removes_global_and_subject_modes() {
        let mut state = State::default();
        let set = |subject: Option<&str>, mode| Event::Mode {
            subject: subject.map(str::to_owned),
            mode,
        };
        assert!(state.apply(&set(None, Some(Mode::Readonly))));
        assert!(state.apply(&set(Some("s"), Some(Mode::Import))));
        assert_eq!(state.mode_for("s"), Mode::Import);
        assert_eq!(state.mode_for("t"), Mode::Readonly);
        assert!(state.apply(&set(Some("s"), None)));
        assert!(!state.apply(&set(Some("s"), None)));
        assert_eq!(state.mode_for("s"), Mode::Readonly);
        assert!(state.apply(&set(None, None)));
        assert_eq!(state.mode_for("s"), Mode::default());
    }

    #[test]
    fn config_contracts_are_set_removed_and_resolved_setting_by_setting() {
        let mut state = State::default();
        let set = |subject: Option<&str>, group: Option<&str>, md: bool| Event::Config {
            subject: subject.map(str::to_owned),
            level: None,
            policy: None,
            contract: ConfigContract {
                compatibility_group: group.map(str::to_owned),
                default_metadata: md.then(crate::contract::Metadata::default),
                ..ConfigContract::default()
            },
        };
        assert!(state.apply(&set(None, Some("major"), false)));
        assert!(!state.apply(&set(None, Some("major"), false)));
        assert!(state.apply(&set(Some("s"), None, true)));
        let c = state.contract_for("s");
        assert_eq!(c.compatibility_group.as_deref(), Some("major"));
        assert!(c.default_metadata.is_some());
        assert!(state.contract_for("t").default_metadata.is_none());
        assert!(state.apply(&set(Some("s"), None, false)));
        assert!(!state.subject_contracts.contains_key("s"));
    }
}
