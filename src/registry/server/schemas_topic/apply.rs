//! One `_schemas` record applied to the registry's [`State`], as Confluent's reader applies it
//! (`storage/KafkaStoreReaderThread.java` hands each record to
//! `storage/KafkaStoreMessageHandler.java`), and the records one commit of [`Event`]s writes.
//!
//! Reading ([`apply`]):
//!
//! - `SCHEMA` with a value: that version of the subject now has that id, `deleted` as
//!   written (`deleted:true` is a soft delete); the schema is known under its id, with the
//!   guid derived from the record ([`SchemaValue::guid`]). A later record for the same key
//!   replaces the earlier one, as compaction would.
//! - `SCHEMA` tombstone: that version is gone (hard delete). The id stays known, so ids are
//!   never reused (Confluent's next id is the highest seen + 1).
//! - `DELETE_SUBJECT`: every version up to its `version` is soft-deleted.
//! - `CLEAR_SUBJECT`: the subject's soft-deleted versions are gone.
//! - `CONFIG` / `MODE`: set; a tombstone removes it (back to the global or default).
//! - `NOOP`: nothing (the end-of-topic marker). A key type this version does not know:
//!   [`Applied::Skipped`]; the caller warns and goes on.
//!
//! Writing ([`records_for`]) gives what Confluent writes for the same operation: a `SCHEMA`
//! record per new version (the schema from the commit's own [`Event::Schema`] or, for an
//! existing id under a new subject, from the state), a `SCHEMA` record rewritten with
//! `deleted:true` per soft-deleted version, a tombstone per hard-deleted version, `CONFIG` and
//! `MODE` records, and tombstones of their keys when removed. A soft delete of a whole subject
//! is written as its versions' `deleted:true` records rather than one `DELETE_SUBJECT`: the
//! resulting state is the same for Confluent, Karapace and this reader, and compaction keeps
//! one record per version.

use std::collections::HashMap;

use super::record::{
    ClearSubjectValue, ConfigValue, DeleteSubjectValue, FormatError, Key, ModeValue, SchemaValue,
};
use crate::registry::server::store::{Event, State, StoredSchema, VersionEntry};

/// A record: key bytes, and value bytes or `None` for a tombstone.
pub type Record = (Vec<u8>, Option<Vec<u8>>);

/// What applying one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The state changed.
    Changed,
    /// Nothing to do: a `NOOP`, or a tombstone of something already absent.
    Noop,
    /// Not applied, and not an error: log a warning with the reason and go on (a key type
    /// or a value this version does not know).
    Skipped(String),
}

/// Apply one topic record to `state`. A record that cannot be read is a [`FormatError`]:
/// the state is unchanged, the caller logs it and goes on with the next record.
pub fn apply(state: &mut State, key: &[u8], value: Option<&[u8]>) -> Result<Applied, FormatError> {
    let key = Key::decode(key)?;
    match key {
        Key::Unknown(keytype) => Ok(Applied::Skipped(format!(
            "unknown key type {keytype:?} (written by a newer registry?)"
        ))),
        Key::Noop => Ok(Applied::Noop),
        Key::Schema { subject, version } => match value {
            Some(bytes) => apply_schema(state, &subject, version, SchemaValue::decode(bytes)?),
            None => Ok(remove_versions(state, &subject, |v| v.version == version)),
        },
        Key::Config { subject } => {
            let level = match value {
                Some(bytes) => ConfigValue::decode(bytes)?.compatibility_level,
                None => None,
            };
            let changed = match subject {
                None => std::mem::replace(&mut state.global_level, level) != level,
                Some(s) => match level {
                    Some(l) => state.subject_levels.insert(s, l) != Some(l),
                    None => state.subject_levels.remove(&s).is_some(),
                },
            };
            Ok(changed_if(changed))
        }
        Key::Mode { subject } => {
            let mode = match value {
                Some(bytes) => match ModeValue::decode(bytes) {
                    Ok(v) => Some(v.mode),
                    Err(FormatError::Invalid { reason, .. }) => {
                        return Ok(Applied::Skipped(format!("MODE record: {reason}")))
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let changed = match subject {
                None => std::mem::replace(&mut state.global_mode, mode) != mode,
                Some(s) => match mode {
                    Some(m) => state.subject_modes.insert(s, m) != Some(m),
                    None => state.subject_modes.remove(&s).is_some(),
                },
            };
            Ok(changed_if(changed))
        }
        Key::DeleteSubject { subject } => {
            let Some(bytes) = value else {
                return Ok(Applied::Noop);
            };
            let v = DeleteSubjectValue::decode(bytes)?;
            let mut changed = false;
            if let Some(versions) = state.subjects.get_mut(&subject) {
                for e in versions.iter_mut().filter(|e| e.version <= v.version) {
                    changed |= !e.deleted;
                    e.deleted = true;
                }
            }
            Ok(changed_if(changed))
        }
        Key::ClearSubject { subject } => {
            let Some(bytes) = value else {
                return Ok(Applied::Noop);
            };
            ClearSubjectValue::decode(bytes)?;
            Ok(remove_versions(state, &subject, |v| v.deleted))
        }
    }
}

fn changed_if(changed: bool) -> Applied {
    if changed {
        Applied::Changed
    } else {
        Applied::Noop
    }
}

fn apply_schema(
    state: &mut State,
    subject: &str,
    version: i32,
    v: SchemaValue,
) -> Result<Applied, FormatError> {
    if v.subject != subject || v.version != version {
        return Err(FormatError::Invalid {
            what: "SCHEMA value",
            reason: format!(
                "holds {}/{} under the key of {subject}/{version}",
                v.subject, v.version
            ),
        });
    }
    let guid = v.guid();
    let stored = StoredSchema {
        id: v.id,
        schema_type: v.schema_type,
        schema: v.schema,
        references: v.references,
        guid,
    };
    let mut changed = false;
    if state.schemas.get(&v.id) != Some(&stored) {
        if let Some(old) = state.schemas.get(&v.id) {
            if state.guids.get(&old.guid) == Some(&v.id) {
                state.guids.remove(&old.guid);
            }
        }
        state.guids.insert(stored.guid.clone(), v.id);
        state.schemas.insert(v.id, stored);
        changed = true;
    }
    let versions = state.subjects.entry(subject.to_string()).or_default();
    let entry = VersionEntry {
        version,
        id: v.id,
        deleted: v.deleted,
    };
    match versions.iter_mut().find(|e| e.version == version) {
        Some(e) => {
            changed |= *e != entry;
            *e = entry;
        }
        None => {
            versions.push(entry);
            versions.sort_by_key(|e| e.version);
            changed = true;
        }
    }
    Ok(changed_if(changed))
}

fn remove_versions(state: &mut State, subject: &str, gone: impl Fn(&VersionEntry) -> bool) -> Applied {
    let Some(versions) = state.subjects.get_mut(subject) else {
        return Applied::Noop;
    };
    let before = versions.len();
    versions.retain(|v| !gone(v));
    let changed = versions.len() != before;
    if versions.is_empty() {
        state.subjects.remove(subject);
    }
    changed_if(changed)
}

/// The records Confluent would write for one commit's `events`, in order. `state` is the
/// state before or after the commit (both work): it gives the schema of an existing id and
/// the id of a soft-deleted version. An event whose schema or version cannot be found in
/// either is left out with a warning (it cannot happen for events the registry produced).
pub fn records_for(state: &State, events: &[Event]) -> Vec<Record> {
    let mut new_schemas: HashMap<u32, &StoredSchema> = HashMap::new();
    let mut out = Vec::new();
    for event in events {
        match event {
            Event::Schema(s) => {
                new_schemas.insert(s.id, s);
            }
            Event::Version {
                subject,
                version,
                id,
            } => {
                let Some(s) = new_schemas.get(id).copied().or_else(|| state.schemas.get(id)) else {
                    tracing::warn!(subject, version, id, "no schema for id; no SCHEMA record written");
                    continue;
                };
                out.push(schema_record(subject, *version, s, false));
            }
            Event::DeleteVersion {
                subject,
                version,
                permanent: true,
            } => out.push((
                Key::Schema {
                    subject: subject.clone(),
                    version: *version,
                }
                .encode(),
                None,
            )),
            Event::DeleteVersion {
                subject,
                version,
                permanent: false,
            } => {
                let id = state
                    .subjects
                    .get(subject)
                    .and_then(|vs| vs.iter().find(|e| e.version == *version))
                    .map(|e| e.id);
                let Some(s) = id.and_then(|id| new_schemas.get(&id).copied().or_else(|| state.schemas.get(&id)))
                else {
                    tracing::warn!(subject, version, "unknown version; no SCHEMA record written");
                    continue;
                };
                out.push(schema_record(subject, *version, s, true));
            }
            Event::Config { subject, level } => {
                let key = Key::Config {
                    subject: subject.clone(),
                }
                .encode();
                let value = level.map(|l| {
                    ConfigValue {
                        subject: subject.clone(),
                        compatibility_level: Some(l),
                    }
                    .encode()
                });
                out.push((key, value));
            }
            Event::Mode { subject, mode } => {
                let key = Key::Mode {
                    subject: subject.clone(),
                }
                .encode();
                let value = mode.map(|m| {
                    ModeValue {
                        subject: subject.clone(),
                        mode: m,
                    }
                    .encode()
                });
                out.push((key, value));
            }
        }
    }
    out
}

fn schema_record(subject: &str, version: i32, s: &StoredSchema, deleted: bool) -> Record {
    let key = Key::Schema {
        subject: subject.to_string(),
        version,
    }
    .encode();
    let value = SchemaValue {
        subject: subject.to_string(),
        version,
        id: s.id,
        md5: None,
        schema_type: s.schema_type,
        references: s.references.clone(),
        metadata: None,
        rule_set: None,
        schema: s.schema.clone(),
        deleted,
    }
    .encode();
    (key, Some(value))
}

/// The `NOOP` record Confluent's `KafkaStore` writes to learn where the topic ends (key
/// `{"keytype":"NOOP","magic":0}`, no value).
pub fn noop_record() -> Record {
    (Key::Noop.encode(), None)
}
