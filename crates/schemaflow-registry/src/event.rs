//! One change to the registry, as every log keeps it: a line of the file log, a record (or a
//! few) of the Kafka topic, an entry of the in-memory log. The vocabulary of the registry,
//! with no knowledge of where it is kept: every backend reads its log into these events and
//! [`State::apply`](crate::State::apply) is the one place that turns them into state.

use serde::{Deserialize, Serialize};

use schemaflow::registry::types::{CompatibilityLevel, Mode, SchemaReference};
use schemaflow::SchemaType;

/// A schema known to the registry, under its global id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchema {
    /// Global id.
    pub id: u32,
    /// Language.
    #[serde(with = "schemaflow::registry::types::schema_type_serde")]
    pub schema_type: SchemaType,
    /// The text as registered.
    pub schema: String,
    /// Dependencies.
    pub references: Vec<SchemaReference>,
    /// GUID (Confluent 8.x).
    pub guid: String,
}

/// Confluent's `metadata` and `ruleSet` of a version, as the raw JSON text another registry
/// wrote: carried with the version so that a later rewrite of it (a soft delete) keeps them
/// byte for byte. Empty for the versions this registry registers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionExtras {
    /// `metadata`, raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// `ruleSet`, raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<String>,
}

impl VersionExtras {
    /// Neither is present (the common case; not written to the file log).
    pub fn is_empty(&self) -> bool {
        self.metadata.is_none() && self.rule_set.is_none()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One change, as written to a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A schema under its id (new, or the same id written again by another registry).
    Schema(StoredSchema),
    /// A version of a subject: new, or written again (the Kafka topic holds the latest
    /// record per version, e.g. rewritten with `deleted: true`).
    Version {
        /// Subject.
        subject: String,
        /// Version number.
        version: i32,
        /// Schema id.
        id: u32,
        /// Soft-deleted as written (only a `_schemas` record can say so; absent in the file
        /// log, which writes a soft delete as [`Event::DeleteVersion`]).
        #[serde(default, skip_serializing_if = "is_false")]
        deleted: bool,
        /// Confluent's `metadata`/`ruleSet`, when another registry wrote them.
        #[serde(default, skip_serializing_if = "VersionExtras::is_empty")]
        extras: VersionExtras,
    },
    /// A version deleted (soft, or permanently after a soft delete).
    DeleteVersion {
        /// Subject.
        subject: String,
        /// Version number.
        version: i32,
        /// Permanent.
        permanent: bool,
    },
    /// A subject soft-deleted as a whole: every version up to `version` (the highest live one)
    /// is deleted — Confluent's `DELETE_SUBJECT` record, so the Kafka store writes what
    /// Confluent writes for `DELETE /subjects/{subject}`.
    DeleteSubject {
        /// Subject.
        subject: String,
        /// The highest version deleted (the watermark).
        version: i32,
    },
    /// A subject's soft-deleted versions are gone — Confluent's `CLEAR_SUBJECT` record (this
    /// registry deletes permanently version by version, so only read from a topic).
    ClearSubject {
        /// Subject.
        subject: String,
    },
    /// A config set (`None` subject: global) or removed (`None` level and policy): the whole
    /// config record, as Confluent's `CONFIG` value holds it.
    Config {
        /// Subject, or global.
        subject: Option<String>,
        /// The level, or none.
        level: Option<CompatibilityLevel>,
        /// Confluent's `compatibilityPolicy` for JSON Schema (`STRICT` or `LENIENT`), or none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<String>,
    },
    /// Mode set or removed.
    Mode {
        /// Subject, or global.
        subject: Option<String>,
        /// The mode, or removed.
        mode: Option<Mode>,
    },
}

/// The `event` tag of every [`Event`] variant: a tag outside this list was written by a newer
/// version. Keep in step with [`Event`] (the `event_kinds_are_all_known` test checks it).
pub const KNOWN_KINDS: &[&str] = &[
    "schema",
    "version",
    "delete_version",
    "delete_subject",
    "clear_subject",
    "config",
    "mode",
];

impl Event {
    /// A new, live version with no extras: what this registry's own writes hold.
    pub fn version(subject: impl Into<String>, version: i32, id: u32) -> Event {
        Event::Version {
            subject: subject.into(),
            version,
            id,
            deleted: false,
            extras: VersionExtras::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Event> {
        vec![
            Event::Schema(StoredSchema {
                id: 1,
                schema_type: SchemaType::Avro,
                schema: "\"int\"".into(),
                references: vec![],
                guid: "g".into(),
            }),
            Event::version("s", 1, 1),
            Event::DeleteVersion {
                subject: "s".into(),
                version: 1,
                permanent: false,
            },
            Event::DeleteSubject {
                subject: "s".into(),
                version: 1,
            },
            Event::ClearSubject {
                subject: "s".into(),
            },
            Event::Config {
                subject: None,
                level: None,
                policy: None,
            },
            Event::Mode {
                subject: None,
                mode: None,
            },
        ]
    }

    #[test]
    fn event_kinds_are_all_known() {
        let samples = samples();
        for e in &samples {
            // No wildcard: a new variant fails to compile here until it has a sample above
            // and its tag is in KNOWN_KINDS.
            match e {
                Event::Schema(_)
                | Event::Version { .. }
                | Event::DeleteVersion { .. }
                | Event::DeleteSubject { .. }
                | Event::ClearSubject { .. }
                | Event::Config { .. }
                | Event::Mode { .. } => {}
            }
            let v = serde_json::to_value(e).unwrap();
            let kind = v["event"].as_str().unwrap();
            assert!(
                KNOWN_KINDS.contains(&kind),
                "{kind} missing from KNOWN_KINDS"
            );
        }
        assert_eq!(samples.len(), KNOWN_KINDS.len());
    }

    #[test]
    fn a_plain_version_is_written_as_before_and_extras_round_trip() {
        let line = serde_json::to_string(&Event::version("s", 1, 2)).unwrap();
        assert_eq!(
            line,
            r#"{"event":"version","subject":"s","version":1,"id":2}"#
        );
        let with = Event::Version {
            subject: "s".into(),
            version: 1,
            id: 2,
            deleted: true,
            extras: VersionExtras {
                metadata: Some(r#"{"properties":{"a":"b"}}"#.into()),
                rule_set: None,
            },
        };
        let line = serde_json::to_string(&with).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), with);
    }
}
