//! Confluent's `_schemas` topic format for the registry's Kafka log (`crate::log::kafka`): the
//! record format ([`record`]) and which [`Event`]s a record holds and which records a commit
//! of events writes ([`events`]) — pure functions —, and the election of the one instance that
//! writes ([`leader`]).
//!
//! The format is transcribed from Confluent Schema Registry's
//! `core/src/main/java/io/confluent/kafka/schemaregistry/storage/` (`SchemaRegistryKey`,
//! `SchemaKey`, `ConfigKey`, `ModeKey`, `DeleteSubjectKey`, `ClearSubjectKey`, `NoopKey`,
//! `SchemaValue`, `ConfigValue`, `ModeValue`, `DeleteSubjectValue`, `ClearSubjectValue`,
//! `MD5`) and checked against Karapace's `src/karapace/key_format.py` and
//! `tests/unit/test_key_format.py`; see [`record`] for the exact bytes.
//!
//! [`Event`]: crate::Event

pub mod events;
pub mod leader;
pub mod record;
