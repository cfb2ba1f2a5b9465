//! What a [`super::TypedProducer`] is built from: [`ProducerConfig`] and its choices.

use rdkafka::ClientConfig as KafkaConfig;

use crate::redact::KafkaProperties;
use crate::registry::SubjectNameStrategy;
use crate::wire::SchemaId;

/// Where a producer's schema ids come from (Confluent's `auto.register.schemas`,
/// `use.latest.version`, or a pinned id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaIdSource {
    /// Register the type's schema (and its references) if needed; use the id. Default.
    #[default]
    AutoRegister,
    /// Use the id of the subject's latest version (the schema must have been registered).
    UseLatest,
    /// Always this id.
    Fixed(SchemaId),
}

/// Where a record carries its value's schema id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaIdPlacement {
    /// In the payload, before the data: magic 0 + the 4-byte id (the classic Confluent
    /// frame every Confluent client reads). Default.
    #[default]
    Payload,
    /// In the `__value_schema_id` header as magic 1 + the schema's 16-byte GUID, the payload
    /// holding only the (Protobuf) message indexes and the data: Confluent 8's
    /// `header.schema.id.serializer` form, read by Confluent clients 8.0+ (and 2.10+ of
    /// confluent-kafka-python). Needs a registry that gives schemas a GUID.
    HeaderGuid,
}

/// Producer settings: [`ProducerConfig::new`] with the brokers, then a chainable method per
/// setting, named like its field. The fields stay public, to read and to set on a value; the
/// struct is `#[non_exhaustive]`, so new settings can come without breaking callers (build it
/// with `new`, not a struct literal). Kafka properties not covered here pass through
/// `properties` ([`set`](Self::set), like `-X key=value` of kcat), and override the defaults
/// below.
///
/// ```
/// use schemaflow::producer::{ProducerConfig, SchemaIdSource};
///
/// let config = ProducerConfig::new("localhost:9092")
///     .schema_ids(SchemaIdSource::UseLatest)
///     .max_in_flight(10_000)
///     .set("linger.ms", "20")
///     .set("sasl.password", "hunter2");
/// assert_eq!(config.max_in_flight, 10_000);
/// // Every setting shows, secrets as `<redacted>`.
/// let shown = format!("{config:?}");
/// assert!(shown.contains("linger.ms") && !shown.contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProducerConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Subject name strategy for values. Default: TopicName.
    pub value_subject_strategy: SubjectNameStrategy,
    /// Where schema ids come from. Default: auto-register.
    pub schema_ids: SchemaIdSource,
    /// Ask the registry to normalize schemas (`normalize.schemas`). Default: false.
    pub normalize: bool,
    /// Records handed to librdkafka but not yet reported delivered (or failed), at most;
    /// `enqueue` waits for room beyond it. Default: 100,000.
    pub max_in_flight: usize,
    /// Where the schema id goes. Default: [`SchemaIdPlacement::Payload`].
    pub schema_id_placement: SchemaIdPlacement,
    /// JSON Schema: check each value against its schema before writing it (Confluent's
    /// `validate` for a serializer); a value that breaks it is refused by `enqueue`/`send`
    /// with the JSON pointer and keyword at fault. The schema is the one written with: the
    /// type's own when auto-registering, the registry's schema of the id with
    /// [`SchemaIdSource::UseLatest`] or [`SchemaIdSource::Fixed`] (as Python's
    /// `JSONSerializer` with `use.latest.version`). Default: true.
    pub validate: bool,
    /// librdkafka properties. Defaults set here: `enable.idempotence=true`, `acks=all`,
    /// `linger.ms=5`, `compression.type=lz4`, and `queue.buffering.max.messages` twice
    /// `max_in_flight` (so librdkafka's own queue is never the bound that holds). Secret ones
    /// print as `<redacted>`.
    pub properties: KafkaProperties,
}

impl ProducerConfig {
    /// Defaults for `brokers`.
    pub fn new(brokers: impl Into<String>) -> Self {
        ProducerConfig {
            brokers: brokers.into(),
            value_subject_strategy: SubjectNameStrategy::TopicName,
            schema_ids: SchemaIdSource::AutoRegister,
            normalize: false,
            max_in_flight: 100_000,
            schema_id_placement: SchemaIdPlacement::Payload,
            validate: true,
            properties: KafkaProperties::default(),
        }
    }

    /// The subject name strategy for values.
    pub fn value_subject_strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.value_subject_strategy = strategy;
        self
    }

    /// Where schema ids come from.
    pub fn schema_ids(mut self, source: SchemaIdSource) -> Self {
        self.schema_ids = source;
        self
    }

    /// Ask the registry to normalize schemas when registering and looking them up.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// Records in flight at most (at least 1).
    pub fn max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.max_in_flight = max_in_flight;
        self
    }

    /// Where the schema id goes.
    pub fn schema_id_placement(mut self, placement: SchemaIdPlacement) -> Self {
        self.schema_id_placement = placement;
        self
    }

    /// Set librdkafka properties (each one as [`set`](Self::set) does).
    pub fn properties<K, V>(mut self, properties: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.properties.extend(properties);
        self
    }

    // The names before the builder methods were named like the fields; kept (hidden) so
    // existing callers compile.

    #[doc(hidden)]
    pub fn with_value_subject_strategy(self, strategy: SubjectNameStrategy) -> Self {
        self.value_subject_strategy(strategy)
    }

    #[doc(hidden)]
    pub fn with_schema_ids(self, source: SchemaIdSource) -> Self {
        self.schema_ids(source)
    }

    #[doc(hidden)]
    pub fn with_normalize(self, normalize: bool) -> Self {
        self.normalize(normalize)
    }

    #[doc(hidden)]
    pub fn with_max_in_flight(self, max_in_flight: usize) -> Self {
        self.max_in_flight(max_in_flight)
    }

    #[doc(hidden)]
    pub fn with_schema_id_placement(self, placement: SchemaIdPlacement) -> Self {
        self.schema_id_placement(placement)
    }

    #[doc(hidden)]
    pub fn with_properties<K, V>(self, properties: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.properties(properties)
    }

    /// JSON Schema: check values against their schema before writing them (default true).
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Set a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The librdkafka configuration a producer made from this uses: the defaults above, then
    /// `properties` (for a raw producer with the same settings, e.g. in benchmarks).
    pub fn kafka_config(&self) -> KafkaConfig {
        let queue = librdkafka_queue_limit(self.max_in_flight).to_string();
        let defaults: Vec<(&str, &str)> = crate::kafka_config::PRODUCER_DEFAULTS
            .iter()
            .copied()
            .chain([("queue.buffering.max.messages", queue.as_str())])
            .collect();
        crate::kafka_config::kafka_config(&self.brokers, &defaults, &self.properties)
    }
}

/// librdkafka's own cap on queued records (`queue.buffering.max.messages`, its default
/// 100,000), set above the in-flight window so that the window is the bound that holds.
///
/// A record's place in the window comes back in its delivery callback, but librdkafka counts
/// the record until it frees the whole delivered batch, after every callback of the batch.
/// With both at 100,000, an `enqueue` let in by a callback could meet a full librdkafka queue
/// and wait for room. Twice the window (at least librdkafka's default) leaves room for any
/// delivered batch.
pub(crate) fn librdkafka_queue_limit(max_in_flight: usize) -> usize {
    max_in_flight
        .max(1)
        .saturating_mul(2)
        .clamp(100_000, 2_147_483_647)
}

#[cfg(test)]
mod queue_limit_tests {
    use super::*;

    #[test]
    fn librdkafkas_queue_holds_twice_the_window_and_the_users_setting_wins() {
        assert_eq!(librdkafka_queue_limit(100_000), 200_000);
        assert_eq!(librdkafka_queue_limit(10), 100_000);
        assert_eq!(librdkafka_queue_limit(usize::MAX), 2_147_483_647);
        let config = ProducerConfig::new("b");
        assert_eq!(
            config.kafka_config().get("queue.buffering.max.messages"),
            Some("200000")
        );
        let config = config.set("queue.buffering.max.messages", "5000");
        assert_eq!(
            config.kafka_config().get("queue.buffering.max.messages"),
            Some("5000")
        );
    }
}
