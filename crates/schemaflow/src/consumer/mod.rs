//! `TypedConsumer`: a consumer-group member that decodes registry-framed records and hands
//! them to your handler, at least once. It is the one consumer loop of schemaflow: the typed
//! consumer of generated types, and `schemaflow consume` (which decodes any frame to
//! [`serde_json::Value`]), both run it.
//!
//! ```text
//! record → schema id (payload frame, or the __value_schema_id header: id or GUID)
//!        → writer schema (cached) → decode into V (Avro resolution / Protobuf message check)
//!        → handler(msg) → Ok → offset stored
//!                       → Err(HandlerError) → by its verdict: retried with backoff, then
//!                         dead-lettered | dead-lettered at once | stop (HandlerError)
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
//! up to `max_concurrency` records at once ([`parallel`]): [`ProcessingOrder::Partition`]
//! keeps each partition in order, [`ProcessingOrder::Key`] each key, [`ProcessingOrder::Unordered`]
//! nothing. The default (`Partition`, 1) is the serial consumer above, through the same loop.
//! Whatever the ordering, a partition's offset is stored only over records that are finished
//! together with every earlier record of the partition ([`offset_tracker`]), so a crash
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
//! ## How it is built
//!
//! ```text
//! TypedConsumer::run / run_batch
//!   └ driver (driver.rs): waits for the next event, hands it to the engine, carries out
//!     │                   the actions it returns on the source
//!     ├ Engine (engine.rs): the loop's state, one method per event (record, job done,
//!     │                     commit due, shutdown, idle, drain timeout, revoke held/done)
//!     │                     → actions (start a job, store/commit offsets, pause/resume a
//!     │                       partition, cut retries short, let revoked partitions go)
//!     ├ Source (source.rs): poll records, store, commit, pause, resume, revokes
//!     │                     — rdkafka's consumer with CommitOnRevoke (rebalance.rs)
//!     └ a job: decode (decode.rs) → the handler through the one retry loop (retry.rs)
//!              → rejected records by the dead-letter policy (dead_letter.rs)
//! ```
//!
//! The exactly-once processor ([`crate::exactly_once`]) decodes through the same path
//! (decode.rs: the schema id from the header or the frame), so it reads what this consumer
//! reads.
//!
//! Dead letters keep the original key, value and headers, plus Kafka Connect-style error
//! headers ([`dead_letter`]). The dead-letter topic is created if missing (some brokers
//! never auto-create). Nothing is skipped silently: [`DeadLetter::Stop`] is the default.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::TopicPartitionList;

mod backoff;
mod config;
pub mod dead_letter;
mod decode;
mod deliver;
mod driver;
mod engine;
mod events;
mod message_ref;
pub mod offset_tracker;
pub mod parallel;
mod rebalance;
mod retry;
mod source;
pub mod start_offset;
pub(crate) mod verdict;

pub use crate::admin::create_topic;
pub use crate::shutdown_signal;
pub use config::{ConsumerConfig, GroupProtocol};
pub use dead_letter::{dead_letter_record, dlq_rule, error_kind, DeadLetter, DeadLetterCause};
pub use decode::Message;
pub use events::{ConsumerEvent, ConsumerStats, Position};
pub use message_ref::MessageRef;
pub use parallel::{BatchConfig, ProcessingOrder};
pub use rebalance::CommitOnRevoke;
pub use retry::{BoxError, HandlerError, Verdict};
pub use start_offset::{StartAt, StartMoved};

pub(crate) use decode::{decode_value, value_schema_id_header};

use crate::codec::FromFrame;
use crate::error::{kafka_error, Result};
use crate::registry::schemas::SchemaResolver;
use crate::registry::CachedRegistry;
use deliver::{InPlace, Owned};
use driver::Work;
use engine::Finished;
use engine::{Engine, Settings};
use events::{Counters, EventListener};
use retry::StopSignal;
use source::KafkaSource;

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
/// use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
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
///             Ok::<(), HandlerError>(()) // an Err: by its verdict (retried, then dead-lettered, …)
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
    /// Fired when the consumer stops (shutdown, or an error) while records are in hand: cuts
    /// environment retries short.
    stop: StopSignal,
    _value: PhantomData<fn() -> V>,
}

/// The lock, whatever a panic elsewhere left in it (the data is spare decoded values).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<V> std::fmt::Debug for TypedConsumer<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedConsumer")
            .field("group_id", &self.config.group_id)
            .field("topics", &self.config.topics)
            .finish()
    }
}

impl<V> Drop for TypedConsumer<V> {
    /// librdkafka's close (in the `StreamConsumer`'s drop, right after this) revokes the
    /// partitions; a consumer dropped in the middle of a run — its task cancelled, a test that
    /// panicked — may be holding a revoke back for records in flight that will never finish,
    /// and close would wait for their unassign for ever. So: hold nothing back from here on,
    /// and let a revoke already held go now (the finished records' offsets are committed; the
    /// unfinished ones were never stored, so their records are read again by the next owner).
    fn drop(&mut self) {
        let context = self.consumer.context();
        context.defer_revokes(false);
        context.let_go(&self.consumer);
    }
}

impl<V: FromFrame> TypedConsumer<V> {
    /// Join the group and subscribe to `config.topics`.
    ///
    /// The consumer is a member of its group from here on: call [`run`](Self::run) (or
    /// [`run_batch`](Self::run_batch)) soon after. A member that has joined but does not poll
    /// holds its group's next rebalance — its partitions are given up only from inside `run` —
    /// so every other member waits in its join until it runs, or until `max.poll.interval.ms`
    /// passes.
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
            .create_with_context(CommitOnRevoke::new(config.start_uncommitted))
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
            resolver: SchemaResolver::new(registry)
                .validate_json(config.validate)
                .reader_version(config.reader_version.clone()),
            dead_letters,
            created_dlq: Mutex::new(Vec::new()),
            config,
            counters: Arc::new(Counters::default()),
            listener: None,
            stop: StopSignal::default(),
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
        self.consumer.context().set_listener(listener.clone());
        self.listener = Some(listener);
        self
    }

    /// The rdkafka consumer underneath.
    pub fn inner(&self) -> &StreamConsumer<CommitOnRevoke> {
        &self.consumer
    }

    /// Counters so far.
    pub fn stats(&self) -> ConsumerStats {
        let cache = self.resolver.registry().stats();
        self.counters.snapshot((cache.hits, cache.misses))
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
    /// partition are finished. The handler's [`HandlerError`] says what a failure means:
    /// retry then dead-letter ([`Verdict::Retry`], what `?` gives), dead-letter at once, or
    /// stop (see [`HandlerError`]). On shutdown the records in flight are finished (for up
    /// to [`ConsumerConfig::drain_timeout`]), the committable offsets are committed, and the
    /// group is left. Returns the final counters, or the error that stopped it: a bad record
    /// under [`DeadLetter::Stop`] ([`Error::Undecodable`](crate::Error::Undecodable),
    /// [`Error::Handler`](crate::Error::Handler)), a handler's stop, an environment fault
    /// past its retry budget ([`Error::Environment`](crate::Error::Environment)), a dead
    /// letter that could not be written, or a commit or broker failure. Whatever stopped it,
    /// what was handled is committed — never past the record that stopped it.
    pub async fn run<F, Fut>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Message<V>) -> Fut,
        Fut: Future<Output = std::result::Result<(), HandlerError>>,
    {
        let handler = Mutex::new(handler);
        let handler = &handler;
        // The lock is held only to create the future, never across an await: the handlers
        // of other records in flight call it meanwhile.
        let call = move |m: Message<V>| (handler.lock().unwrap_or_else(PoisonError::into_inner))(m);
        let call = &call;
        // A job of `run` is a run: one record, or records of one lane that came together,
        // handled one after another.
        let work = move |w: Work<_>| async move {
            self.process_run(
                &w.records,
                &w.topic,
                &w.stop,
                &w.shutdown_woken,
                &mut Owned(call),
            )
            .await
        };
        self.consume(self.config.ordering, None, work, shutdown)
            .await
    }

    /// [`run`](Self::run) with the record lent to the handler instead of given: a
    /// [`MessageRef`] whose value is decoded into a value the consumer keeps — its string
    /// buffers, vectors and map entries reused record after record, as prost's `merge`
    /// reuses a message — and whose topic, key and headers are read where librdkafka holds
    /// them. A consumer that reads its records without keeping them allocates nothing per
    /// record once the kept value's buffers have grown (for generated Avro types; Protobuf
    /// and [`serde_json::Value`] decode a new value into the kept place). Copy what you keep
    /// past the call, or take [`MessageRef::to_message`]. A kept value keeps the capacity of
    /// the largest record decoded into it (as a reused `String` or `Vec` does).
    ///
    /// Everything else is [`run`](Self::run)'s: ordering and concurrency (each job in
    /// flight has a kept value of its own), retries (the record decoded again before each),
    /// dead letters, the environment rule, offsets, rebalances and shutdown.
    ///
    /// ```no_run
    /// # mod schemas {
    /// #   include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemaflow-build/tests/golden/generated.rs"));
    /// # }
    /// use schemaflow::consumer::{ConsumerConfig, HandlerError, MessageRef, TypedConsumer};
    /// use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
    /// use schemas::avro::user_event::UserEvent;
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let registry = CachedRegistry::new(
    /// #     RegistryClient::new(ClientConfig::new("http://localhost:8081"))?,
    /// #     CacheConfig::default(),
    /// # );
    /// let consumer = TypedConsumer::<UserEvent>::new(
    ///     ConsumerConfig::new("localhost:9092", "audit", &["user-events"]),
    ///     registry,
    /// )?;
    /// let seen = std::sync::atomic::AtomicU64::new(0);
    /// consumer
    ///     .run_ref(
    ///         async |m: MessageRef<'_, UserEvent>| {
    ///             if let Some(event) = m.value() {
    ///                 // Borrowed: `event.user_id` is the kept value's, until the next record.
    ///                 seen.fetch_add(event.user_id.len() as u64, std::sync::atomic::Ordering::Relaxed);
    ///             }
    ///             Ok::<(), HandlerError>(())
    ///         },
    ///         async {
    ///             let _ = tokio::signal::ctrl_c().await;
    ///         },
    ///     )
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_ref<F>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: AsyncFn(MessageRef<'_, V>) -> std::result::Result<(), HandlerError>,
    {
        let handler = &handler;
        // Kept values of jobs that finished, for the next jobs: one per job in flight at
        // most, so a serial consumer decodes into one value for its whole life.
        let kept: Mutex<Vec<Option<V>>> = Mutex::new(Vec::new());
        let kept = &kept;
        let work = move |w: Work<_>| async move {
            let slot = lock(kept).pop().flatten();
            let mut deliver = InPlace { handler, slot };
            let finished = self
                .process_run(
                    &w.records,
                    &w.topic,
                    &w.stop,
                    &w.shutdown_woken,
                    &mut deliver,
                )
                .await;
            lock(kept).push(deliver.slot);
            finished
        };
        self.consume(self.config.ordering, None, work, shutdown)
            .await
    }

    /// Consume until `shutdown` completes, calling `handler` with batches of records of one
    /// partition, in order: up to [`BatchConfig::max_records`], handed over when full or when
    /// its first record has waited [`BatchConfig::max_wait`]. Up to
    /// [`ConsumerConfig::max_concurrency`] batches (of different partitions) are in flight at
    /// once; [`ConsumerConfig::ordering`] is not used (batches keep partition order). A
    /// batch's offsets are committable once the handler returned `Ok`; an `Err` is the whole
    /// batch's, by its verdict: retried (`max_retries`, `retry_backoff`), then each record of
    /// it dead-lettered (or skipped, or the consumer stops) by
    /// [`ConsumerConfig::dead_letter`]; dead-lettered at once; or the consumer stops. A
    /// record that cannot be decoded is rejected alone, before the batch. Otherwise as
    /// [`run`](Self::run).
    pub async fn run_batch<F, Fut>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        F: FnMut(Vec<Message<V>>) -> Fut,
        Fut: Future<Output = std::result::Result<(), HandlerError>>,
    {
        let handler = Mutex::new(handler);
        let handler = &handler;
        let call = move |batch: Vec<Message<V>>| {
            (handler.lock().unwrap_or_else(PoisonError::into_inner))(batch)
        };
        let call = &call;
        // A job of `run_batch` is one call: all of its records finish, or none.
        let work = move |w: Work<_>| async move {
            let result = self.process(&w.records, &w.topic, call).await;
            Finished {
                records: if result.is_ok() { w.records.len() } else { 0 },
                result,
            }
        };
        self.consume(
            ProcessingOrder::Partition,
            Some(self.config.batch),
            work,
            shutdown,
        )
        .await
    }

    /// The consumer loop, for runs and batches alike: the engine driven over the rdkafka
    /// consumer, each job through `work`. With `max_concurrency` 1 it receives records only
    /// when none is in flight, so it is the serial consumer: receive, handle, store, commit.
    async fn consume<'s, W, WF>(
        &'s self,
        ordering: ProcessingOrder,
        batch: Option<BatchConfig>,
        work: W,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ConsumerStats>
    where
        W: Fn(Work<BorrowedMessage<'s>>) -> WF,
        WF: Future<Output = Finished>,
    {
        let source = KafkaSource::new(&self.consumer);
        let engine = Engine::new(
            Settings::new(&self.config, ordering, batch),
            tokio::time::Instant::now(),
        );
        let result =
            driver::drive_jobs(&source, engine, work, shutdown, &self.counters, &self.stop).await;
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
        result.map(|()| stats)
    }

    fn emit(&self, event: ConsumerEvent<'_>) {
        if let Some(l) = &self.listener {
            l(&event);
        }
    }
}
