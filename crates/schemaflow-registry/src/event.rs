//! One change to the registry, as every log keeps it: a line of the file log, a record (or a
//! few) of the Kafka topic, an entry of the in-memory log. The vocabulary of the registry,
//! with no knowledge of where it is kept: every backend reads its log into these events and
//! [`State::apply`](crate::State::apply) is the one place that turns them into state.

use serde::{Deserialize, Serialize};

use crate::contract::{ConfigContract, Metadata, RuleSet};
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
    /// Confluent's `metadata`: part of the schema's identity, as in Confluent's MD5 of a
    /// schema (the same text with other metadata is another id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Confluent's `ruleSet`: part of the schema's identity, like `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
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
    /// A config set (`None` subject: global) or removed (nothing set): the whole config
    /// record, as Confluent's `CONFIG` value holds it.
    Config {
        /// Subject, or global.
        subject: Option<String>,
        /// The level, or none.
        level: Option<CompatibilityLevel>,
        /// Confluent's `compatibilityPolicy` for JSON Schema (`STRICT` or `LENIENT`), or none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<String>,
        /// The data-contract settings (`compatibilityGroup`, default and override metadata
        /// and rule sets).
        #[serde(default, skip_serializing_if = "ConfigContract::is_empty")]
        contract: ConfigContract,
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
    /// A new, live version: what this registry's own writes hold.
    pub fn version(subject: impl Into<String>, version: i32, id: u32) -> Event {
        Event::Version {
            subject: subject.into(),
            version,
            id,
            deleted: false,
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
                metadata: None,
                rule_set: None,
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
                contract: ConfigContract::default(),
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
    fn plain_events_are_written_as_before_and_contracts_round_trip() {
        let line = serde_json::to_string(&Event::version("s", 1, 2)).unwrap();
        assert_eq!(
            line,
            r#"{"event":"version","subject":"s","version":1,"id":2}"#
        );
        let plain = Event::Schema(StoredSchema {
            id: 1,
            schema_type: SchemaType::Avro,
            schema: "\"int\"".into(),
            references: vec![],
            guid: "g".into(),
            metadata: None,
            rule_set: None,
        });
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"event":"schema","id":1,"schema_type":"AVRO","schema":"\"int\"","references":[],"guid":"g"}"#
        );
        let with = Event::Schema(StoredSchema {
            metadata: Some(Metadata {
                properties: [("owner".into(), "a".into())].into(),
                ..Metadata::default()
            }),
            ..match plain {
                Event::Schema(s) => s,
                _ => unreachable!(),
            }
        });
        let line = serde_json::to_string(&with).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), with);
        let config = Event::Config {
            subject: None,
            level: None,
            policy: None,
            contract: ConfigContract {
                compatibility_group: Some("major".into()),
                ..ConfigContract::default()
            },
        };
        let line = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), config);
    }
}
