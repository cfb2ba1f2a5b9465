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
//! ## Several records at once
//!
//! [`ConsumerConfig::ordering`] and [`ConsumerConfig::max_concurrency`] let one member handle
//! up to `max_concurrency` records at once ([`crate::parallel`]): [`ProcessingOrder::Partition`]
//! keeps each partition in order, [`ProcessingOrder::Key`] each key, [`ProcessingOrder::Unordered`]
//! nothing. The default (`Partition`, 1) is the serial consumer above, through the same loop.
//! Whatever the ordering, a partition's offset is stored only over records that are finished
//! together with every earlier record of the partition ([`crate::offset_tracker`]), so a crash
//! or a rebalance re-reads from the first unfinished record — at least once, never a gap. The
//! records received but not started are bounded per partition
//! ([`ConsumerConfig::look_ahead`]); a full partition is paused, not buffered further.
//! [`TypedConsumer::run_batch`] hands the handler batches of one partition's records.
//! Retries, dead letters and the environment rule apply to each record as in the serial mode.
//!
//! On revoke, the revoked partitions' waiting records are dropped (not started: the next owner
//! reads them) and the member waits — up to [`ConsumerConfig::revoke_timeout`] — for their
//! records in flight to finish, commits what is committable, and only then gives the
//! partitions up. The wait is not a blocking one inside librdkafka's rebalance callback: the
//! callback runs inside `recv`, on the very task that polls the handlers, so blocking there
//! would stop the records it waits for. Instead the callback leaves the partitions assigned
//! (librdkafka then waits for the application's unassign, as it allows: its
//! `WAIT_UNASSIGN_CALL` state) and the loop unassigns once they are finished. Records still in
//! flight past the bound are not committed; the next owner reads them again.
//!
//! Dead letters keep the original key, value and headers, plus Kafka Connect-style error
//! headers ([`crate::dead_letter`]). The dead-letter topic is created if missing (some brokers
//! never auto-create). Nothing is skipped silently: [`DeadLetter::Stop`] is the default.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
use crate::offset_tracker::{OffsetTracker, TopicPartition};
pub use crate::parallel::{BatchConfig, ProcessingOrder};
use crate::parallel::{InFlight, LaneKey, Lanes};
use crate::registry::schemas::SchemaResolver;
use crate::registry::CachedRegistry;
pub use crate::shutdown_signal;
pub use crate::start_offset::{StartAt, StartMoved};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};

/// Longest pause between two retries of an environment fault.
const MAX_ENVIRONMENT_BACKOFF: Duration = Duration::from_secs(5);

/// Consumer settings. Kafka properties not covered here pass through `properties`.
#[derive(Clone)]
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
    /// Which records are kept in order while several are handled at once. Default:
    /// [`ProcessingOrder::Partition`].
    pub ordering: ProcessingOrder,
    /// Records (or batches, with [`TypedConsumer::run_batch`]) in flight at once. Default: 1,
    /// the serial consumer: one record at a time, exactly as a consumer without concurrency.
    /// Raise it when the handler waits on I/O (a database write, an HTTP call): a handler
    /// taking 5 ms handles at most 200 records/s serially, whatever the partition count. With
    /// [`ProcessingOrder::Partition`] more than the partition count assigned adds nothing.
    pub max_concurrency: usize,
    /// Records received and waiting (not yet started) per partition before the partition is
    /// paused (librdkafka pause/resume) instead of buffered further; resumed at half.
    /// Default (`None`): `max(1000, 2 × max_concurrency)`.
    pub look_ahead: Option<usize>,
    /// How long shutdown (or a stop on an error) waits for the records in flight to finish
    /// before leaving them unfinished: not committed, read again after the restart. Default:
    /// 10 s. Keep it below `max.poll.interval.ms`.
    pub drain_timeout: Duration,
    /// On a rebalance, how long the member keeps revoked partitions while their records in
    /// flight finish (then commits them and lets the partitions go); records still in
    /// flight past it are read again by the next owner. The group's rebalance waits for it:
    /// keep it well below `max.poll.interval.ms` (and, with KIP-848, the rebalance timeout).
    /// Default: 10 s.
    pub revoke_timeout: Duration,
    /// How [`TypedConsumer::run_batch`] groups records. Default: [`BatchConfig::default`].
    pub batch: BatchConfig,
    /// librdkafka properties, applied last (also to the dead-letter producer, so security
    /// settings reach both).
    pub properties: BTreeMap<String, String>,
}

/// Every setting, secrets as `<redacted>` ([`crate::redact`]).
impl std::fmt::Debug for ConsumerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Exhaustive: a new field must be placed here, secret or not.
        let ConsumerConfig {
            brokers,
            group_id,
            topics,
            auto_offset_reset,
            start_uncommitted,
            commit_every,
            commit_interval,
            commit_offsets,
            max_retries,
            retry_backoff,
            environment_retry_timeout,
            dead_letter,
            idle_timeout,
            read_committed,
            group_protocol,
            ordering,
            max_concurrency,
            look_ahead,
            drain_timeout,
            revoke_timeout,
            batch,
            properties,
        } = self;
        f.debug_struct("ConsumerConfig")
            .field("brokers", brokers)
            .field("group_id", group_id)
            .field("topics", topics)
            .field("auto_offset_reset", auto_offset_reset)
            .field("start_uncommitted", start_uncommitted)
            .field("commit_every", commit_every)
            .field("commit_interval", commit_interval)
            .field("commit_offsets", commit_offsets)
            .field("max_retries", max_retries)
            .field("retry_backoff", retry_backoff)
            .field("environment_retry_timeout", environment_retry_timeout)
            .field("dead_letter", dead_letter)
            .field("idle_timeout", idle_timeout)
            .field("read_committed", read_committed)
            .field("group_protocol", group_protocol)
            .field("ordering", ordering)
            .field("max_concurrency", max_concurrency)
            .field("look_ahead", look_ahead)
            .field("drain_timeout", drain_timeout)
            .field("revoke_timeout", revoke_timeout)
            .field("batch", batch)
            .field("properties", &crate::redact::Properties(properties))
            .finish()
    }
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
            ordering: ProcessingOrder::Partition,
            max_concurrency: 1,
            look_ahead: None,
            drain_timeout: Duration::from_secs(10),
            revoke_timeout: Duration::from_secs(10),
            batch: BatchConfig::default(),
            properties: BTreeMap::new(),
        }
    }

    /// Set the ordering and the records in flight at once.
    pub fn concurrency(mut self, ordering: ProcessingOrder, max_concurrency: usize) -> Self {
        self.ordering = ordering;
        self.max_concurrency = max_concurrency.max(1);
        self
    }

    /// The look-ahead per partition: [`look_ahead`](Self::look_ahead) or its default.
    pub fn look_ahead_limit(&self) -> usize {
        self.look_ahead
            .unwrap_or_else(|| 1000.max(2 * self.max_concurrency.max(1)))
            .max(1)
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
    /// Records received and waiting to be started now (the look-ahead in use).
    pub buffered: u64,
    /// The most records ever waiting at once.
    pub max_buffered: u64,
    /// Records (or batches) in flight now.
    pub in_flight: u64,
    /// The most records (or batches) ever in flight at once.
    pub max_in_flight: u64,
    /// Times a partition was paused because its look-ahead was full.
    pub pauses: u64,
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
    buffered: AtomicU64,
    max_buffered: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    pauses: AtomicU64,
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
    /// Partitions revoked since the consumer loop last looked: it drops their waiting records
    /// and forgets their offsets (the callback runs inside `recv`, on the loop's own task).
    revoked: Mutex<Vec<TopicPartition>>,
    /// Set by the loop while records are in flight: a revoke then leaves the partitions
    /// assigned in [`Self::deferred_revoke`] for the loop to finish (see the module docs).
    defer_revoke: std::sync::atomic::AtomicBool,
    /// A revoke the loop has yet to finish: librdkafka's partition list, not unassigned yet.
    deferred_revoke: Mutex<Option<TopicPartitionList>>,
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
                if self.defer_revoke.load(Ordering::SeqCst) && tpl.count() > 0 {
                    // Records in flight: the loop waits for them, commits, then unassigns.
                    if let Ok(mut d) = self.deferred_revoke.lock() {
                        match d.as_mut() {
                            Some(held) => {
                                for e in tpl.elements() {
                                    held.add_partition(e.topic(), e.partition());
                                }
                            }
                            None => *d = Some(tpl.clone()),
                        }
                        tracing::debug!(
                            partitions = tpl.count(),
                            "revoke: waiting for the records in flight"
                        );
                        return;
                    }
                }
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
            self.commit_revoked(consumer, tpl);
        }
    }
}

impl CommitOnRevoke {
    /// Before partitions go: tell the loop, and commit the offsets stored so far.
    fn commit_revoked<C: Consumer<Self>>(&self, consumer: &C, tpl: &TopicPartitionList) {
        if let Ok(mut revoked) = self.revoked.lock() {
            revoked.extend(
                tpl.elements()
                    .iter()
                    .map(|e| (e.topic().to_string(), e.partition())),
            );
        }
        // Only offsets already stored are committed: those of records finished together with
        // every earlier record of their partition. Records in flight were waited for (a
        // deferred revoke, up to its bound) or there were none.
        if tpl.count() > 0 {
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => tracing::debug!(partitions = tpl.count(), "committed on revoke"),
                Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => {}
                Err(e) => tracing::warn!(error = %e, "commit on revoke failed"),
            }
        }
    }
}

/// How long the commit at shutdown retries a retriable error (the coordinator moving or
/// loading) before the run reports it.
const FINAL_COMMIT_RETRY: Duration = Duration::from_secs(10);

/// Why a commit did not go through, by what the loop does about it.
enum CommitFailure {
    /// The coordinator cannot take it now (moving, loading, unreachable): try again.
    Retriable(Error),
    /// The group is rebalancing: the partitions may not be ours any more.
    Rebalance(Error),
    /// Anything else: the consumer stops with it.
    Other(Error),
}

/// A consumer-group member decoding records into `V`: a generated type, or
/// [`serde_json::Value`] for records of any schema.
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
/// use schemaflow::consumer::{ConsumerConfig, Message, TypedConsumer};
/// use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
/// use schemas::avro::user_event::UserEvent;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = CachedRegistry::new(
///     RegistryClient::new(ClientConfig::new("http://localhost:8081"))?,
///     CacheConfig::default(),
/// );
/// let config = ConsumerConfig::new("localhost:9092", "audit", &["user-events"]);
/// let consumer = TypedConsumer::<UserEvent>::new(config, registry)?;
/// let stats = consumer
///     .run(
///         |m: Message<UserEvent>| async move {
///             // `None`: a tombstone. Written with another version of the schema, the value
///             // is resolved into this one.
///             if let Some(event) = m.value {
///                 println!("{} at {}@{}", event.user_id, m.partition, m.offset);
///             }
///             Ok::<(), String>(()) // an Err: retried, then `ConsumerConfig::dead_letter`
///         },
///         async {
///             let _ = tokio::signal::ctrl_c().await; // then finish, commit, leave the group
///         },
///     )
///     .await?;
/// println!("{stats:?}");
/// # Ok(())
/// # }
/// ```
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

/// What woke the consumer loop.
enum Event<'c, T> {
    Shutdown,
    Idle,
    Tick,
    DrainTimeout,
    CommitDue,
    Done(T),
    Record(std::result::Result<BorrowedMessage<'c>, rdkafka::error::KafkaError>),
}

/// Pins down the closure's argument type (closures do not infer a lifetime-carrying one).
fn constrain<'c, W, WF>(w: W) -> W
where
    W: Fn(Vec<BorrowedMessage<'c>>) -> WF,
{
    w
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
                revoked: Mutex::new(Vec::new()),
                defer_revoke: std::sync::atomic::AtomicBool::new(false),
                deferred_revoke: Mutex::new(None),
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
            buffered: c.buffered.load(Ordering::Relaxed),
            max_buffered: c.max_buffered.load(Ordering::Relaxed),
            in_flight: c.in_flight.load(Ordering::Relaxed),
            max_in_flight: c.max_in_flight.load(Ordering::Relaxed),
            pauses: c.pauses.load(Ordering::Relaxed),
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
    /// for each record. With the defaults (`max_concurrency` 1) one record at a time, in order
    /// per partition; with [`ConsumerConfig::ordering`] and [`ConsumerConfig::max_concurrency`]
    /// up to `max_concurrency` records at once, in order per partition, per key, or in no
    /// order. A record's offset is committed only once it and every earlier record of its
    /// partition are finished. On shutdown the records in flight are finished (for up to
    /// [`ConsumerConfig::drain_timeout`]), the committable offsets are committed, and the
    /// group is left. Returns the final counters, or the error that stopped it: a bad record
    /// under [`DeadLetter::Stop`] ([`Error::Undecodable`], [`Error::Handler`]), an environment
    /// fault past its retry budget ([`Error::Environment`]), a dead letter that could not be
    /// written, or a commit or broker failure. Whatever stopped it, what was handled is
    /// committed — never past the record that stopped it.
    pub async fn run<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display + 'static,
    {
        let handler = Mutex::new(handler);
        let handler = &handler;
        let work = constrain(move |msgs| async move {
            match msgs.first() {
                Some(m) => self.process(m, handler).await,
                None => Ok(()),
            }
        });
        self.run_loop(self.config.ordering, None, work, shutdown)
            .await
    }

    /// Consume until `shutdown` completes, calling `handler` with batches of records of one
    /// partition, in order: up to [`BatchConfig::max_records`], handed over when full or when
    /// its first record has waited [`BatchConfig::max_wait`]. Up to
    /// [`ConsumerConfig::max_concurrency`] batches (of different partitions) are in flight at
    /// once; [`ConsumerConfig::ordering`] is not used (batches keep partition order). A
    /// batch's offsets are committable once the handler returned `Ok`; an `Err` retries the
    /// whole batch (`max_retries`, `retry_backoff`), then each record of it is dead-lettered
    /// (or skipped, or stops the consumer) by [`ConsumerConfig::dead_letter`]. A record that
    /// cannot be decoded is rejected alone, before the batch. Otherwise as [`run`](Self::run).
    pub async fn run_batch<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Vec<Message<V>>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display + 'static,
    {
        let handler = Mutex::new(handler);
        let handler = &handler;
        let work = constrain(move |msgs| async move { self.process_batch(&msgs, handler).await });
        self.run_loop(
            ProcessingOrder::Partition,
            Some(self.config.batch),
            work,
            shutdown,
        )
        .await
    }

    /// The consumer loop, for single records and batches alike: receive records into their
    /// lanes, start the ready lanes' records up to `max_concurrency`, store an offset once a
    /// partition's finished records are contiguous, commit, pause partitions whose look-ahead
    /// is full. With `max_concurrency` 1 it receives a record only when none is in flight, so
    /// it is the serial consumer: receive, handle, store, commit.
    async fn run_loop<'c, W, WF>(
        &'c self,
        ordering: ProcessingOrder,
        batch: Option<BatchConfig>,
        work: W,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        W: Fn(Vec<BorrowedMessage<'c>>) -> WF,
        WF: Future<Output = Result<()>>,
    {
        tokio::pin!(shutdown);
        let max_concurrency = self.config.max_concurrency.max(1);
        let look_ahead = self.config.look_ahead_limit();
        let max_records = batch.map_or(1, |b| b.max_records.max(1));
        let max_wait = batch.map_or(Duration::ZERO, |b| b.max_wait);
        let mut lanes: Lanes<(BorrowedMessage<'c>, tokio::time::Instant)> = Lanes::new();
        let mut in_flight = InFlight::new();
        let mut tracker = OffsetTracker::new();
        // Per partition: records waiting (not started), whether paused, and an epoch bumped on
        // revoke so that a record of an earlier assignment finishing late commits nothing.
        let mut waiting: HashMap<TopicPartition, usize> = HashMap::new();
        let mut paused: HashSet<TopicPartition> = HashSet::new();
        let mut epochs: HashMap<TopicPartition, u64> = HashMap::new();
        let mut stopping: Option<Result<()>> = None;
        let mut shutdown_asked = false;
        let mut drain_deadline = tokio::time::Instant::now();
        let mut since_commit = 0usize;
        let mut last_commit = Instant::now();
        // A year stands for "never": `select!` evaluates a disabled branch's future too.
        let never = Duration::from_secs(365 * 24 * 3600);
        let idle = self.config.idle_timeout.unwrap_or(never);
        let mut last_record = tokio::time::Instant::now();
        // Records in flight per partition, and the bound of a revoke waiting for them.
        let mut running: HashMap<TopicPartition, usize> = HashMap::new();
        let mut revoke_deadline: Option<tokio::time::Instant> = None;
        let c = &self.counters;
        loop {
            self.advance_revoke(&mut revoke_deadline, &running, &mut lanes, &mut waiting);
            self.forget_revoked(
                &mut lanes,
                &mut tracker,
                &mut waiting,
                &mut paused,
                &mut epochs,
            );
            if stopping.is_none() {
                let now = tokio::time::Instant::now();
                while in_flight.len() < max_concurrency {
                    // A batch still filling waits, unless full or its first record waited long.
                    let hold = |q: &std::collections::VecDeque<(
                        BorrowedMessage<'c>,
                        tokio::time::Instant,
                    )>| {
                        batch.is_some()
                            && q.len() < max_records
                            && q.front()
                                .is_some_and(|(_, t)| now.duration_since(*t) < max_wait)
                    };
                    let Some((key, items)) = lanes.take(max_records, hold) else {
                        break;
                    };
                    let (topic, partition) = key.partition();
                    let tp: TopicPartition = (topic.to_string(), partition);
                    if let Some(w) = waiting.get_mut(&tp) {
                        *w = w.saturating_sub(items.len());
                    }
                    let epoch = epochs.get(&tp).copied().unwrap_or(0);
                    let offsets: Vec<i64> = items.iter().map(|(m, _)| m.offset()).collect();
                    let msgs: Vec<BorrowedMessage<'c>> =
                        items.into_iter().map(|(m, _)| m).collect();
                    let job = work(msgs);
                    *running.entry(tp.clone()).or_insert(0) += 1;
                    in_flight.push(async move { (key, tp, epoch, offsets, job.await) });
                }
                // Resume the partitions whose look-ahead has room again.
                let room: Vec<TopicPartition> = paused
                    .iter()
                    .filter(|tp| waiting.get(*tp).copied().unwrap_or(0) <= look_ahead / 2)
                    .cloned()
                    .collect();
                for tp in room {
                    paused.remove(&tp);
                    let mut tpl = TopicPartitionList::new();
                    tpl.add_partition(&tp.0, tp.1);
                    if let Err(e) = self.consumer.resume(&tpl) {
                        tracing::debug!(error = %e, "resuming a partition failed");
                    }
                }
            } else if in_flight.is_empty() {
                break;
            }
            c.buffered.store(lanes.waiting() as u64, Ordering::Relaxed);
            c.max_buffered
                .fetch_max(lanes.waiting() as u64, Ordering::Relaxed);
            c.in_flight.store(in_flight.len() as u64, Ordering::Relaxed);
            c.max_in_flight
                .fetch_max(in_flight.len() as u64, Ordering::Relaxed);
            // Serially (and whenever every slot is taken) receive nothing more: the records a
            // busy member has not started stay in librdkafka's bounded fetch queue.
            let receive = stopping.is_none()
                && revoke_deadline.is_none()
                && (in_flight.len() < max_concurrency || batch.is_some());
            // A revoke arriving inside `recv` now waits for these (see the module docs).
            self.consumer
                .context()
                .defer_revoke
                .store(!in_flight.is_empty(), Ordering::SeqCst);
            let quiet = in_flight.is_empty() && lanes.waiting() == 0;
            let batch_tick = batch.is_some() && lanes.waiting() > 0;
            let event = tokio::select! {
                biased;
                () = &mut shutdown, if !shutdown_asked => Event::Shutdown,
                done = in_flight.next(), if !in_flight.is_empty() => Event::Done(done),
                m = self.consumer.recv(), if receive => Event::Record(m),
                () = tokio::time::sleep(self.config.commit_interval), if since_commit > 0 => Event::CommitDue,
                () = tokio::time::sleep_until(last_record + idle), if self.config.idle_timeout.is_some() && quiet && stopping.is_none() => Event::Idle,
                () = tokio::time::sleep(max_wait.max(Duration::from_millis(1)) / 4), if batch_tick && stopping.is_none() => Event::Tick,
                () = tokio::time::sleep_until(drain_deadline), if stopping.is_some() => Event::DrainTimeout,
                () = tokio::time::sleep_until(revoke_deadline.unwrap_or(drain_deadline)), if revoke_deadline.is_some() => Event::Tick,
            };
            match event {
                Event::Shutdown => {
                    shutdown_asked = true;
                    // Records in flight are finished; environment retries are cut short (their
                    // records are then not stored, so read again after the restart).
                    self.stop_retrying.store(true, Ordering::SeqCst);
                    self.stop_notify.notify_waiters();
                    if stopping.is_none() {
                        stopping = Some(Ok(()));
                        drain_deadline = tokio::time::Instant::now() + self.config.drain_timeout;
                    }
                }
                Event::Idle => {
                    stopping = Some(Ok(()));
                    drain_deadline = tokio::time::Instant::now() + self.config.drain_timeout;
                }
                Event::Tick => {}
                Event::DrainTimeout => {
                    tracing::warn!(
                        in_flight = in_flight.len(),
                        "records still in flight after the drain timeout: not committed"
                    );
                    break;
                }
                Event::CommitDue => {
                    if let Err(e) = self.commit(CommitMode::Async) {
                        stopping.get_or_insert(Err(e));
                    }
                    since_commit = 0;
                    last_commit = Instant::now();
                }
                Event::Done((key, tp, epoch, offsets, outcome)) => {
                    lanes.done(&key);
                    if let Some(n) = running.get_mut(&tp) {
                        *n = n.saturating_sub(1);
                    }
                    last_record = tokio::time::Instant::now();
                    match outcome {
                        Ok(()) => {}
                        Err(Error::Environment { .. }) if shutdown_asked => continue,
                        Err(e) => {
                            if !matches!(stopping, Some(Err(_))) {
                                // The first error stops the consumer: nothing more starts,
                                // the failed record is never committed past, and the other
                                // records' environment retries are cut short.
                                stopping = Some(Err(e));
                                self.stop_retrying.store(true, Ordering::SeqCst);
                                self.stop_notify.notify_waiters();
                                drain_deadline =
                                    tokio::time::Instant::now() + self.config.drain_timeout;
                            } else {
                                tracing::warn!(error = %e, "another record failed while stopping");
                            }
                            continue;
                        }
                    }
                    if epochs.get(&tp).copied().unwrap_or(0) != epoch || !self.config.commit_offsets
                    {
                        continue;
                    }
                    let mut moved = None;
                    for o in &offsets {
                        moved = tracker.finished(&tp, *o).or(moved);
                    }
                    if let Some(next) = moved {
                        // `store_offset` stores `offset + 1`: the next record to read.
                        if let Err(e) = self.consumer.store_offset(&tp.0, tp.1, next - 1) {
                            // The partition may have been revoked meanwhile: redelivered.
                            tracing::warn!(error = %e, "storing offset failed");
                        }
                    }
                    since_commit += offsets.len();
                    if since_commit >= self.config.commit_every
                        || last_commit.elapsed() >= self.config.commit_interval
                    {
                        if let Err(e) = self.commit(CommitMode::Async) {
                            stopping.get_or_insert(Err(e));
                        }
                        since_commit = 0;
                        last_commit = Instant::now();
                    }
                }
                Event::Record(Err(e)) => {
                    tracing::warn!(error = %e, "consumer error");
                    let e = kafka_error("consuming", e);
                    if e.is_fatal() {
                        stopping = Some(Err(e));
                        drain_deadline = tokio::time::Instant::now() + self.config.drain_timeout;
                    }
                }
                Event::Record(Ok(msg)) => {
                    // A revoke may have run inside `recv`: forget those partitions first.
                    self.forget_revoked(
                        &mut lanes,
                        &mut tracker,
                        &mut waiting,
                        &mut paused,
                        &mut epochs,
                    );
                    last_record = tokio::time::Instant::now();
                    let tp: TopicPartition = (msg.topic().to_string(), msg.partition());
                    tracker.received(&tp, msg.offset());
                    let key = LaneKey::of(
                        ordering,
                        msg.topic(),
                        msg.partition(),
                        msg.offset(),
                        msg.key(),
                    );
                    lanes.push(key, (msg, tokio::time::Instant::now()));
                    let w = waiting.entry(tp.clone()).or_insert(0);
                    *w += 1;
                    if *w >= look_ahead && !paused.contains(&tp) {
                        let mut tpl = TopicPartitionList::new();
                        tpl.add_partition(&tp.0, tp.1);
                        match self.consumer.pause(&tpl) {
                            Ok(()) => {
                                tracing::debug!(topic = %tp.0, partition = tp.1, "look-ahead full: partition paused");
                                c.pauses.fetch_add(1, Ordering::Relaxed);
                                paused.insert(tp);
                            }
                            Err(e) => tracing::warn!(error = %e, "pausing a partition failed"),
                        }
                    }
                }
            }
            if stopping.is_some() && lanes.waiting() > 0 {
                // Not started: unfinished, so never committed past; read again after restart.
                lanes.clear();
                waiting.clear();
            }
        }
        drop(in_flight);
        // Nothing is in flight any more: a revoke still held lets its partitions go now.
        self.consumer
            .context()
            .defer_revoke
            .store(false, Ordering::SeqCst);
        self.release_revoked();
        c.buffered.store(0, Ordering::Relaxed);
        c.in_flight.store(0, Ordering::Relaxed);
        let result = stopping.unwrap_or(Ok(()));
        // Whatever stopped us, commit what was handled (never the record that stopped us, nor
        // any after an unfinished one: their offsets were not stored), then leave the group.
        let final_commit = self.final_commit().await;
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
            max_in_flight = stats.max_in_flight,
            pauses = stats.pauses,
            "consumer stopped"
        );
        result?;
        final_commit?;
        Ok(stats)
    }

    /// A revoke held for records in flight: when first seen, drop the revoked partitions'
    /// waiting records (not started: the next owner reads them) and start its bound; once none
    /// of their records is in flight, or the bound passed, commit and let the partitions go.
    fn advance_revoke<T>(
        &self,
        deadline: &mut Option<tokio::time::Instant>,
        running: &HashMap<TopicPartition, usize>,
        lanes: &mut Lanes<T>,
        waiting: &mut HashMap<TopicPartition, usize>,
    ) {
        let held: Vec<TopicPartition> = match self.consumer.context().deferred_revoke.lock() {
            Ok(d) => match d.as_ref() {
                Some(tpl) => tpl
                    .elements()
                    .iter()
                    .map(|e| (e.topic().to_string(), e.partition()))
                    .collect(),
                None => return,
            },
            Err(_) => return,
        };
        let now = tokio::time::Instant::now();
        let until = *deadline.get_or_insert_with(|| {
            for tp in &held {
                lanes.drop_partition(&tp.0, tp.1);
                waiting.remove(tp);
            }
            now + self.config.revoke_timeout
        });
        let busy: usize = held
            .iter()
            .map(|tp| running.get(tp).copied().unwrap_or(0))
            .sum();
        if busy > 0 && now < until {
            return;
        }
        if busy > 0 {
            tracing::warn!(
                in_flight = busy,
                "records of revoked partitions still in flight after revoke_timeout: not committed; their next owner reads them again"
            );
        }
        *deadline = None;
        self.release_revoked();
    }

    /// Commit and unassign the partitions of a held revoke, if any.
    fn release_revoked(&self) {
        let ctx = self.consumer.context();
        let Some(tpl) = ctx.deferred_revoke.lock().ok().and_then(|mut d| d.take()) else {
            return;
        };
        ctx.commit_revoked(&self.consumer, &tpl);
        let given_up = match self.consumer.rebalance_protocol() {
            rdkafka::consumer::RebalanceProtocol::Cooperative => {
                self.consumer.incremental_unassign(&tpl)
            }
            _ => self.consumer.unassign(),
        };
        match given_up {
            Ok(()) => tracing::debug!(partitions = tpl.count(), "revoked partitions let go"),
            Err(e) => tracing::error!(error = %e, "revoking partitions failed"),
        }
    }

    /// Drop what the loop holds of the partitions revoked since it last looked.
    fn forget_revoked<T>(
        &self,
        lanes: &mut Lanes<T>,
        tracker: &mut OffsetTracker,
        waiting: &mut HashMap<TopicPartition, usize>,
        paused: &mut HashSet<TopicPartition>,
        epochs: &mut HashMap<TopicPartition, u64>,
    ) {
        let revoked = match self.consumer.context().revoked.lock() {
            Ok(mut r) if !r.is_empty() => std::mem::take(&mut *r),
            _ => return,
        };
        for tp in revoked {
            let dropped = lanes.drop_partition(&tp.0, tp.1);
            tracing::debug!(topic = %tp.0, partition = tp.1, dropped, "partition revoked");
            tracker.forget(&tp);
            waiting.remove(&tp);
            paused.remove(&tp);
            *epochs.entry(tp).or_insert(0) += 1;
        }
    }

    /// Commit the stored offsets without waiting. A commit the coordinator cannot take now
    /// (it moves, loads, or the group rebalances) is not an error of the run: the offsets stay
    /// stored and the next commit carries them. Only other errors stop the consumer.
    fn commit(&self, mode: CommitMode) -> Result<()> {
        match self.try_commit(mode) {
            Err(CommitFailure::Retriable(e)) | Err(CommitFailure::Rebalance(e)) => {
                tracing::warn!(error = %e, "commit failed; the next commit carries its offsets");
                Ok(())
            }
            Err(CommitFailure::Other(e)) => Err(e),
            Ok(()) => Ok(()),
        }
    }

    /// The last commit, at shutdown: retries what is retriable for up to
    /// [`FINAL_COMMIT_RETRY`] (as Java's `commitSync` retries until its timeout). If the group
    /// is rebalancing, the partitions are no longer ours to commit: their next owner reads
    /// the uncommitted records again (at-least-once holds), and that is not an error.
    async fn final_commit(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + FINAL_COMMIT_RETRY;
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.try_commit(CommitMode::Sync) {
                Ok(()) => return Ok(()),
                Err(CommitFailure::Rebalance(e)) => {
                    tracing::warn!(error = %e, "final commit refused by a rebalance; the partitions' next owner reads the uncommitted records again");
                    return Ok(());
                }
                Err(CommitFailure::Retriable(e)) if tokio::time::Instant::now() < deadline => {
                    tracing::warn!(error = %e, "final commit failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                Err(CommitFailure::Retriable(e)) | Err(CommitFailure::Other(e)) => return Err(e),
            }
        }
    }

    fn try_commit(&self, mode: CommitMode) -> std::result::Result<(), CommitFailure> {
        if !self.config.commit_offsets {
            return Ok(());
        }
        match self.consumer.commit_consumer_state(mode) {
            Ok(()) => {
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => Ok(()),
            Err(e) => {
                let rebalance = matches!(
                    e.rdkafka_error_code(),
                    Some(
                        RDKafkaErrorCode::RebalanceInProgress
                            | RDKafkaErrorCode::IllegalGeneration
                            | RDKafkaErrorCode::UnknownMemberId
                    )
                );
                let e = kafka_error("committing offsets", e);
                Err(if rebalance {
                    CommitFailure::Rebalance(e)
                } else if e.is_retriable() && !e.is_fatal() {
                    CommitFailure::Retriable(e)
                } else {
                    CommitFailure::Other(e)
                })
            }
        }
    }

    fn emit(&self, event: ConsumerEvent<'_>) {
        if let Some(l) = &self.listener {
            l(&event);
        }
    }

    async fn process<F, Fut, E>(&self, msg: &BorrowedMessage<'_>, handler: &Mutex<F>) -> Result<()>
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
            // The lock is held only to create the future, never across an await: the handlers
            // of other records in flight call it meanwhile.
            let call = { (handler.lock().unwrap_or_else(PoisonError::into_inner))(decoded) };
            match call.await {
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

    /// A batch: decode each record (a record's own fault rejects it alone), hand the rest over
    /// together, retry the whole batch on `Err`, then reject each of its records.
    async fn process_batch<F, Fut, E>(
        &self,
        msgs: &[BorrowedMessage<'_>],
        handler: &Mutex<F>,
    ) -> Result<()>
    where
        F: FnMut(Vec<Message<V>>) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display + 'static,
    {
        for m in msgs {
            self.counters
                .bytes
                .fetch_add(m.payload().map_or(0, |p| p.len() as u64), Ordering::Relaxed);
        }
        // The records that decoded; the others are rejected (by policy) here, once.
        let mut good: Vec<&BorrowedMessage<'_>> = Vec::with_capacity(msgs.len());
        let mut decoded = Vec::with_capacity(msgs.len());
        for m in msgs {
            match self.decode_holding_position(m).await? {
                Ok(d) => {
                    good.push(m);
                    decoded.push(d);
                }
                Err((e, id)) => self.reject(m, Rejected::Decode(e, id)).await?,
            }
        }
        if good.is_empty() {
            return Ok(());
        }
        let mut attempt = 0u32;
        let mut delay = self.config.retry_backoff;
        let reason = loop {
            let n = decoded.len() as u64;
            let call = { (handler.lock().unwrap_or_else(PoisonError::into_inner))(decoded) };
            match call.await {
                Ok(()) => {
                    self.counters.handled.fetch_add(n, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => {
                    let reason = e.to_string();
                    if (&e as &dyn std::any::Any).is::<StopConsumer>() {
                        return Err(Error::Handler {
                            topic: good[0].topic().to_string(),
                            partition: good[0].partition(),
                            offset: good[0].offset(),
                            reason,
                        });
                    }
                    self.counters.handler_errors.fetch_add(1, Ordering::Relaxed);
                    if attempt >= self.config.max_retries {
                        break reason;
                    }
                    tracing::debug!(error = %reason, attempt, records = n, "batch handler failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                    // Decoded again rather than cloned for every batch in case of a retry.
                    decoded = Vec::with_capacity(good.len());
                    for m in &good {
                        match self.decode_holding_position(m).await? {
                            Ok(d) => decoded.push(d),
                            Err((e, _)) => return Err(e),
                        }
                    }
                }
            }
        };
        for m in good {
            let id = crate::wire::read_header(m.payload().unwrap_or_default())
                .ok()
                .map(|(id, _)| id);
            self.reject(m, Rejected::Handler(reason.clone(), id))
                .await?;
        }
        Ok(())
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
            // `notify_waiters` wakes only the waiters registered then: look at the flag too.
            let stop = self.stop_notify.notified();
            tokio::pin!(stop);
            stop.as_mut().enable();
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = &mut stop, if !self.stop_retrying.load(Ordering::SeqCst) => {}
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
