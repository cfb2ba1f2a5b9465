//! `TypedConsumer`: a consumer-group member that decodes registry-framed records into a
//! generated type and hands them to your handler, at least once.
//!
//! ```text
//! record → schema id (frame, or the __value_schema_id header) → writer schema (cached)
//!        → decode into V (Avro resolution / Protobuf message check)
//!        → handler(msg): Ok → offset stored; Err → retried with backoff, then dead-lettered
//!        → undecodable (bad magic, unknown id, corrupt, wrong message) → dead-lettered at once
//! stored offsets are committed every `commit_every` records or `commit_interval`,
//! synchronously when partitions are revoked, and on shutdown.
//! ```
//!
//! Dead letters keep the original key, value and headers, plus error headers modelled on
//! Kafka Connect's: `__connect.errors.topic`, `.partition`, `.offset`, `.stage`
//! (`VALUE_CONVERTER` for decode errors, `TASK_PUT` for handler failures),
//! `.exception.class.name`, `.exception.message`, and `__schemaflow.errors.schema.id` when the
//! frame had one. The dead-letter topic is created if missing (some brokers never
//! auto-create). Without a dead-letter policy the consumer stops with the error and does not
//! commit past the bad record: nothing is skipped silently.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig as KafkaConfig, ClientContext};

use crate::codec::RegistryCodec;
use crate::error::{Error, Result};
use crate::producer::kafka_error;
use crate::registry::schemas::SchemaResolver;
use crate::registry::CachedRegistry;
use crate::wire::SchemaId;

/// What happens to a record that cannot be decoded or handled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeadLetter {
    /// Stop the consumer with the error; the record's offset is not committed. Default.
    #[default]
    Stop,
    /// Send it to this topic.
    Topic(String),
    /// Send it to `<source topic>.dlq` (the default dead-letter name).
    PerTopic,
}

impl DeadLetter {
    fn topic_for(&self, source: &str) -> Option<String> {
        match self {
            DeadLetter::Stop => None,
            DeadLetter::Topic(t) => Some(t.clone()),
            DeadLetter::PerTopic => Some(format!("{source}.dlq")),
        }
    }
}

/// Consumer settings. Kafka properties not covered here pass through `properties`.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// `group.id`.
    pub group_id: String,
    /// Topics to subscribe to.
    pub topics: Vec<String>,
    /// `auto.offset.reset` when the group has no committed offset. Default: `earliest`.
    pub auto_offset_reset: String,
    /// Commit stored offsets after this many records. Default: 500.
    pub commit_every: usize,
    /// …or after this long. Default: 1 s.
    pub commit_interval: Duration,
    /// Handler attempts after the first, before dead-lettering. Default: 3.
    pub max_retries: u32,
    /// First retry delay (doubles each retry). Default: 100 ms.
    pub retry_backoff: Duration,
    /// Dead-letter policy. Default: [`DeadLetter::Stop`].
    pub dead_letter: DeadLetter,
    /// Read only committed transactional records (`isolation.level=read_committed`).
    /// Default: true (Kafka's default too).
    pub read_committed: bool,
    /// librdkafka properties, applied last.
    pub properties: BTreeMap<String, String>,
}

impl ConsumerConfig {
    /// Defaults for `brokers`, `group_id` and `topics`.
    pub fn new(brokers: impl Into<String>, group_id: impl Into<String>, topics: &[&str]) -> Self {
        ConsumerConfig {
            brokers: brokers.into(),
            group_id: group_id.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            auto_offset_reset: "earliest".into(),
            commit_every: 500,
            commit_interval: Duration::from_secs(1),
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
            dead_letter: DeadLetter::Stop,
            read_committed: true,
            properties: BTreeMap::new(),
        }
    }

    /// Set a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    fn kafka_config(&self) -> KafkaConfig {
        let mut c = KafkaConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", &self.auto_offset_reset)
            .set(
                "isolation.level",
                if self.read_committed {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<V> {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key bytes.
    pub key: Option<Vec<u8>>,
    /// The value; `None` for a tombstone (a null payload).
    pub value: Option<V>,
    /// Headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The writer schema id (`None` for a tombstone).
    pub schema_id: Option<SchemaId>,
    /// Timestamp, ms since the epoch.
    pub timestamp: Option<i64>,
}

/// Counters of a consumer, readable while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    /// Records handed to the handler successfully (tombstones included).
    pub handled: u64,
    /// Value bytes consumed.
    pub bytes: u64,
    /// Records sent to the dead-letter topic.
    pub dead_lettered: u64,
    /// Handler attempts that failed (retried or dead-lettered).
    pub handler_errors: u64,
    /// Offset commits made.
    pub commits: u64,
    /// Registry cache hits.
    pub registry_cache_hits: u64,
    /// Registry cache misses.
    pub registry_cache_misses: u64,
}

#[derive(Default)]
struct Counters {
    handled: AtomicU64,
    bytes: AtomicU64,
    dead_lettered: AtomicU64,
    handler_errors: AtomicU64,
    commits: AtomicU64,
}

/// Commits stored offsets synchronously when partitions are taken away, so the next owner
/// starts after the last handled record.
pub struct CommitOnRevoke;

impl ClientContext for CommitOnRevoke {}

impl ConsumerContext for CommitOnRevoke {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            if tpl.count() > 0 {
                match consumer.commit_consumer_state(CommitMode::Sync) {
                    Ok(()) => tracing::debug!(partitions = tpl.count(), "committed on revoke"),
                    Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => {}
                    Err(e) => tracing::warn!(error = %e, "commit on revoke failed"),
                }
            }
        }
    }
}

/// A consumer-group member decoding records into `V`.
pub struct TypedConsumer<V> {
    consumer: StreamConsumer<CommitOnRevoke>,
    resolver: SchemaResolver,
    dead_letters: Option<FutureProducer>,
    created_dlq: Mutex<Vec<String>>,
    guid_ids: Mutex<HashMap<String, SchemaId>>,
    config: ConsumerConfig,
    counters: Arc<Counters>,
    _value: PhantomData<fn() -> V>,
}

impl<V> std::fmt::Debug for TypedConsumer<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedConsumer")
            .field("group_id", &self.config.group_id)
            .field("topics", &self.config.topics)
            .finish()
    }
}

enum Failure {
    Decode(Error, Option<SchemaId>),
    Handler(String, Option<SchemaId>),
}

impl<V: RegistryCodec> TypedConsumer<V> {
    /// Join the group and subscribe.
    pub fn new(config: ConsumerConfig, registry: CachedRegistry) -> Result<Self> {
        let consumer: StreamConsumer<CommitOnRevoke> = config
            .kafka_config()
            .create_with_context(CommitOnRevoke)
            .map_err(|e| kafka_error("creating the consumer", e))?;
        let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| kafka_error("subscribing", e))?;
        let dead_letters = match config.dead_letter {
            DeadLetter::Stop => None,
            _ => Some(
                KafkaConfig::new()
                    .set("bootstrap.servers", &config.brokers)
                    .set("enable.idempotence", "true")
                    .set("acks", "all")
                    .create::<FutureProducer>()
                    .map_err(|e| kafka_error("creating the dead-letter producer", e))?,
            ),
        };
        Ok(TypedConsumer {
            consumer,
            resolver: SchemaResolver::new(registry),
            dead_letters,
            created_dlq: Mutex::new(Vec::new()),
            guid_ids: Mutex::new(HashMap::new()),
            config,
            counters: Arc::new(Counters::default()),
            _value: PhantomData,
        })
    }

    /// The rdkafka consumer underneath.
    pub fn inner(&self) -> &StreamConsumer<CommitOnRevoke> {
        &self.consumer
    }

    /// Counters so far.
    pub fn stats(&self) -> ConsumerStats {
        let c = &self.counters;
        let cache = self.resolver.registry().stats();
        ConsumerStats {
            handled: c.handled.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            dead_lettered: c.dead_lettered.load(Ordering::Relaxed),
            handler_errors: c.handler_errors.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            registry_cache_hits: cache.hits,
            registry_cache_misses: cache.misses,
        }
    }

    /// Consumer lag per (topic, partition) of the current assignment: high watermark minus
    /// position.
    pub fn lag(&self) -> Result<BTreeMap<(String, i32), i64>> {
        let mut out = BTreeMap::new();
        let positions = self
            .consumer
            .position()
            .map_err(|e| kafka_error("reading positions", e))?;
        for e in positions.elements() {
            let (_, high) = self
                .consumer
                .fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(5))
                .map_err(|err| kafka_error("fetching watermarks", err))?;
            let pos = e.offset().to_raw().filter(|o| *o >= 0).unwrap_or(0);
            out.insert((e.topic().to_string(), e.partition()), (high - pos).max(0));
        }
        Ok(out)
    }

    /// Consume until `shutdown` completes (e.g. `tokio::signal::ctrl_c()`), calling `handler`
    /// for each record, in order per partition. On shutdown the record in hand is finished,
    /// stored offsets are committed, and the group is left. Returns the final counters, or
    /// the error that stopped it (a dead letter that could not be written, a commit or
    /// broker failure, or a bad record under [`DeadLetter::Stop`]).
    pub async fn run<F, Fut, E>(
        &self,
        mut handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display,
    {
        tokio::pin!(shutdown);
        let mut since_commit = 0usize;
        let mut last_commit = Instant::now();
        let result = loop {
            let msg = tokio::select! {
                biased;
                () = &mut shutdown => break Ok(()),
                m = self.consumer.recv() => m,
                () = tokio::time::sleep(self.config.commit_interval), if since_commit > 0 => {
                    if let Err(e) = self.commit(CommitMode::Async) { break Err(e); }
                    since_commit = 0;
                    last_commit = Instant::now();
                    continue;
                }
            };
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "consumer error");
                    if matches!(e.rdkafka_error_code(), Some(RDKafkaErrorCode::Fatal)) {
                        break Err(kafka_error("consuming", e));
                    }
                    continue;
                }
            };
            if let Err(e) = self.process(&msg, &mut handler).await {
                break Err(e);
            }
            if let Err(e) = self
                .consumer
                .store_offset(msg.topic(), msg.partition(), msg.offset())
            {
                // The partition may have been revoked meanwhile: the record will be redelivered.
                tracing::warn!(error = %e, "storing offset failed");
            }
            since_commit += 1;
            if since_commit >= self.config.commit_every
                || last_commit.elapsed() >= self.config.commit_interval
            {
                if let Err(e) = self.commit(CommitMode::Async) {
                    break Err(e);
                }
                since_commit = 0;
                last_commit = Instant::now();
            }
        };
        // Whatever stopped us, commit what was handled, then leave the group.
        let final_commit = self.commit(CommitMode::Sync);
        self.consumer.unsubscribe();
        let stats = self.stats();
        tracing::info!(
            handled = stats.handled,
            bytes = stats.bytes,
            dead_lettered = stats.dead_lettered,
            handler_errors = stats.handler_errors,
            commits = stats.commits,
            registry_cache_hits = stats.registry_cache_hits,
            registry_cache_misses = stats.registry_cache_misses,
            "consumer stopped"
        );
        result?;
        final_commit?;
        Ok(stats)
    }

    fn commit(&self, mode: CommitMode) -> Result<()> {
        match self.consumer.commit_consumer_state(mode) {
            Ok(()) => {
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => Ok(()),
            Err(e) => Err(kafka_error("committing offsets", e)),
        }
    }

    async fn process<F, Fut, E>(&self, msg: &BorrowedMessage<'_>, handler: &mut F) -> Result<()>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut decoded = self.decode(msg).await;
        let mut delay = self.config.retry_backoff;
        let mut attempt = 0u32;
        // A registry that cannot be reached is not the record's fault: retry, then stop
        // (without committing) rather than dead-letter a good record.
        while let Err((Error::Registry(r), _)) = &decoded {
            if !r.is_transient() {
                break;
            }
            if attempt >= self.config.max_retries {
                return Err(Error::Registry(r.clone()));
            }
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
            decoded = self.decode(msg).await;
        }
        let failure = match decoded {
            Err((e, id)) => Failure::Decode(e, id),
            Ok(decoded) => {
                let id = decoded.schema_id;
                let mut attempt = 0u32;
                let mut delay = self.config.retry_backoff;
                loop {
                    match handler(decoded.clone()).await {
                        Ok(()) => {
                            self.counters.handled.fetch_add(1, Ordering::Relaxed);
                            return Ok(());
                        }
                        Err(e) => {
                            self.counters.handler_errors.fetch_add(1, Ordering::Relaxed);
                            if attempt >= self.config.max_retries {
                                break Failure::Handler(e.to_string(), id);
                            }
                            tracing::debug!(error = %e, attempt, "handler failed; retrying");
                            tokio::time::sleep(delay).await;
                            delay = delay.saturating_mul(2);
                            attempt += 1;
                        }
                    }
                }
            }
        };
        self.dead_letter(msg, failure).await
    }

    async fn decode(
        &self,
        msg: &BorrowedMessage<'_>,
    ) -> std::result::Result<Message<V>, (Error, Option<SchemaId>)> {
        let headers: Vec<(String, Option<Vec<u8>>)> = msg
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        let base = |value: Option<V>, schema_id: Option<SchemaId>| Message {
            topic: msg.topic().to_string(),
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(<[u8]>::to_vec),
            value,
            headers: headers.clone(),
            schema_id,
            timestamp: msg.timestamp().to_millis(),
        };
        let Some(payload) = msg.payload() else {
            return Ok(base(None, None));
        };
        self.counters
            .bytes
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        let header_id = headers
            .iter()
            .find(|(k, _)| k == "__value_schema_id")
            .and_then(|(_, v)| v.clone());
        let framed;
        let frame: &[u8] = match header_id {
            None => payload,
            Some(h) => {
                let id = self.header_schema_id(&h).await.map_err(|e| (e, None))?;
                let mut f = Vec::with_capacity(payload.len() + 5);
                crate::wire::write_header(id, &mut f);
                f.extend_from_slice(payload);
                framed = f;
                &framed
            }
        };
        let (id, _) = crate::wire::read_header(frame).map_err(|e| (e.into(), None))?;
        let writer = self
            .resolver
            .writer_schema(id)
            .await
            .map_err(|e| (e, Some(id)))?;
        let (_, value) = V::decode_frame(frame, &writer).map_err(|e| (e, Some(id)))?;
        Ok(base(Some(value), Some(id)))
    }

    /// A schema id carried in a header (Confluent 8): magic 1 + 16-byte GUID, or magic 0 + id.
    async fn header_schema_id(&self, h: &[u8]) -> Result<SchemaId> {
        match h {
            [0, a, b, c, d] => Ok(SchemaId(u32::from_be_bytes([*a, *b, *c, *d]))),
            [1, guid @ ..] if guid.len() == 16 => {
                let guid = uuid::Uuid::from_slice(guid)
                    .map_err(|e| Error::Json(e.to_string()))?
                    .to_string();
                if let Some(id) = self
                    .guid_ids
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&guid).copied())
                {
                    return Ok(id);
                }
                let (id, _) = self
                    .resolver
                    .registry()
                    .client()
                    .schema_by_guid(&guid)
                    .await?;
                if let Ok(mut m) = self.guid_ids.lock() {
                    m.insert(guid, id);
                }
                Ok(id)
            }
            _ => Err(crate::wire::WireError::BadMagic {
                found: h.first().copied().unwrap_or(0xff),
            }
            .into()),
        }
    }

    async fn dead_letter(&self, msg: &BorrowedMessage<'_>, failure: Failure) -> Result<()> {
        let (stage, class, message, id) = match &failure {
            Failure::Decode(e, id) => ("VALUE_CONVERTER", error_kind(e), e.to_string(), *id),
            Failure::Handler(m, id) => ("TASK_PUT", "HandlerError", m.clone(), *id),
        };
        let (Some(topic), Some(producer)) = (
            self.config.dead_letter.topic_for(msg.topic()),
            &self.dead_letters,
        ) else {
            return Err(match failure {
                Failure::Decode(e, _) => e,
                Failure::Handler(m, _) => Error::Handler {
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                    reason: m,
                },
            });
        };
        self.ensure_topic(&topic).await?;
        let cause = DeadLetterCause {
            stage,
            class,
            message: &message,
            schema_id: id,
        };
        let record = dead_letter_record(msg, &topic, &cause);
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| kafka_error(&format!("writing a dead letter to {topic}"), e))?;
        tracing::warn!(topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), dlq = %topic, %message, "dead-lettered");
        self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn ensure_topic(&self, topic: &str) -> Result<()> {
        if self
            .created_dlq
            .lock()
            .is_ok_and(|c| c.iter().any(|t| t == topic))
        {
            return Ok(());
        }
        create_topic(&self.config.brokers, topic, 1).await?;
        if let Ok(mut c) = self.created_dlq.lock() {
            c.push(topic.to_string());
        }
        Ok(())
    }
}

/// Why a record is dead-lettered: what goes into its error headers.
#[derive(Debug, Clone, Copy)]
pub struct DeadLetterCause<'a> {
    /// `VALUE_CONVERTER` (could not decode) or `TASK_PUT` (the handler failed).
    pub stage: &'a str,
    /// The error kind (`FrameError`, `AvroDecodeError`, `HandlerError`…).
    pub class: &'a str,
    /// The error message.
    pub message: &'a str,
    /// The frame's schema id, when it had one.
    pub schema_id: Option<SchemaId>,
}

/// The dead letter of `msg` for `topic`: its key, value and headers unchanged, plus Kafka
/// Connect-style `__connect.errors.{topic,partition,offset,stage,exception.class.name,
/// exception.message}` headers and `__schemaflow.errors.schema.id`. One shape for every writer
/// of dead letters (consumer, exactly-once processor, CLI).
pub fn dead_letter_record<'m>(
    msg: &'m BorrowedMessage<'_>,
    topic: &'m str,
    cause: &DeadLetterCause<'_>,
) -> FutureRecord<'m, [u8], [u8]> {
    let mut headers = OwnedHeaders::new();
    if let Some(h) = msg.headers() {
        for h in h.iter() {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    let partition = msg.partition().to_string();
    let offset = msg.offset().to_string();
    let id_text = cause.schema_id.map(|i| i.to_string());
    let mut extra: Vec<(&str, &[u8])> = vec![
        ("__connect.errors.topic", msg.topic().as_bytes()),
        ("__connect.errors.partition", partition.as_bytes()),
        ("__connect.errors.offset", offset.as_bytes()),
        ("__connect.errors.stage", cause.stage.as_bytes()),
        (
            "__connect.errors.exception.class.name",
            cause.class.as_bytes(),
        ),
        (
            "__connect.errors.exception.message",
            cause.message.as_bytes(),
        ),
    ];
    if let Some(t) = &id_text {
        extra.push(("__schemaflow.errors.schema.id", t.as_bytes()));
    }
    for (k, v) in extra {
        headers = headers.insert(Header {
            key: k,
            value: Some(v),
        });
    }
    let mut record: FutureRecord<'m, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
    if let Some(k) = msg.key() {
        record = record.key(k);
    }
    if let Some(p) = msg.payload() {
        record = record.payload(p);
    }
    record
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM: the usual `shutdown` for [`TypedConsumer::run`].
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Create `topic` if it does not exist (an existing topic is fine; brokers without the
/// CreateTopics API, like librdkafka's mock cluster, work when the topic exists).
pub async fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    if topic_exists(brokers, topic).await? {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = KafkaConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| kafka_error("creating the admin client", e))?;
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .map_err(|e| kafka_error(&format!("creating topic {topic}"), e))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => {
                return Err(Error::Kafka {
                    operation: format!("creating topic {t}"),
                    reason: code.to_string(),
                    retriable: false,
                })
            }
        }
    }
    Ok(())
}

async fn topic_exists(brokers: &str, topic: &str) -> Result<bool> {
    let probe: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", brokers)
        .set("allow.auto.create.topics", "false")
        .create()
        .map_err(|e| kafka_error("creating a metadata client", e))?;
    let name = topic.to_string();
    let md = tokio::task::spawn_blocking(move || {
        probe.fetch_metadata(Some(&name), Duration::from_secs(10))
    })
    .await
    .map_err(|e| Error::Kafka {
        operation: format!("looking up topic {topic}"),
        reason: e.to_string(),
        retriable: false,
    })?
    .map_err(|e| kafka_error(&format!("looking up topic {topic}"), e))?;
    Ok(md
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty()))
}

/// The error kind written to `__connect.errors.exception.class.name` for a decode error.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Frame(_) => "FrameError",
        Error::Registry(_) => "RegistryError",
        Error::DecodeAvro { .. } | Error::ResolveAvroSchema { .. } => "AvroDecodeError",
        Error::DecodeProtobuf { .. } => "ProtobufDecodeError",
        Error::MessageIndexMismatch { .. } | Error::SchemaTypeMismatch { .. } => "SchemaMismatch",
        Error::ParseAvroSchema { .. } | Error::ParseProtobufSchema { .. } => "SchemaParseError",
        _ => "DecodeError",
    }
}
