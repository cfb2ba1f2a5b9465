//! The registry's storage on a Kafka topic in Confluent's `_schemas` format: the record
//! format ([`record`]) and how one record changes the registry's [`State`] or which records a
//! change writes ([`apply`]) — pure functions —, the transport that reads the topic and writes
//! to it ([`kafka_log`]), and the election of the one instance that writes ([`leader`]).
//!
//! The format is transcribed from Confluent Schema Registry's
//! `core/src/main/java/io/confluent/kafka/schemaregistry/storage/` (`SchemaRegistryKey`,
//! `SchemaKey`, `ConfigKey`, `ModeKey`, `DeleteSubjectKey`, `ClearSubjectKey`, `NoopKey`,
//! `SchemaValue`, `ConfigValue`, `ModeValue`, `DeleteSubjectValue`, `ClearSubjectValue`,
//! `MD5`) and checked against Karapace's `src/karapace/key_format.py` and
//! `tests/unit/test_key_format.py`; see [`record`] for the exact bytes.
//!
//! [`State`]: crate::State

pub mod apply;
pub mod kafka_log;
pub mod leader;
pub mod record;
