//! `TypedProducer`: send generated Avro/Protobuf values as registry-framed Kafka records.
//!
//! ```text
//! Record::to("user-events").key(b"user-42").value(&event)
//!   → subject (strategy) → schema id (auto-register | latest | fixed; resolved once, cached)
//!   → frame (0x00 | id | [indexes] | payload) → librdkafka (idempotent, acks=all)
//! ```
//!
//! Delivery is reported through the returned [`PendingDelivery`]. A bounded number of records
//! may be in flight at once (`max_in_flight`): `enqueue` waits for room instead of growing
//! memory without bound, and the room comes back with each delivery report, whether or not the
//! caller has awaited it yet ([`in_flight`]). A record whose schema id cannot be resolved
//! (registry down past its retries) fails before anything is sent. A record with no value is a
//! tombstone: a real null payload.
//!
//! The hot path allocates no frame: each thread encodes into one reused buffer that librdkafka
//! copies, and the schema id comes from a lock-free table after the first record of a (type,
//! topic) pair ([`schema_ids`]).

mod config;
pub mod in_flight;
mod record;
pub mod schema_ids;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, FutureRecord, Producer, ThreadedProducer};
use tokio::sync::Semaphore;

use crate::codec::RegistryCodec;
use crate::error::{kafka_error, Result};
use crate::registry::schemas::register_generated;
use crate::registry::{CachedRegistry, Version};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};

pub use config::{ProducerConfig, SchemaIdPlacement, SchemaIdSource};
pub use in_flight::{DeliveryReports, PendingDelivery};
pub use record::{Delivery, Record};

use in_flight::InFlight;
use schema_ids::{ResolvedId, SchemaIds};

/// The librdkafka producer under a [`TypedProducer`].
pub type KafkaProducer = ThreadedProducer<DeliveryReports>;

/// A frame buffer larger than this is given back after use rather than kept by the thread.
const FRAME_KEEP: usize = 1 << 20;

thread_local! {
    /// This thread's frame buffer: encoded into, copied by librdkafka, reused.
    static FRAME: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
    producer: KafkaProducer,
    registry: CachedRegistry,
    config: Arc<ProducerConfig>,
    schema_ids: Arc<SchemaIds>,
    in_flight: Arc<Semaphore>,
}

impl std::fmt::Debug for TypedProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedProducer")
            .field("brokers", &self.config.brokers)
            .finish()
    }
}

/// A record's fields other than its payload, headers and opaque (all borrowed, so a retry can
/// rebuild the record).
#[derive(Clone, Copy)]
struct Addressed<'a> {
    topic: &'a str,
    key: Option<&'a [u8]>,
    partition: Option<i32>,
    timestamp: Option<i64>,
}

impl<'a> Addressed<'a> {
    fn record(
        self,
        payload: Option<&'a [u8]>,
        headers: Option<OwnedHeaders>,
        in_flight: Box<InFlight>,
    ) -> BaseRecord<'a, [u8], [u8], Box<InFlight>> {
        BaseRecord {
            topic: self.topic,
            partition: self.partition,
            payload,
            key: self.key,
            timestamp: self.timestamp,
            headers,
            delivery_opaque: in_flight,
        }
    }
}

/// The first try at handing a record to librdkafka.
enum FirstTry {
    Queued,
    /// librdkafka's queue is full: try again with the payload copied off the thread's buffer.
    QueueFull {
        payload: Option<Vec<u8>>,
        headers: Option<OwnedHeaders>,
        in_flight: Box<InFlight>,
    },
    Failed(KafkaError),
}

impl TypedProducer {
    /// A producer; connects lazily.
    pub fn new(config: ProducerConfig, registry: CachedRegistry) -> Result<Self> {
        let producer: KafkaProducer = config
            .kafka_config()
            .create_with_context(DeliveryReports)
            .map_err(|e| kafka_error("creating the producer", e))?;
        Ok(TypedProducer {
            producer,
            registry,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            config: Arc::new(config),
            schema_ids: Arc::new(SchemaIds::default()),
        })
    }

    /// The registry (with its cache statistics).
    pub fn registry(&self) -> &CachedRegistry {
        &self.registry
    }

    /// The rdkafka producer underneath (transactions, flush, metadata).
    pub fn inner(&self) -> &KafkaProducer {
        &self.producer
    }

    /// Resolve (and cache) `V`'s schema id for `topic` now, so a missing or incompatible
    /// schema fails at start-up rather than on the first message.
    pub async fn preload<V: RegistryCodec>(&self, topic: &str) -> Result<SchemaId> {
        Ok(self.schema_id::<V>(topic).await?.id)
    }

    async fn schema_id<V: RegistryCodec>(&self, topic: &str) -> Result<ResolvedId> {
        let ty = std::any::TypeId::of::<V>();
        if let Some(r) = self.schema_ids.get(ty, topic) {
            return Ok(r.clone());
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
        let guid_header = match self.config.schema_id_placement {
            SchemaIdPlacement::HeaderGuid => Some(
                HeaderSchemaId::Guid(self.guid_of(id).await?)
                    .to_bytes()
                    .into(),
            ),
            SchemaIdPlacement::Payload => None,
        };
        let resolved = ResolvedId { id, guid_header };
        self.schema_ids.insert(ty, topic, resolved.clone());
        Ok(resolved)
    }

    /// The GUID the registry gave schema `id` (the registry client caches it).
    async fn guid_of(&self, id: SchemaId) -> Result<uuid::Uuid> {
        let fetched = self.registry.schema_by_id(id).await?;
        Ok(fetched
            .guid
            .as_deref()
            .and_then(|g| g.parse::<uuid::Uuid>().ok())
            .ok_or_else(|| crate::registry::RegistryError::BadResponse {
                method: "GET".into(),
                url: format!("/schemas/ids/{id}"),
                reason: "no schema GUID in the answer: this registry cannot serve the header form (SchemaIdPlacement::HeaderGuid); use the payload form".into(),
            })?)
    }

    /// Send one record and wait for its delivery report.
    pub async fn send<V: RegistryCodec>(&self, record: Record<'_, V>) -> Result<Delivery> {
        self.enqueue(record).await?.await
    }

    /// Hand one record to the producer and return at once with the future of its delivery
    /// report: many records can be in flight. Waits while `max_in_flight` records are
    /// unacknowledged, and while librdkafka's queue is full (backpressure, bounded memory).
    /// Schema resolution and encoding errors come back here, before anything is sent.
    pub async fn enqueue<V: RegistryCodec>(
        &self,
        record: Record<'_, V>,
    ) -> Result<PendingDelivery> {
        let permit = self.acquire().await?;
        let resolved = match record.value {
            Some(_) => Some(self.schema_id::<V>(record.topic).await?),
            None => None,
        };
        let (in_flight, pending) = InFlight::new(permit, resolved.as_ref().map(|r| r.id));
        let guid_header = resolved.as_ref().and_then(|r| r.guid_header.as_deref());
        let headers = headers(guid_header, &record.headers);
        let at = Addressed {
            topic: record.topic,
            key: record.key,
            partition: record.partition,
            timestamp: record.timestamp,
        };
        // Encode and hand over without an await in between: the buffer is this thread's.
        let first = FRAME.with_borrow_mut(|frame| -> Result<FirstTry> {
            frame.clear();
            let payload = match (record.value, &resolved) {
                (Some(v), Some(r)) => {
                    // JSON Schema's `validate` knob (a no-op for Avro and Protobuf).
                    crate::codec::json_schema::with_validation(self.config.validate, || {
                        v.encode_frame(r.id, frame)
                    })?;
                    // The header form's payload is the frame without its magic byte and id.
                    let skip = if guid_header.is_some() {
                        crate::wire::HEADER_LEN
                    } else {
                        0
                    };
                    frame.get(skip..)
                }
                _ => None,
            };
            let first = match self.producer.send(at.record(payload, headers, in_flight)) {
                Ok(()) => FirstTry::Queued,
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    FirstTry::QueueFull {
                        payload: payload.map(<[u8]>::to_vec),
                        headers: back.headers,
                        in_flight: back.delivery_opaque,
                    }
                }
                Err((e, _)) => FirstTry::Failed(e),
            };
            if frame.capacity() > FRAME_KEEP {
                *frame = Vec::new();
            }
            Ok(first)
        })?;
        match first {
            FirstTry::Queued => {}
            FirstTry::Failed(e) => {
                return Err(kafka_error(&format!("producing to {}", record.topic), e))
            }
            FirstTry::QueueFull {
                payload,
                headers,
                in_flight,
            } => {
                self.send_when_queue_has_room(at.record(payload.as_deref(), headers, in_flight))
                    .await?
            }
        }
        Ok(pending)
    }

    /// Enqueue a record that is already bytes (a dead letter in a transaction), in the same
    /// in-flight window.
    pub(crate) async fn enqueue_raw(
        &self,
        record: FutureRecord<'_, [u8], [u8]>,
    ) -> Result<PendingDelivery> {
        let permit = self.acquire().await?;
        let (in_flight, pending) = InFlight::new(permit, None);
        let at = Addressed {
            topic: record.topic,
            key: record.key,
            partition: record.partition,
            timestamp: record.timestamp,
        };
        self.send_when_queue_has_room(at.record(record.payload, record.headers, in_flight))
            .await?;
        Ok(pending)
    }

    /// A place in the in-flight window (waits while it is full).
    async fn acquire(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| kafka_error("sending", KafkaError::Canceled))
    }

    /// Hand `record` to librdkafka, waiting while its queue is full.
    async fn send_when_queue_has_room(
        &self,
        mut record: BaseRecord<'_, [u8], [u8], Box<InFlight>>,
    ) -> Result<()> {
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    record = back;
                    // Room comes back with each delivered batch: look again soon.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, back)) => {
                    return Err(kafka_error(&format!("producing to {}", back.topic), e))
                }
            }
        }
    }

    /// Wait until every record sent is acknowledged (or `timeout` passes).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer
            .flush(timeout)
            .map_err(|e| kafka_error("flushing the producer", e))
    }
}

/// The record's headers: the schema id's (header form) first, then the caller's. An empty
/// header list is still a librdkafka allocation per record: `None` unless there are some.
fn headers(guid_header: Option<&[u8]>, extra: &[(&str, &[u8])]) -> Option<OwnedHeaders> {
    if guid_header.is_none() && extra.is_empty() {
        return None;
    }
    let mut h = OwnedHeaders::new_with_capacity(extra.len() + 1);
    if let Some(g) = guid_header {
        h = h.insert(Header {
            key: VALUE_SCHEMA_ID_HEADER,
            value: Some(g),
        });
    }
    for (k, v) in extra {
        h = h.insert(Header {
            key: k,
            value: Some(*v),
        });
    }
    Some(h)
}
