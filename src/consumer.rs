//! `TypedConsumer`: a consumer-group member that decodes registry-framed records and hands
//! them to your handler, at least once. It is the one consumer loop of schemaflow: the typed
//! consumer of generated types, and `schemaflow consume` (which decodes any frame to
//! [`serde_json::Value`]), both run it.
//!
//! ```text
//! record → schema id (payload frame, or the __value_schema_id header: id or GUID)
//!        → writer schema (cached) → decode into V (Avro resolution / Protobuf message check)
//!        → handler(msg): Ok → offset stored; Err → retried with backoff, then dead-lettered
//!        → decode fails, whose fault? (Error::fault)
//!            the record's (bad magic, unknown id 40403, corrupt, wrong message)
//!                → the dead-letter policy: DLQ topic | stop | skip
//!            the environment's (registry unreachable, 5xx, 429, timeouts)
//!                → retried with backoff for `environment_retry_timeout`, holding the position:
//!                  no offset stored, nothing dead-lettered; then stop with Error::Environment
//!            the environment refuses (401/403) → stop at once, holding the position
//! stored offsets are committed every `commit_every` records or `commit_interval`,
//! synchronously when partitions are revoked, and on shutdown — whatever stopped the loop,
//! so the committed offset is the first record not handled.
//! ```
//!
//! Dead letters keep the original key, value and headers, plus Kafka Connect-style error
//! headers ([`crate::dead_letter`]). The dead-letter topic is created if missing (some brokers
//! never auto-create). Nothing is skipped silently: [`DeadLetter::Stop`] is the default.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::{BorrowedMessage, Headers, Message as _};
use rdkafka::producer::FutureProducer;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientConfig as KafkaConfig, ClientContext, TopicPartitionList};

pub use crate::admin::create_topic;
use crate::codec::FromFrame;
pub use crate::dead_letter::{dead_letter_record, error_kind, DeadLetter, DeadLetterCause};
use crate::dead_letter::{STAGE_DECODE, STAGE_HANDLER};
use crate::error::{kafka_error, Error, Fault, Result};
use crate::registry::schemas::SchemaResolver;
use crate::registry::CachedRegistry;
pub use crate::shutdown_signal;
pub use crate::start_offset::{StartAt, StartMoved};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};

/// Longest pause between two retries of an environment fault.
const MAX_ENVIRONMENT_BACKOFF: Duration = Duration::from_secs(5);

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
    /// Where a partition the group has no committed offset for starts, instead of
    /// `auto_offset_reset`: an offset or a time ([`StartAt`]). Committed offsets are looked up
    /// each time partitions are assigned; only partitions without one start here, moved into
    /// the partition's range if outside it (reported as [`ConsumerEvent::StartMoved`]; see
    /// [`crate::start_offset`]). Default: none.
    pub start_uncommitted: Option<StartAt>,
    /// Commit stored offsets after this many records. Default: 500.
    pub commit_every: usize,
    /// …or after this long. Default: 1 s.
    pub commit_interval: Duration,
    /// Whether to commit at all. Default: true. `false` for tools that only look at a topic
    /// (`schemaflow consume` without `--group`): the group id is then only a label.
    pub commit_offsets: bool,
    /// Handler attempts after the first, before dead-lettering. Default: 3.
    pub max_retries: u32,
    /// First retry delay (doubles each retry), for handler failures and environment faults.
    /// Default: 100 ms.
    pub retry_backoff: Duration,
    /// How long an environment fault on a record (registry unreachable, HTTP 5xx/429/408,
    /// timeouts) is retried, holding the partition's position, before the consumer stops
    /// with [`Error::Environment`]. Separate from the handler's retries. Default: 60 s
    /// (`schemaflow consume --registry-retry-timeout`). Keep it below librdkafka's
    /// `max.poll.interval.ms` (300 s), or the group takes the partitions away meanwhile.
    pub environment_retry_timeout: Duration,
    /// Dead-letter policy for the record's faults. Default: [`DeadLetter::Stop`].
    pub dead_letter: DeadLetter,
    /// Stop (as on shutdown) when no record arrives for this long. Default: never.
    pub idle_timeout: Option<Duration>,
    /// Read only committed transactional records (`isolation.level=read_committed`).
    /// Default: true (Kafka's default too).
    pub read_committed: bool,
    /// The consumer-group protocol (`group.protocol`). Default: [`GroupProtocol::Classic`].
    pub group_protocol: GroupProtocol,
    /// librdkafka properties, applied last (also to the dead-letter producer, so security
    /// settings reach both).
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
            start_uncommitted: None,
            commit_every: 500,
            commit_interval: Duration::from_secs(1),
            commit_offsets: true,
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
            environment_retry_timeout: Duration::from_secs(60),
            dead_letter: DeadLetter::Stop,
            idle_timeout: None,
            read_committed: true,
            group_protocol: GroupProtocol::Classic,
            properties: BTreeMap::new(),
        }
    }

    /// Set a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    fn kafka_config(&self) -> KafkaConfig {
        let isolation = if self.read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        crate::kafka_config::kafka_config(
            &self.brokers,
            &[
                ("group.id", &self.group_id),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", &self.auto_offset_reset),
                ("isolation.level", isolation),
                ("group.protocol", self.group_protocol.as_str()),
            ],
            &self.properties,
        )
    }
}

/// Which consumer-group protocol a member speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupProtocol {
    /// The classic protocol (JoinGroup/SyncGroup, client-side assignment): every broker and
    /// every Kafka-compatible service speaks it. Default.
    #[default]
    Classic,
    /// KIP-848's consumer protocol (Kafka 4.0+, `group.protocol=consumer`): the broker assigns
    /// partitions and rebalances are incremental, with no stop-the-world pause. Session
    /// timeouts and heartbeats are then the broker's settings
    /// (`group.consumer.session.timeout.ms`), not the client's.
    Consumer,
}

impl GroupProtocol {
    /// librdkafka's name: `classic` or `consumer`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
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
    /// Records passed over under [`DeadLetter::Skip`].
    pub skipped: u64,
    /// Handler attempts that failed (retried or dead-lettered).
    pub handler_errors: u64,
    /// Retries of environment faults (registry unreachable…) while holding a record.
    pub environment_retries: u64,
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
    skipped: AtomicU64,
    handler_errors: AtomicU64,
    environment_retries: AtomicU64,
    commits: AtomicU64,
}

/// Where a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
}

impl std::fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}@{}", self.topic, self.partition, self.offset)
    }
}

/// Something the consumer did with a record besides handling it, for a caller that reports
/// progress (see [`TypedConsumer::on_event`]). Also logged with `tracing`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ConsumerEvent<'a> {
    /// The environment failed on this record; the consumer waits and retries, holding the
    /// partition's position.
    Retrying {
        /// The record.
        at: Position<'a>,
        /// 1 for the first retry.
        attempt: u32,
        /// How long it has been retried so far.
        waited: Duration,
        /// The budget ([`ConsumerConfig::environment_retry_timeout`]).
        budget: Duration,
        /// The environment's error.
        error: &'a Error,
    },
    /// The record could not be decoded or handled and was written to a dead-letter topic.
    DeadLettered {
        /// The record.
        at: Position<'a>,
        /// The dead-letter topic.
        topic: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// The record could not be decoded or handled and was passed over ([`DeadLetter::Skip`]).
    Skipped {
        /// The record.
        at: Position<'a>,
        /// Why.
        reason: &'a str,
    },
    /// An assigned partition without a committed offset did not start at
    /// [`ConsumerConfig::start_uncommitted`]: out of its range, it starts at the nearest end.
    StartMoved(&'a StartMoved),
    /// The committed offsets or the partitions' ranges could not be looked up on assignment:
    /// the assigned partitions start by `auto_offset_reset` (or their committed offsets).
    StartLookupFailed {
        /// The lookup's error.
        error: &'a Error,
    },
}

type EventListener = Arc<dyn Fn(&ConsumerEvent<'_>) + Send + Sync>;

/// Return `Err(StopConsumer(..))` from a handler to stop the consumer at this record at once,
/// without retrying it or dead-lettering it, and without committing past it (for faults of
/// the handler's own environment that retrying cannot fix, e.g. a closed output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopConsumer(pub String);

impl std::fmt::Display for StopConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The consumer's context. Commits stored offsets synchronously when partitions are taken
/// away, so the next owner starts after the last handled record; and on assignment places
/// partitions without a committed offset at [`ConsumerConfig::start_uncommitted`].
pub struct CommitOnRevoke {
    start: Option<StartAt>,
    /// The consumer's listener ([`TypedConsumer::on_event`]), set after the context exists.
    listener: Mutex<Option<EventListener>>,
}

impl ClientContext for CommitOnRevoke {}

impl CommitOnRevoke {
    fn emit(&self, event: ConsumerEvent<'_>) {
        if let Some(l) = self.listener.lock().ok().and_then(|l| l.clone()) {
            l(&event);
        }
    }
}

/// How long the lookups on assignment (committed offsets, ranges, times) may take.
const START_LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

impl ConsumerContext for CommitOnRevoke {
    /// librdkafka's rebalance, with the assigned partitions' starting offsets set first when
    /// [`ConsumerConfig::start_uncommitted`] asks for it: the partition list handed to
    /// `assign` is the only place a start can be set before fetching begins.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        use rdkafka::consumer::RebalanceProtocol;
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                if let Some(start) = self.start {
                    match crate::start_offset::place(
                        consumer,
                        tpl,
                        start,
                        true,
                        START_LOOKUP_TIMEOUT,
                    ) {
                        Ok(moved) => {
                            for m in &moved {
                                tracing::info!(%m, "start moved into range");
                                self.emit(ConsumerEvent::StartMoved(m));
                            }
                        }
                        Err(e) => {
                            let error = kafka_error("looking up where to start", e);
                            tracing::warn!(%error, "start lookup failed");
                            self.emit(ConsumerEvent::StartLookupFailed { error: &error });
                        }
                    }
                }
                self.pre_rebalance(consumer, &Rebalance::Assign(tpl));
                let assigned = match consumer.rebalance_protocol() {
                    RebalanceProtocol::Cooperative => consumer.incremental_assign(tpl),
                    _ => consumer.assign(tpl),
                };
                if let Err(e) = assigned {
                    tracing::error!(error = %e, "assigning partitions failed");
                }
                self.post_rebalance(consumer, &Rebalance::Assign(tpl));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                self.pre_rebalance(consumer, &Rebalance::Revoke(tpl));
                let revoked = match consumer.rebalance_protocol() {
                    RebalanceProtocol::Cooperative => consumer.incremental_unassign(tpl),
                    _ => consumer.unassign(),
                };
                if let Err(e) = revoked {
                    tracing::error!(error = %e, "revoking partitions failed");
                }
                self.post_rebalance(consumer, &Rebalance::Revoke(tpl));
            }
            other => {
                // As librdkafka's default: report, and drop the assignment.
                let code: RDKafkaErrorCode = other.into();
                tracing::error!(error = %code, "rebalance error");
                let _ = match consumer.rebalance_protocol() {
                    RebalanceProtocol::Cooperative => consumer.incremental_unassign(tpl),
                    _ => consumer.unassign(),
                };
            }
        }
    }

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

/// A consumer-group member decoding records into `V`: a generated type, or
/// [`serde_json::Value`] for records of any schema.
pub struct TypedConsumer<V> {
    consumer: StreamConsumer<CommitOnRevoke>,
    resolver: SchemaResolver,
    dead_letters: Option<FutureProducer>,
    created_dlq: Mutex<Vec<String>>,
    config: ConsumerConfig,
    counters: Arc<Counters>,
    listener: Option<EventListener>,
    /// Set when shutdown is asked for while a record is in hand: cuts environment retries short.
    stop_retrying: std::sync::atomic::AtomicBool,
    stop_notify: tokio::sync::Notify,
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

/// Why a record is rejected (dead-lettered, skipped, or stops the consumer).
enum Rejected {
    Decode(Error, Option<SchemaId>),
    Handler(String, Option<SchemaId>),
}

impl<V: FromFrame> TypedConsumer<V> {
    /// Join the group and subscribe to `config.topics`.
    pub fn new(config: ConsumerConfig, registry: CachedRegistry) -> Result<Self> {
        let this = Self::create(config, registry)?;
        let topics: Vec<&str> = this.config.topics.iter().map(String::as_str).collect();
        this.consumer
            .subscribe(&topics)
            .map_err(|e| kafka_error("subscribing", e))?;
        Ok(this)
    }

    /// Read the given partitions from the given offsets, without joining a group (offsets are
    /// still committed under `config.group_id` unless `config.commit_offsets` is false).
    /// `config.topics` is not used.
    pub fn with_assignment(
        config: ConsumerConfig,
        registry: CachedRegistry,
        assignment: &TopicPartitionList,
    ) -> Result<Self> {
        let this = Self::create(config, registry)?;
        this.consumer
            .assign(assignment)
            .map_err(|e| kafka_error("assigning partitions", e))?;
        Ok(this)
    }

    fn create(config: ConsumerConfig, registry: CachedRegistry) -> Result<Self> {
        let consumer: StreamConsumer<CommitOnRevoke> = config
            .kafka_config()
            .create_with_context(CommitOnRevoke {
                start: config.start_uncommitted,
                listener: Mutex::new(None),
            })
            .map_err(|e| kafka_error("creating the consumer", e))?;
        let dead_letters = match config.dead_letter {
            DeadLetter::Stop | DeadLetter::Skip => None,
            _ => Some(
                crate::kafka_config::kafka_config(
                    &config.brokers,
                    crate::kafka_config::PRODUCER_DEFAULTS,
                    &config.properties,
                )
                .create::<FutureProducer>()
                .map_err(|e| kafka_error("creating the dead-letter producer", e))?,
            ),
        };
        Ok(TypedConsumer {
            consumer,
            resolver: SchemaResolver::new(registry),
            dead_letters,
            created_dlq: Mutex::new(Vec::new()),
            config,
            counters: Arc::new(Counters::default()),
            listener: None,
            stop_retrying: std::sync::atomic::AtomicBool::new(false),
            stop_notify: tokio::sync::Notify::new(),
            _value: PhantomData,
        })
    }

    /// Call `listener` for every retry of an environment fault, dead letter and skipped
    /// record (e.g. to print a line per skipped record, as `schemaflow consume` does).
    pub fn on_event(
        mut self,
        listener: impl Fn(&ConsumerEvent<'_>) + Send + Sync + 'static,
    ) -> Self {
        let listener: EventListener = Arc::new(listener);
        if let Ok(mut l) = self.consumer.context().listener.lock() {
            *l = Some(listener.clone());
        }
        self.listener = Some(listener);
        self
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
            skipped: c.skipped.load(Ordering::Relaxed),
            handler_errors: c.handler_errors.load(Ordering::Relaxed),
            environment_retries: c.environment_retries.load(Ordering::Relaxed),
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

    /// Consume until `shutdown` completes (e.g. [`shutdown_signal`]), calling `handler`
    /// for each record, in order per partition. On shutdown the record in hand is finished,
    /// stored offsets are committed, and the group is left. Returns the final counters, or
    /// the error that stopped it: a bad record under [`DeadLetter::Stop`]
    /// ([`Error::Undecodable`], [`Error::Handler`]), an environment fault past its retry
    /// budget ([`Error::Environment`]), a dead letter that could not be written, or a
    /// commit or broker failure. Whatever stopped it, what was handled is committed.
    pub async fn run<F, Fut, E>(
        &self,
        mut handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display + 'static,
    {
        tokio::pin!(shutdown);
        let mut since_commit = 0usize;
        let mut last_commit = Instant::now();
        // A year stands for "never": `select!` evaluates a disabled branch's future too.
        let idle = self
            .config
            .idle_timeout
            .unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let mut last_record = tokio::time::Instant::now();
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
                () = tokio::time::sleep_until(last_record + idle), if self.config.idle_timeout.is_some() => {
                    break Ok(());
                }
            };
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "consumer error");
                    let e = kafka_error("consuming", e);
                    if e.is_fatal() {
                        break Err(e);
                    }
                    continue;
                }
            };
            last_record = tokio::time::Instant::now();
            // Shutdown while a record is in hand: a handler in progress is finished, but an
            // environment retry (up to `environment_retry_timeout`) is cut short — the record is
            // then not stored, so it is read again after the restart.
            let outcome = {
                let process = self.process(&msg, &mut handler);
                tokio::pin!(process);
                let mut asked = false;
                loop {
                    tokio::select! {
                        biased;
                        r = &mut process => break r,
                        () = &mut shutdown, if !asked => {
                            asked = true;
                            self.stop_retrying.store(true, Ordering::SeqCst);
                            self.stop_notify.notify_one();
                        }
                    }
                }
            };
            if self.stop_retrying.load(Ordering::SeqCst) {
                match outcome {
                    Ok(()) => {}
                    Err(Error::Environment { .. }) => break Ok(()),
                    Err(e) => break Err(e),
                }
                if self.config.commit_offsets {
                    let _ = self.consumer.store_offset_from_message(&msg);
                }
                break Ok(());
            }
            if let Err(e) = outcome {
                break Err(e);
            }
            if !self.config.commit_offsets {
                continue;
            }
            if let Err(e) = self
                .consumer
                // From the message: one librdkafka call, no partition list built per record.
                .store_offset_from_message(&msg)
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
        // Whatever stopped us, commit what was handled (never the record that stopped us: its
        // offset was not stored), then leave the group.
        let final_commit = self.commit(CommitMode::Sync);
        self.consumer.unsubscribe();
        let stats = self.stats();
        tracing::info!(
            handled = stats.handled,
            bytes = stats.bytes,
            dead_lettered = stats.dead_lettered,
            skipped = stats.skipped,
            handler_errors = stats.handler_errors,
            environment_retries = stats.environment_retries,
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
        if !self.config.commit_offsets {
            return Ok(());
        }
        match self.consumer.commit_consumer_state(mode) {
            Ok(()) => {
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => Ok(()),
            Err(e) => Err(kafka_error("committing offsets", e)),
        }
    }

    fn emit(&self, event: ConsumerEvent<'_>) {
        if let Some(l) = &self.listener {
            l(&event);
        }
    }

    async fn process<F, Fut, E>(&self, msg: &BorrowedMessage<'_>, handler: &mut F) -> Result<()>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display + 'static,
    {
        self.counters.bytes.fetch_add(
            msg.payload().map_or(0, |p| p.len() as u64),
            Ordering::Relaxed,
        );
        let mut decoded = match self.decode_holding_position(msg).await? {
            Ok(m) => m,
            Err((e, id)) => return self.reject(msg, Rejected::Decode(e, id)).await,
        };
        let id = decoded.schema_id;
        let mut attempt = 0u32;
        let mut delay = self.config.retry_backoff;
        let reason = loop {
            // The handler owns the value; a retry decodes the record again (the writer schema
            // is cached) rather than every record paying for a clone in case of a retry.
            match handler(decoded).await {
                Ok(()) => {
                    self.counters.handled.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => {
                    let reason = e.to_string();
                    if (&e as &dyn std::any::Any).is::<StopConsumer>() {
                        return Err(Error::Handler {
                            topic: msg.topic().to_string(),
                            partition: msg.partition(),
                            offset: msg.offset(),
                            reason,
                        });
                    }
                    self.counters.handler_errors.fetch_add(1, Ordering::Relaxed);
                    if attempt >= self.config.max_retries {
                        break reason;
                    }
                    tracing::debug!(error = %reason, attempt, "handler failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                    decoded = match self.decode_holding_position(msg).await? {
                        Ok(m) => m,
                        Err((e, id)) => return self.reject(msg, Rejected::Decode(e, id)).await,
                    };
                }
            }
        };
        self.reject(msg, Rejected::Handler(reason, id)).await
    }

    /// Decode, retrying the environment's faults within the budget without giving up the
    /// record. `Err` = stop the consumer (budget spent, or a fault retrying cannot fix);
    /// `Ok(Err)` = the record's own fault.
    async fn decode_holding_position(
        &self,
        msg: &BorrowedMessage<'_>,
    ) -> Result<std::result::Result<Message<V>, (Error, Option<SchemaId>)>> {
        let started = Instant::now();
        let budget = self.config.environment_retry_timeout;
        let mut delay = self.config.retry_backoff.max(Duration::from_millis(1));
        let mut attempt = 0u32;
        let at = Position {
            topic: msg.topic(),
            partition: msg.partition(),
            offset: msg.offset(),
        };
        loop {
            let (error, id) = match self.decode(msg).await {
                Ok(m) => return Ok(Ok(m)),
                Err(failed) => failed,
            };
            let waited = started.elapsed();
            match error.fault() {
                Fault::Record => return Ok(Err((error, id))),
                Fault::Transient if waited < budget => {}
                Fault::Transient | Fault::Fatal => {
                    return Err(Error::Environment {
                        topic: at.topic.to_string(),
                        partition: at.partition,
                        offset: at.offset,
                        waited,
                        source: Box::new(error),
                    })
                }
            }
            attempt += 1;
            self.counters
                .environment_retries
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(record = %at, attempt, ?waited, error = %error, "environment fault; retrying, holding the position");
            self.emit(ConsumerEvent::Retrying {
                at,
                attempt,
                waited,
                budget,
                error: &error,
            });
            let pause = delay.min(budget.saturating_sub(waited));
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = self.stop_notify.notified() => {}
            }
            if self.stop_retrying.load(Ordering::SeqCst) {
                return Err(Error::Environment {
                    topic: at.topic.to_string(),
                    partition: at.partition,
                    offset: at.offset,
                    waited: started.elapsed(),
                    source: Box::new(error),
                });
            }
            delay = delay.saturating_mul(2).min(MAX_ENVIRONMENT_BACKOFF);
        }
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
        let header_id = headers
            .iter()
            .find(|(k, _)| k == VALUE_SCHEMA_ID_HEADER)
            .and_then(|(_, v)| v.as_deref());
        // The header form (Confluent 8): the payload has no magic and id; put them in front so
        // one decoder reads both forms.
        let framed;
        let frame: &[u8] = match header_id {
            None => payload,
            Some(h) => {
                let h = HeaderSchemaId::parse(h).map_err(|e| (e.into(), None))?;
                let id = self
                    .resolver
                    .header_schema_id(h)
                    .await
                    .map_err(|e| (e, None))?;
                let mut f = Vec::with_capacity(payload.len() + crate::wire::HEADER_LEN);
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
        let value = V::from_frame(frame, &writer).map_err(|e| (e.into(), Some(id)))?;
        Ok(base(Some(value), Some(id)))
    }

    /// A record's own fault: dead-letter it, skip it, or stop at it, by policy.
    async fn reject(&self, msg: &BorrowedMessage<'_>, rejected: Rejected) -> Result<()> {
        let (stage, class, message, id) = match &rejected {
            Rejected::Decode(e, id) => (STAGE_DECODE, error_kind(e), e.to_string(), *id),
            Rejected::Handler(m, id) => (STAGE_HANDLER, "HandlerError", m.clone(), *id),
        };
        let at = Position {
            topic: msg.topic(),
            partition: msg.partition(),
            offset: msg.offset(),
        };
        if self.config.dead_letter == DeadLetter::Skip {
            tracing::warn!(record = %at, reason = %message, "skipped");
            self.counters.skipped.fetch_add(1, Ordering::Relaxed);
            self.emit(ConsumerEvent::Skipped {
                at,
                reason: &message,
            });
            return Ok(());
        }
        let (Some(topic), Some(producer)) = (
            self.config.dead_letter.topic_for(msg.topic()),
            &self.dead_letters,
        ) else {
            return Err(match rejected {
                Rejected::Decode(e, _) => Error::Undecodable {
                    topic: at.topic.to_string(),
                    partition: at.partition,
                    offset: at.offset,
                    source: Box::new(e),
                },
                Rejected::Handler(m, _) => Error::Handler {
                    topic: at.topic.to_string(),
                    partition: at.partition,
                    offset: at.offset,
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
        tracing::warn!(record = %at, dlq = %topic, reason = %message, "dead-lettered");
        self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
        self.emit(ConsumerEvent::DeadLettered {
            at,
            topic: &topic,
            reason: &message,
        });
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
