//! `_schemas` records ↔ the registry's [`Event`]s: which events one record holds, as
//! Confluent's reader understands it (`storage/KafkaStoreReaderThread.java` hands each record
//! to `storage/KafkaStoreMessageHandler.java`), and the records one commit of events writes.
//! The state itself changes only through [`State::apply`], as for every other log.
//!
//! Reading ([`decode`]):
//!
//! - `SCHEMA` with a value: [`Event::Schema`] (the schema under its id, with the guid derived
//!   from the record, [`SchemaValue::guid`]) and [`Event::Version`] (that version of the
//!   subject has that id, `deleted` as written — `deleted:true` is a soft delete). The
//!   record's `metadata` and `ruleSet` belong to the schema under its id, as in Confluent,
//!   whose MD5 of a schema covers them; a soft delete written later rewrites the record with
//!   them. A later record for the same key replaces the earlier one, as compaction would.
//! - `SCHEMA` tombstone: [`Event::DeleteVersion`], permanent. The id stays known, so ids are
//!   never reused (Confluent's next id is the highest seen + 1).
//! - `DELETE_SUBJECT`: [`Event::DeleteSubject`], every version up to its `version`.
//! - `CLEAR_SUBJECT`: [`Event::ClearSubject`], the subject's soft-deleted versions go.
//! - `CONFIG` / `MODE`: set; a tombstone removes it (back to the global or default).
//! - `NOOP`: nothing (the end-of-topic marker). A key type this version does not know:
//!   [`Decoded::Skipped`]; the caller warns and goes on.
//!
//! Writing ([`records_for`]) gives what Confluent writes for the same operation: a `SCHEMA`
//! record per new version (the schema from the commit's own [`Event::Schema`] or, for an
//! existing id under a new subject, from the state), a `SCHEMA` record rewritten with
//! `deleted:true` per soft-deleted version, a tombstone per hard-deleted version, `CONFIG` and
//! `MODE` records, and tombstones of their keys when removed. A soft delete of a whole subject
//! is one `DELETE_SUBJECT` up to its highest live version, followed by tombstones of the
//! subject's `MODE` and `CONFIG` when it had them, as `KafkaSchemaRegistry.deleteSubject`
//! writes it.

use std::collections::HashMap;

use super::record::{
    ClearSubjectValue, ConfigValue, DeleteSubjectValue, FormatError, Key, ModeValue, SchemaValue,
};
use crate::event::{Event, StoredSchema};
use crate::state::State;

/// A record: key bytes, and value bytes or `None` for a tombstone.
pub type Record = (Vec<u8>, Option<Vec<u8>>);

/// What one record holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// These events, in order.
    Events(Vec<Event>),
    /// Nothing: a `NOOP`, or a tombstone of a key that holds no state.
    Noop,
    /// Not applied, and not an error: log a warning with the reason and go on (a key type
    /// or a value this version does not know).
    Skipped(String),
}

/// What reading one record did to the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The state changed.
    Changed,
    /// Nothing to do: a `NOOP`, or a record of what the state already holds.
    Noop,
    /// Not applied (see [`Decoded::Skipped`]).
    Skipped(String),
}

/// The events one topic record holds. A record that cannot be read is a [`FormatError`].
pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Decoded, FormatError> {
    let one = |e: Event| Ok(Decoded::Events(vec![e]));
    match Key::decode(key)? {
        Key::Unknown(keytype) => Ok(Decoded::Skipped(format!(
            "unknown key type {keytype:?} (written by a newer registry?)"
        ))),
        Key::Noop => Ok(Decoded::Noop),
        Key::Schema { subject, version } => match value {
            Some(bytes) => schema_events(subject, version, SchemaValue::decode(bytes)?),
            None => one(Event::DeleteVersion {
                subject,
                version,
                permanent: true,
            }),
        },
        Key::Config { subject } => {
            let (level, policy, contract) = match value {
                Some(bytes) => {
                    let v = ConfigValue::decode(bytes)?;
                    (v.compatibility_level, v.compatibility_policy, v.contract)
                }
                None => (None, None, Default::default()),
            };
            one(Event::Config {
                subject,
                level,
                policy,
                contract,
            })
        }
        Key::Mode { subject } => {
            let mode = match value {
                Some(bytes) => match ModeValue::decode(bytes) {
                    Ok(v) => Some(v.mode),
                    Err(FormatError::Invalid { reason, .. }) => {
                        return Ok(Decoded::Skipped(format!("MODE record: {reason}")))
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            };
            one(Event::Mode { subject, mode })
        }
        Key::DeleteSubject { subject } => {
            let Some(bytes) = value else {
                return Ok(Decoded::Noop);
            };
            let v = DeleteSubjectValue::decode(bytes)?;
            one(Event::DeleteSubject {
                subject,
                version: v.version,
            })
        }
        Key::ClearSubject { subject } => {
            let Some(bytes) = value else {
                return Ok(Decoded::Noop);
            };
            ClearSubjectValue::decode(bytes)?;
            one(Event::ClearSubject { subject })
        }
    }
}

/// Read one topic record into `state`: [`decode`], then [`State::apply`] each event. On a
/// [`FormatError`] the state is unchanged; the caller logs it and goes on with the next record.
pub fn read_record(
    state: &mut State,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<Applied, FormatError> {
    Ok(match decode(key, value)? {
        Decoded::Events(events) => {
            let mut changed = false;
            for e in &events {
                changed |= state.apply(e);
            }
            if changed {
                Applied::Changed
            } else {
                Applied::Noop
            }
        }
        Decoded::Noop => Applied::Noop,
        Decoded::Skipped(reason) => Applied::Skipped(reason),
    })
}

fn schema_events(subject: String, version: i32, v: SchemaValue) -> Result<Decoded, FormatError> {
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
    let schema = StoredSchema {
        id: v.id,
        schema_type: v.schema_type,
        schema: v.schema,
        references: v.references,
        guid,
        metadata: v.metadata,
        rule_set: v.rule_set,
    };
    let version = Event::Version {
        subject,
        version,
        id: v.id,
        deleted: v.deleted,
    };
    Ok(Decoded::Events(vec![Event::Schema(schema), version]))
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
                deleted,
            } => {
                let Some(s) = new_schemas
                    .get(id)
                    .copied()
                    .or_else(|| state.schemas.get(id))
                else {
                    tracing::warn!(
                        subject,
                        version,
                        id,
                        "no schema for id; no SCHEMA record written"
                    );
                    continue;
                };
                out.push(schema_record(subject, *version, s, *deleted));
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
                let entry = state
                    .subjects
                    .get(subject)
                    .and_then(|vs| vs.iter().find(|e| e.version == *version));
                let Some(s) = entry.and_then(|entry| {
                    new_schemas
                        .get(&entry.id)
                        .copied()
                        .or_else(|| state.schemas.get(&entry.id))
                }) else {
                    tracing::warn!(
                        subject,
                        version,
                        "unknown version; no SCHEMA record written"
                    );
                    continue;
                };
                out.push(schema_record(subject, *version, s, true));
            }
            Event::ClearSubject { subject } => out.push((
                Key::ClearSubject {
                    subject: subject.clone(),
                }
                .encode(),
                Some(
                    ClearSubjectValue {
                        subject: subject.clone(),
                    }
                    .encode(),
                ),
            )),
            Event::DeleteSubject { subject, version } => out.push((
                Key::DeleteSubject {
                    subject: subject.clone(),
                }
                .encode(),
                Some(
                    DeleteSubjectValue {
                        subject: subject.clone(),
                        version: *version,
                    }
                    .encode(),
                ),
            )),
            Event::Config {
                subject,
                level,
                policy,
                contract,
            } => {
                let key = Key::Config {
                    subject: subject.clone(),
                }
                .encode();
                // Nothing set: the config is removed (a tombstone).
                let value =
                    (level.is_some() || policy.is_some() || !contract.is_empty()).then(|| {
                        ConfigValue {
                            subject: subject.clone(),
                            compatibility_level: *level,
                            compatibility_policy: policy.clone(),
                            contract: contract.clone(),
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
        metadata: s.metadata.clone(),
        rule_set: s.rule_set.clone(),
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::contract::{Metadata, RuleSet};
    use crate::schemas_topic::record::{guid_for, guid_of};
    use crate::state::VersionEntry;
    use schemaflow::registry::types::{CompatibilityLevel, Mode, SchemaReference};
    use schemaflow::SchemaType;

    /// One line of `tests/fixtures/schemas_topic/records.jsonl`.
    #[derive(serde::Deserialize)]
    struct Fixture {
        what: String,
        key: String,
        value: Option<String>,
        source: String,
        /// The registry events of the same operation, when schemaflow writes this record.
        events: Option<Vec<Event>>,
    }

    fn fixtures() -> Vec<Fixture> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            // The fixtures live with the workspace's tests (the crate split left them there).
            "/../../tests/fixtures/schemas_topic/records.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("fixture file");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("fixture line"))
            .collect()
    }

    fn read_all(fixtures: &[Fixture]) -> (State, Vec<Applied>) {
        let mut state = State::default();
        let applied = fixtures
            .iter()
            .map(|f| {
                read_record(
                    &mut state,
                    f.key.as_bytes(),
                    f.value.as_deref().map(str::as_bytes),
                )
                .unwrap_or_else(|e| panic!("{}: {e}", f.what))
            })
            .collect();
        (state, applied)
    }

    fn schema(id: u32, t: SchemaType, text: &str, refs: Vec<SchemaReference>) -> StoredSchema {
        StoredSchema {
            id,
            schema_type: t,
            schema: text.to_string(),
            guid: guid_for(text, &refs),
            references: refs,
            metadata: None,
            rule_set: None,
        }
    }

    /// Id 7 of the fixtures: `"string"` with metadata and a domain rule.
    fn rules_schema() -> StoredSchema {
        let metadata: Metadata = serde_json::from_str(
            r#"{"tags":{"**.ssn":["PII"]},"properties":{"owner":"team-a"},"sensitive":["ssn"]}"#,
        )
        .expect("metadata");
        let rule_set: RuleSet = serde_json::from_str(
            r#"{"domainRules":[{"name":"checkLen","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"size(message) < 100","disabled":false}]}"#,
        )
        .expect("ruleSet");
        StoredSchema {
            id: 7,
            schema_type: SchemaType::Avro,
            schema: "\"string\"".into(),
            references: vec![],
            guid: guid_of("\"string\"", &[], Some(&metadata), Some(&rule_set)),
            metadata: Some(metadata),
            rule_set: Some(rule_set),
        }
    }

    /// Id 10 of the fixtures: a JSON Schema with metadata and all three rule lists.
    fn contracts_schema() -> StoredSchema {
        let fx = fixtures();
        let f = fx
            .iter()
            .find(|f| f.key.contains("contracts-value") && f.key.contains("SCHEMA"))
            .expect("the contracts-value fixture");
        let v: serde_json::Value =
            serde_json::from_str(f.value.as_deref().unwrap_or_default()).expect("value");
        let metadata: Metadata = serde_json::from_value(v["metadata"].clone()).expect("metadata");
        let rule_set: RuleSet = serde_json::from_value(v["ruleSet"].clone()).expect("ruleSet");
        assert_eq!(rule_set.encoding_rules.len(), 1);
        assert!(rule_set.encoding_rules[0].disabled);
        let text = v["schema"].as_str().expect("schema").to_string();
        StoredSchema {
            id: 10,
            schema_type: SchemaType::Json,
            guid: guid_of(&text, &[], Some(&metadata), Some(&rule_set)),
            schema: text,
            references: vec![],
            metadata: Some(metadata),
            rule_set: Some(rule_set),
        }
    }

    fn versions(vs: &[(i32, u32, bool)]) -> Vec<VersionEntry> {
        vs.iter()
            .map(|&(version, id, deleted)| VersionEntry {
                version,
                id,
                deleted,
            })
            .collect()
    }

    #[test]
    fn every_fixture_cites_its_source() {
        for f in fixtures() {
            assert!(
                f.source.contains("confluentinc/schema-registry") || f.source.contains("karapace"),
                "{}",
                f.what
            );
        }
    }

    #[test]
    fn fixtures_read_into_the_expected_state() {
        let fx = fixtures();
        let (state, applied) = read_all(&fx);
        let o1 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
        let o2 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"note","type":["null","string"],"default":null}]}"#;
        let common =
            "syntax = \"proto3\";\npackage common;\n\nmessage Money {\n  int64 units = 1;\n}\n";
        let pay = "syntax = \"proto3\";\npackage payments;\n\nimport \"common.proto\";\n\nmessage Payment {\n  common.Money amount = 1;\n}\n";
        let refs = vec![SchemaReference {
            name: "common.proto".into(),
            subject: "common.proto".into(),
            version: 1,
        }];
        let addr =
            r#"{"$id":"address.json","type":"object","properties":{"city":{"type":"string"}}}"#;
        let user = r#"{"title":"UserEvent","type":"object","properties":{"address":{"$ref":"address.json"}},"required":["address"]}"#;
        let addr_refs = vec![SchemaReference {
            name: "address.json".into(),
            subject: "address.json".into(),
            version: 1,
        }];
        let want_schemas: BTreeMap<u32, StoredSchema> = [
            schema(1, SchemaType::Avro, o1, vec![]),
            schema(2, SchemaType::Avro, o2, vec![]),
            schema(3, SchemaType::Protobuf, common, vec![]),
            schema(4, SchemaType::Protobuf, pay, refs),
            schema(5, SchemaType::Avro, "\"string\"", vec![]),
            schema(6, SchemaType::Avro, "\"bytes\"", vec![]),
            rules_schema(),
            schema(8, SchemaType::Json, addr, vec![]),
            schema(9, SchemaType::Json, user, addr_refs),
            contracts_schema(),
        ]
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
        assert_eq!(state.schemas, want_schemas);
        let want_subjects: BTreeMap<String, Vec<VersionEntry>> = [
            ("address.json", versions(&[(1, 8, false)])),
            ("common.proto", versions(&[(1, 3, false)])),
            ("contracts-value", versions(&[(1, 10, false)])),
            ("legacy-value", versions(&[(1, 5, true), (2, 6, true)])),
            ("orders-copy-value", versions(&[(1, 1, false)])),
            ("orders-value", versions(&[(2, 2, false)])),
            ("payments-value", versions(&[(1, 4, false)])),
            ("rules-value", versions(&[(1, 7, false)])),
            ("user-events-json-value", versions(&[(1, 9, false)])),
        ]
        .into_iter()
        .map(|(s, v)| (s.to_string(), v))
        .collect();
        let subjects = state.subjects.clone();
        assert_eq!(subjects, want_subjects);
        // FULL from Confluent's key, then FORWARD from Karapace's spelling of the same key.
        assert_eq!(state.global_level, Some(CompatibilityLevel::Forward));
        assert_eq!(
            state.subject_levels,
            HashMap::from([
                ("payments-value".to_string(), CompatibilityLevel::None),
                (
                    "user-events-json-value".to_string(),
                    CompatibilityLevel::Backward
                ),
                ("contracts-value".to_string(), CompatibilityLevel::Backward),
            ])
        );
        // The data-contract settings of a CONFIG record.
        let c = state.contract_for("contracts-value");
        assert_eq!(c.compatibility_group.as_deref(), Some("major"));
        assert_eq!(
            c.default_metadata
                .and_then(|m| m.properties.get("owner").cloned()),
            Some("team-a".to_string())
        );
        assert_eq!(c.override_rule_set.map(|r| r.encoding_rules.len()), Some(1));
        // Confluent's compatibilityPolicy, read with the level.
        assert_eq!(
            state.policy_for("user-events-json-value"),
            schemaflow::compat::json::JsonCompatPolicy::Lenient
        );
        assert_eq!(
            state.policy_for("payments-value"),
            schemaflow::compat::json::JsonCompatPolicy::Strict
        );
        assert_eq!(state.global_mode, None);
        assert_eq!(
            state.subject_modes,
            HashMap::from([("orders-copy-value".to_string(), Mode::Readonly)])
        );
        // Ids 5 and 7 hold the same text, but 7 has metadata and rules: two guids (Confluent's
        // MD5 of a schema covers them).
        for s in state.schemas.values() {
            assert_eq!(state.guids.get(&s.guid), Some(&s.id), "guid of id {}", s.id);
        }
        assert_eq!(state.next_id(), 11);
        for (f, a) in fx.iter().zip(&applied) {
            let want = if f.key.contains("\"NOOP\"") {
                Applied::Noop
            } else if f.key.contains("\"CONTEXT\"") {
                Applied::Skipped(
                    "unknown key type \"CONTEXT\" (written by a newer registry?)".into(),
                )
            } else {
                Applied::Changed
            };
            assert_eq!(a, &want, "{}", f.what);
        }
    }

    #[test]
    fn records_for_the_same_operations_are_byte_identical() {
        let mut state = State::default();
        let mut checked = 0;
        for f in fixtures() {
            if let Some(events) = &f.events {
                let got = records_for(&state, events);
                let want = vec![(
                    f.key.as_bytes().to_vec(),
                    f.value.as_ref().map(|v| v.as_bytes().to_vec()),
                )];
                let show = |r: &[Record]| {
                    r.iter()
                        .map(|(k, v)| {
                            format!(
                                "{} => {:?}",
                                String::from_utf8_lossy(k),
                                v.as_ref().map(|v| String::from_utf8_lossy(v).into_owned())
                            )
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(show(&got), show(&want), "{}", f.what);
                assert_eq!(got, want, "{}", f.what);
                checked += 1;
            }
            read_record(
                &mut state,
                f.key.as_bytes(),
                f.value.as_deref().map(str::as_bytes),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", f.what));
        }
        assert!(checked >= 19, "{checked}");
    }

    #[test]
    fn records_for_works_on_the_state_after_the_commit_too() {
        // A soft delete, given the state after it was applied.
        let fx = fixtures();
        let (state, _) = read_all(&fx[..6]);
        let soft = &fx[5];
        let got = records_for(&state, soft.events.as_deref().unwrap_or_default());
        assert_eq!(
            got,
            vec![(
                soft.key.as_bytes().to_vec(),
                soft.value.as_ref().map(|v| v.as_bytes().to_vec())
            )]
        );
    }

    #[test]
    fn fixture_records_round_trip_byte_for_byte() {
        use super::super::record::{ConfigValue, DeleteSubjectValue, Key, ModeValue, SchemaValue};
        for f in fixtures() {
            let key = Key::decode(f.key.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", f.what));
            let canonical = !matches!(key, Key::Unknown(_)) && !f.what.starts_with("the Karapace");
            if !canonical {
                continue;
            }
            assert_eq!(String::from_utf8_lossy(&key.encode()), f.key, "{}", f.what);
            let Some(value) = &f.value else { continue };
            let again = match key {
                Key::Schema { .. } => SchemaValue::decode(value.as_bytes()).map(|v| v.encode()),
                Key::Config { .. } => ConfigValue::decode(value.as_bytes()).map(|v| v.encode()),
                Key::Mode { .. } => ModeValue::decode(value.as_bytes()).map(|v| v.encode()),
                Key::DeleteSubject { .. } => {
                    DeleteSubjectValue::decode(value.as_bytes()).map(|v| v.encode())
                }
                _ => continue,
            };
            let again = again.unwrap_or_else(|e| panic!("{}: {e}", f.what));
            assert_eq!(String::from_utf8_lossy(&again), *value, "{}", f.what);
        }
    }

    #[test]
    fn state_round_trips_through_records() {
        // Every fixture the registry writes, re-derived from its events, read back: same state.
        let fx = fixtures();
        let writable: Vec<&Fixture> = fx.iter().filter(|f| f.events.is_some()).collect();
        let mut direct = State::default();
        let mut via = State::default();
        for f in writable {
            for (k, v) in records_for(&via, f.events.as_deref().unwrap_or_default()) {
                read_record(&mut via, &k, v.as_deref())
                    .unwrap_or_else(|e| panic!("{}: {e}", f.what));
            }
            read_record(
                &mut direct,
                f.key.as_bytes(),
                f.value.as_deref().map(str::as_bytes),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", f.what));
        }
        assert_eq!(via.schemas, direct.schemas);
        assert_eq!(via.subjects, direct.subjects);
        assert_eq!(via.subject_levels, direct.subject_levels);
        assert_eq!(via.global_level, direct.global_level);
        assert_eq!(via.subject_modes, direct.subject_modes);
        assert_eq!(via.global_mode, direct.global_mode);
        assert_eq!(via.guids, direct.guids);
    }

    #[test]
    fn corrupt_records_are_format_errors_and_change_nothing() {
        let fx = fixtures();
        let (mut state, _) = read_all(&fx);
        let before = format!("{state:?}");
        let key = br#"{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}"#;
        for (k, v) in [
            (&b"{\"keytype\":\"SCH"[..], None),
            (
                &key[..],
                Some(&b"{\"subject\":\"orders-value\",\"version\":3,"[..]),
            ),
            (
                &key[..],
                Some(&br#"{"subject":"other","version":3,"id":9,"schema":"\"int\""}"#[..]),
            ),
            (
                &br#"{"keytype":"CONFIG","magic":0}"#[..],
                Some(&br#"{"compatibilityLevel":7}"#[..]),
            ),
            (
                &br#"{"keytype":"DELETE_SUBJECT","subject":"x","magic":0}"#[..],
                Some(&b"{}"[..]),
            ),
        ] {
            assert!(
                read_record(&mut state, k, v).is_err(),
                "{:?}",
                String::from_utf8_lossy(k)
            );
        }
        assert_eq!(format!("{state:?}"), before);
    }

    #[test]
    fn unknown_key_types_and_modes_are_skipped() {
        let mut state = State::default();
        let got = read_record(
            &mut state,
            br#"{"keytype":"ASSOCIATION","subject":"s","magic":0}"#,
            Some(b"{\"anything\":1}"),
        );
        assert!(matches!(got, Ok(Applied::Skipped(_))), "{got:?}");
        let got = read_record(
            &mut state,
            br#"{"keytype":"MODE","subject":"s","magic":0}"#,
            Some(br#"{"subject":"s","mode":"READONLY_OVERRIDE"}"#),
        );
        assert!(matches!(got, Ok(Applied::Skipped(_))), "{got:?}");
        assert!(state.subject_modes.is_empty());
    }

    #[test]
    fn a_soft_delete_keeps_metadata_and_rule_set_in_place() {
        let fx = fixtures();
        let (state, _) = read_all(&fx);
        let rules = fx
            .iter()
            .find(|f| f.key.contains("rules-value"))
            .expect("rules-value fixture");
        let got = records_for(
            &state,
            &[Event::DeleteVersion {
                subject: "rules-value".into(),
                version: 1,
                permanent: false,
            }],
        );
        let want = rules
            .value
            .as_deref()
            .unwrap_or_default()
            .replace(",\"deleted\":false}", ",\"deleted\":true}");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, rules.key.as_bytes());
        assert_eq!(
            got[0].1.as_deref().map(String::from_utf8_lossy).as_deref(),
            Some(want.as_str())
        );
        // The metadata and rules are the schema's: a tombstone of the version keeps the id's.
        let mut state = state;
        let (k, _) = &got[0];
        read_record(&mut state, k, None).ok();
        assert!(!state.subjects.contains_key("rules-value"));
        assert_eq!(state.schemas.get(&7), Some(&rules_schema()));
    }

    #[test]
    fn a_subject_soft_delete_is_one_delete_subject_then_its_mode_and_config_go() {
        let got = records_for(
            &State::default(),
            &[
                Event::DeleteSubject {
                    subject: "s".into(),
                    version: 3,
                },
                Event::Mode {
                    subject: Some("s".into()),
                    mode: None,
                },
                Event::Config {
                    subject: Some("s".into()),
                    level: None,
                    policy: None,
                    contract: Default::default(),
                },
            ],
        );
        let text: Vec<(String, Option<String>)> = got
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    v.as_deref()
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                )
            })
            .collect();
        assert_eq!(
            text,
            vec![
                (
                    r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#.into(),
                    Some(r#"{"subject":"s","version":3}"#.into())
                ),
                (r#"{"keytype":"MODE","subject":"s","magic":0}"#.into(), None),
                (
                    r#"{"keytype":"CONFIG","subject":"s","magic":0}"#.into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn noop_record_is_confluents() {
        assert_eq!(
            noop_record(),
            (br#"{"keytype":"NOOP","magic":0}"#.to_vec(), None)
        );
        let mut state = State::default();
        let (k, v) = noop_record();
        assert_eq!(
            read_record(&mut state, &k, v.as_deref()).ok(),
            Some(Applied::Noop)
        );
    }
}
