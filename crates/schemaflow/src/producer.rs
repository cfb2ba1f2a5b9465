//! `TypedProducer`: send generated Avro/Protobuf values as registry-framed Kafka records.
//!
//! ```text
//! Record::to("user-events").key(b"user-42").value(&event)
//!   → subject (strategy) → schema id (auto-register | latest | fixed; resolved once, cached)
//!   → frame (0x00 | id | [indexes] | payload) → rdkafka FutureProducer (idempotent, acks=all)
//! ```
//!
//! Delivery is reported through the returned future. A bounded number of records may be in
//! flight at once (`max_in_flight`): `send` waits for room instead of growing memory without
//! bound. A record whose schema id cannot be resolved (registry down past its retries) fails
//! before anything is sent. A record with no value is a tombstone: a real null payload.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig as KafkaConfig;
use tokio::sync::Semaphore;

use crate::codec::RegistryCodec;
use crate::error::{kafka_error, Result};
use crate::registry::schemas::register_generated;
use crate::registry::{CachedRegistry, SubjectNameStrategy, Version};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};

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

/// Producer settings. Kafka properties not covered here pass through `properties`
/// (like `-X key=value` of kcat), and override the defaults below.
#[derive(Clone)]
pub struct ProducerConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Subject name strategy for values. Default: TopicName.
    pub value_subject_strategy: SubjectNameStrategy,
    /// Where schema ids come from. Default: auto-register.
    pub schema_ids: SchemaIdSource,
    /// Ask the registry to normalize schemas (`normalize.schemas`). Default: false.
    pub normalize: bool,
    /// Records sent but not yet acknowledged, at most. Default: 100,000.
    pub max_in_flight: usize,
    /// Where the schema id goes. Default: [`SchemaIdPlacement::Payload`].
    pub schema_id_placement: SchemaIdPlacement,
    /// librdkafka properties. Defaults set here: `enable.idempotence=true`, `acks=all`,
    /// `linger.ms=5`, `compression.type=lz4`.
    pub properties: BTreeMap<String, String>,
}

/// Every setting, secrets as `<redacted>` ([`crate::redact`]).
impl std::fmt::Debug for ProducerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Exhaustive: a new field must be placed here, secret or not.
        let ProducerConfig {
            brokers,
            value_subject_strategy,
            schema_ids,
            normalize,
            max_in_flight,
            schema_id_placement,
            properties,
        } = self;
        f.debug_struct("ProducerConfig")
            .field("brokers", brokers)
            .field("value_subject_strategy", value_subject_strategy)
            .field("schema_ids", schema_ids)
            .field("normalize", normalize)
            .field("max_in_flight", max_in_flight)
            .field("schema_id_placement", schema_id_placement)
            .field("properties", &crate::redact::Properties(properties))
            .finish()
    }
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
            properties: BTreeMap::new(),
        }
    }

    /// Set a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The librdkafka configuration a producer made from this uses: the defaults above, then
    /// `properties` (for a raw producer with the same settings, e.g. in benchmarks).
    pub fn kafka_config(&self) -> KafkaConfig {
        crate::kafka_config::kafka_config(
            &self.brokers,
            crate::kafka_config::PRODUCER_DEFAULTS,
            &self.properties,
        )
    }
}

/// One record to send, built like rdkafka's `FutureRecord`.
///
/// ```
/// mod schemas {
/// #   // The committed codegen output of this repository's samples (this crate has no build
/// #   // script); your crate includes its own.
/// #   include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemaflow-build/tests/golden/generated.rs"));
/// #   /*
///     schemaflow::include_schemas!();
/// #   */
/// }
/// use schemaflow::producer::Record;
/// use schemas::avro::user_event::{Action, Device, UserEvent};
///
/// # let event = UserEvent {
/// #     event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".parse()?,
/// #     user_id: "user-42".into(),
/// #     action: Action::Login,
/// #     occurred_at: 1_700_000_000_123,
/// #     amount: "0.00".parse()?,
/// #     session_id: None,
/// #     device: Device { platform: "web".into(), app_version: None },
/// #     shipping_address: None,
/// #     tags: vec![],
/// #     attributes: Default::default(),
/// # };
/// let record = Record::to("user-events")
///     .key(b"user-42") // the same key, the same partition
///     .value(&event) // leave unset for a tombstone
///     .header("trace-id", b"4bf92f35");
/// # let _ = record;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Record<'a, V> {
    topic: &'a str,
    key: Option<&'a [u8]>,
    value: Option<&'a V>,
    headers: Vec<(&'a str, &'a [u8])>,
    partition: Option<i32>,
    timestamp: Option<i64>,
}

impl<'a, V> Record<'a, V> {
    /// A record for `topic` (no key, no value yet).
    pub fn to(topic: &'a str) -> Self {
        Record {
            topic,
            key: None,
            value: None,
            headers: Vec::new(),
            partition: None,
            timestamp: None,
        }
    }

    /// The key, as raw bytes (partitioning and compaction use it).
    pub fn key(mut self, key: &'a [u8]) -> Self {
        self.key = Some(key);
        self
    }

    /// The value; leave unset for a tombstone.
    pub fn value(mut self, value: &'a V) -> Self {
        self.value = Some(value);
        self
    }

    /// Add a header.
    pub fn header(mut self, name: &'a str, value: &'a [u8]) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Send to this partition rather than the partitioner's choice.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Record timestamp, ms since the epoch.
    pub fn timestamp(mut self, ms: i64) -> Self {
        self.timestamp = Some(ms);
        self
    }
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// The value's schema id (`None` for a tombstone).
    pub schema_id: Option<SchemaId>,
}

/// Sends generated types to Kafka in the Confluent wire format.
///
/// The first record of a type on a topic registers (or looks up) its schema under the
/// subject the strategy names; later ones reuse the cached id.
///
/// ```no_run
/// mod schemas {
/// #   // The committed codegen output of this repository's samples (this crate has no build
/// #   // script); your crate includes its own.
/// #   include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemaflow-build/tests/golden/generated.rs"));
/// #   /*
///     schemaflow::include_schemas!();
/// #   */
/// }
/// use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
/// use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
/// use schemas::avro::user_event::{Action, Device, UserEvent};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = CachedRegistry::new(
///     RegistryClient::new(ClientConfig::new("http://localhost:8081"))?,
///     CacheConfig::default(),
/// );
/// let producer = TypedProducer::new(ProducerConfig::new("localhost:9092"), registry)?;
/// # let event = UserEvent {
/// #     event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".parse()?,
/// #     user_id: "user-42".into(),
/// #     action: Action::Login,
/// #     occurred_at: 1_700_000_000_123,
/// #     amount: "0.00".parse()?,
/// #     session_id: None,
/// #     device: Device { platform: "web".into(), app_version: None },
/// #     shipping_address: None,
/// #     tags: vec![],
/// #     attributes: Default::default(),
/// # };
/// let delivery = producer
///     .send(Record::to("user-events").key(b"user-42").value(&event))
///     .await?;
/// println!("partition {} offset {}", delivery.partition, delivery.offset);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TypedProducer {
    producer: FutureProducer,
    registry: CachedRegistry,
    config: Arc<ProducerConfig>,
    /// Resolved ids by Rust type, then topic (looked up by `&str`: no allocation per record).
    ids: Arc<Mutex<HashMap<std::any::TypeId, HashMap<String, SchemaId>>>>,
    guids: Arc<Mutex<HashMap<SchemaId, uuid::Uuid>>>,
    in_flight: Arc<Semaphore>,
}

impl std::fmt::Debug for TypedProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedProducer")
            .field("brokers", &self.config.brokers)
            .finish()
    }
}

impl TypedProducer {
    /// A producer; connects lazily.
    pub fn new(config: ProducerConfig, registry: CachedRegistry) -> Result<Self> {
        let producer: FutureProducer = config
            .kafka_config()
            .create()
            .map_err(|e| kafka_error("creating the producer", e))?;
        Ok(TypedProducer {
            producer,
            registry,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            config: Arc::new(config),
            ids: Arc::new(Mutex::new(HashMap::new())),
            guids: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The registry (with its cache statistics).
    pub fn registry(&self) -> &CachedRegistry {
        &self.registry
    }

    /// The rdkafka producer underneath.
    pub fn inner(&self) -> &FutureProducer {
        &self.producer
    }

    /// Resolve (and cache) `V`'s schema id for `topic` now, so a missing or incompatible
    /// schema fails at start-up rather than on the first message.
    pub async fn preload<V: RegistryCodec>(&self, topic: &str) -> Result<SchemaId> {
        self.schema_id::<V>(topic).await
    }

    async fn schema_id<V: RegistryCodec>(&self, topic: &str) -> Result<SchemaId> {
        // Keyed by the Rust type: two versions of a schema share a full name but not a type.
        let ty = std::any::TypeId::of::<V>();
        if let Some(id) = self
            .ids
            .lock()
            .ok()
            .and_then(|m| m.get(&ty).and_then(|t| t.get(topic)).copied())
        {
            return Ok(id);
        }
        let subject = self
            .config
            .value_subject_strategy
            .subject(topic, V::FULL_NAME, false);
        let id = match self.config.schema_ids {
            SchemaIdSource::Fixed(id) => id,
            SchemaIdSource::AutoRegister => {
                register_generated::<V>(&self.registry, &subject, self.config.normalize).await?
            }
            SchemaIdSource::UseLatest => self.registry.version(&subject, Version::Latest).await?.id,
        };
        if let Ok(mut m) = self.ids.lock() {
            m.entry(ty).or_default().insert(topic.to_string(), id);
        }
        Ok(id)
    }

    /// The GUID the registry gave schema `id` (cached).
    async fn guid_of(&self, id: SchemaId) -> Result<uuid::Uuid> {
        if let Some(g) = self.guids.lock().ok().and_then(|m| m.get(&id).copied()) {
            return Ok(g);
        }
        let fetched = self.registry.schema_by_id(id).await?;
        let guid = fetched
            .guid
            .as_deref()
            .and_then(|g| g.parse::<uuid::Uuid>().ok())
            .ok_or_else(|| crate::registry::RegistryError::BadResponse {
                method: "GET".into(),
                url: format!("/schemas/ids/{id}"),
                reason: "no schema GUID in the answer: this registry cannot serve the header form (SchemaIdPlacement::HeaderGuid); use the payload form".into(),
            })?;
        if let Ok(mut m) = self.guids.lock() {
            m.insert(id, guid);
        }
        Ok(guid)
    }

    /// Send one record and wait for its delivery report.
    pub async fn send<V: RegistryCodec>(&self, record: Record<'_, V>) -> Result<Delivery> {
        self.enqueue(record).await?.await
    }

    /// Hand one record to the producer and return at once with a future of its delivery
    /// report: many records can be in flight. Waits while `max_in_flight` records are
    /// unacknowledged, and while librdkafka's queue is full (backpressure, bounded memory).
    /// Schema resolution and encoding errors come back here, before anything is sent.
    pub async fn enqueue<V: RegistryCodec>(
        &self,
        record: Record<'_, V>,
    ) -> Result<impl std::future::Future<Output = Result<Delivery>> + Send + 'static> {
        let permit = self
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| kafka_error("sending", KafkaError::Canceled))?;
        let (payload, schema_id) = match record.value {
            Some(v) => {
                let id = self.schema_id::<V>(record.topic).await?;
                let mut buf = Vec::with_capacity(128);
                v.encode_frame(id, &mut buf)?;
                (Some(buf), Some(id))
            }
            None => (None, None),
        };
        // An empty header list is still a librdkafka allocation per record: make one only for
        // real headers.
        let header_guid =
            self.config.schema_id_placement == SchemaIdPlacement::HeaderGuid && schema_id.is_some();
        let mut headers = (header_guid || !record.headers.is_empty())
            .then(|| OwnedHeaders::new_with_capacity(record.headers.len() + 1));
        let id_header;
        let payload = match (self.config.schema_id_placement, schema_id, payload) {
            (SchemaIdPlacement::HeaderGuid, Some(id), Some(mut frame)) => {
                id_header = HeaderSchemaId::Guid(self.guid_of(id).await?).to_bytes();
                headers = headers.map(|h| {
                    h.insert(Header {
                        key: VALUE_SCHEMA_ID_HEADER,
                        value: Some(&id_header),
                    })
                });
                // The header form's payload is the frame without its magic byte and id.
                frame.drain(..crate::wire::HEADER_LEN);
                Some(frame)
            }
            (_, _, payload) => payload,
        };
        for (k, v) in &record.headers {
            headers = headers.map(|h| {
                h.insert(Header {
                    key: k,
                    value: Some(*v),
                })
            });
        }
        let mut fr: FutureRecord<'_, [u8], Vec<u8>> = FutureRecord::to(record.topic);
        if let Some(h) = headers {
            fr = fr.headers(h);
        }
        if let Some(k) = record.key {
            fr = fr.key(k);
        }
        if let Some(p) = &payload {
            fr = fr.payload(p);
        }
        if let Some(p) = record.partition {
            fr = fr.partition(p);
        }
        if let Some(t) = record.timestamp {
            fr = fr.timestamp(t);
        }
        let delivery = loop {
            match self.producer.send_result(fr) {
                Ok(d) => break d,
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    fr = back;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => {
                    return Err(kafka_error(&format!("producing to {}", record.topic), e))
                }
            }
        };
        let topic = record.topic.to_string();
        Ok(async move {
            let result = delivery.await;
            drop(permit);
            match result {
                Ok(Ok(d)) => Ok(Delivery {
                    partition: d.partition,
                    offset: d.offset,
                    schema_id,
                }),
                Ok(Err((e, _))) => Err(kafka_error(&format!("producing to {topic}"), e)),
                // The producer was dropped before the delivery report came.
                Err(_) => Err(kafka_error(
                    &format!("producing to {topic}"),
                    KafkaError::Canceled,
                )),
            }
        })
    }

    /// Wait until every record sent is acknowledged (or `timeout` passes).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer
            .flush(timeout)
            .map_err(|e| kafka_error("flushing the producer", e))
    }
}
