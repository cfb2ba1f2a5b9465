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
//! topic) pair ([`schema_ids`]), borrowed, not cloned. A record's one allocation is its delivery
//! report's slot ([`in_flight::DeliverySlot`]); its place in the window is a lock-free count.

mod config;
mod delivery;
pub mod in_flight;
mod record;
mod rules;
pub mod schema_ids;
mod window;

use std::any::TypeId;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, FutureRecord, Producer, ThreadedProducer};

use crate::codec::json_schema;
use crate::codec::{RegistryCodec, WriterSchema};
use crate::error::{kafka_error, Result};
use crate::registry::schemas::register_generated;
use crate::registry::{CachedRegistry, SchemaResolver, Version};
use crate::rules::{Direction, DomainRules, RuleTarget};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};
use crate::SchemaType;

pub use config::{ProducerConfig, SchemaIdPlacement, SchemaIdSource};
pub use in_flight::{DeliveryReports, PendingDelivery};
pub use record::{Delivery, Record};

use delivery::DeliverySlot;
use rules::WriteRules;
use schema_ids::{ResolvedId, SchemaIds};
use window::Window;

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
        in_flight: Arc<DeliverySlot>,
    ) -> BaseRecord<'a, [u8], [u8], Arc<DeliverySlot>> {
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
        in_flight: Arc<DeliverySlot>,
    },
    Failed(KafkaError),
}

impl TypedProducer {
    /// A producer; connects lazily.
    pub fn new(config: ProducerConfig, registry: CachedRegistry) -> Result<Self> {
        let producer: KafkaProducer = config
            .kafka_config()
            .create_with_context(DeliveryReports::new(config.max_in_flight))
            .map_err(|e| kafka_error("creating the producer", e))?;
        Ok(TypedProducer {
            producer,
            registry,
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
        match self.schema_ids.get(TypeId::of::<V>(), topic) {
            Some(r) => Ok(r.clone()),
            None => self.resolve::<V>(topic).await,
        }
    }

    /// Ask the registry for `V`'s schema id on `topic` (the slow path: once per pair) and keep
    /// it in the table.
    async fn resolve<V: RegistryCodec>(&self, topic: &str) -> Result<ResolvedId> {
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
        // JSON Schema validates against the schema written with (Python's `JSONSerializer`):
        // under an id the type's schema was not registered for, the registry's.
        let json_writer = match self.config.schema_ids {
            SchemaIdSource::Fixed(_) | SchemaIdSource::UseLatest
                if V::SCHEMA_TYPE == SchemaType::Json && self.config.validate =>
            {
                let writer = SchemaResolver::new(self.registry.clone())
                    .writer_schema(id)
                    .await?;
                let schema = json_schema::json_writer(&writer, V::FULL_NAME)?;
                // Compiled now: a schema that cannot be is an error here, not on each record.
                schema.validator()?;
                match writer {
                    WriterSchema::Json(s) => Some(s),
                    _ => None,
                }
            }
            _ => None,
        };
        let rules = self.write_rules(id, &subject).await?;
        let resolved = ResolvedId {
            id,
            guid_header,
            json_writer,
            rules,
        };
        self.schema_ids
            .insert(TypeId::of::<V>(), topic, resolved.clone());
        Ok(resolved)
    }

    /// The WRITE rules of schema `id` under `subject`, compiled (a rule that cannot be used
    /// is an error now, before any record); `None` when it has none.
    async fn write_rules(&self, id: SchemaId, subject: &str) -> Result<Option<Arc<WriteRules>>> {
        let fetched = self.registry.schema_by_id(id).await?;
        // No WRITE rule, nothing to parse: a schema without rules costs nothing more here
        // (and a READ rule is not this producer's to compile).
        if !DomainRules::any(fetched.rule_set.as_ref(), Direction::Write) {
            return Ok(None);
        }
        let writer = SchemaResolver::new(self.registry.clone())
            .validate_json(self.config.validate)
            .writer_schema(id)
            .await?;
        let target = RuleTarget {
            schema: &writer,
            metadata: fetched.metadata.as_ref(),
        };
        let Some(rules) = DomainRules::compile_for(
            fetched.rule_set.as_ref(),
            Some(target),
            Direction::Write,
            &format!("subject {subject}"),
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Arc::new(WriteRules {
            subject: subject.to_string(),
            rules,
            writer,
        })))
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
        let place = self.window().take().await;
        // Borrowed from the table on the hot path (no reference count touched); owned only
        // the first time a pair is resolved.
        let fetched;
        let resolved: Option<&ResolvedId> = match record.value {
            None => None,
            Some(_) => Some(match self.schema_ids.get(TypeId::of::<V>(), record.topic) {
                Some(kept) => kept,
                None => {
                    fetched = self.resolve::<V>(record.topic).await?;
                    &fetched
                }
            }),
        };
        let (in_flight, pending) = DeliverySlot::new(resolved.map(|r| r.id));
        let guid_header = resolved.and_then(|r| r.guid_header.as_deref());
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
            let payload = match (record.value, resolved) {
                (Some(v), Some(r)) => {
                    // JSON Schema's `validate` knob (a no-op for Avro and Protobuf).
                    json_schema::with_validation(self.config.validate, || {
                        json_schema::with_writer_schema(r.json_writer.clone(), || {
                            v.encode_frame(r.id, frame)
                        })
                    })?;
                    // The schema's WRITE rules, on the frame (none: one branch, nothing else).
                    if let Some(rules) = &r.rules {
                        rules.apply(record.topic, frame)?;
                    }
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
            FirstTry::Queued => place.hand_over(),
            FirstTry::Failed(e) => {
                return Err(kafka_error(&format!("producing to {}", record.topic), e))
            }
            FirstTry::QueueFull {
                payload,
                headers,
                in_flight,
            } => {
                self.send_when_queue_has_room(at.record(payload.as_deref(), headers, in_flight))
                    .await?;
                place.hand_over();
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
        let place = self.window().take().await;
        let (in_flight, pending) = DeliverySlot::new(None);
        let at = Addressed {
            topic: record.topic,
            key: record.key,
            partition: record.partition,
            timestamp: record.timestamp,
        };
        self.send_when_queue_has_room(at.record(record.payload, record.headers, in_flight))
            .await?;
        place.hand_over();
        Ok(pending)
    }

    /// The in-flight window (in the librdkafka context, where delivery reports release it).
    fn window(&self) -> &Window {
        self.producer.context().window()
    }

    /// Hand `record` to librdkafka, waiting while its queue is full.
    async fn send_when_queue_has_room(
        &self,
        mut record: BaseRecord<'_, [u8], [u8], Arc<DeliverySlot>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{CacheConfig, ClientConfig, RegistryClient};

    /// A producer whose broker never answers (port 9 of loopback: nothing listens), so records
    /// stay queued in librdkafka.
    fn unreachable_producer(max_in_flight: usize) -> TypedProducer {
        let registry = CachedRegistry::new(
            RegistryClient::new(ClientConfig::new("http://127.0.0.1:9")).unwrap(),
            CacheConfig::default(),
        );
        let config = ProducerConfig::new("127.0.0.1:9")
            .max_in_flight(max_in_flight)
            .set("log_level", "0");
        TypedProducer::new(config, registry).unwrap()
    }

    fn raw(topic: &str) -> FutureRecord<'_, [u8], [u8]> {
        FutureRecord::to(topic).payload(&b"x"[..])
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_producer_resolves_its_pending_deliveries_with_an_error() {
        let producer = unreachable_producer(10);
        let mut pending = Vec::new();
        for _ in 0..3 {
            pending.push(producer.enqueue_raw(raw("t")).await.unwrap());
        }
        assert_eq!(producer.window().used(), 3, "each record holds a place");
        drop(producer);
        // The deadline only turns a hang (a report that never comes) into a failure.
        let reports = tokio::time::timeout(Duration::from_secs(60), async {
            let mut reports = Vec::new();
            for p in pending {
                reports.push(p.await);
            }
            reports
        })
        .await
        .expect("a pending delivery outlived its producer");
        for r in reports {
            let e = r.expect_err("nothing was delivered");
            assert!(e.to_string().contains("producing to t"), "{e}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_record_librdkafka_refuses_gives_its_place_back() {
        let producer = unreachable_producer(2);
        let _kept = producer.enqueue_raw(raw("t")).await.unwrap();
        // Past `message.max.bytes` (1,000,000 by default): refused by `send` itself.
        let big = vec![0u8; 2_000_000];
        let refused = producer
            .enqueue_raw(FutureRecord::to("t").payload(&big[..]))
            .await;
        assert!(refused.is_err(), "librdkafka took a record past its limit");
        assert_eq!(
            producer.window().used(),
            1,
            "only the queued record holds a place"
        );
    }
}
