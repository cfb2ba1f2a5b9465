//! Exactly-once consume–transform–produce: read `I` records, turn each into zero or more `O`
//! records, and write them and the input offsets in one Kafka transaction.
//!
//! ```text
//! loop: poll up to batch_size records (read_committed)
//!       begin_transaction
//!       for each: decode → transform → produce outputs (frames with the output's schema id)
//!                 undecodable → the dead-letter topic, in the same transaction
//!       send_offsets_to_transaction(positions, group metadata); commit_transaction
//! on a fatal error (fenced, or librdkafka's producer in its fatal state): stop, write nothing more
//! on any other error: abort_transaction, rewind each partition to its first record in the batch, go again
//! a transactional call that times out (retriable): called again to resume it, never aborted
//! a transactional call librdkafka holds past its timeout (wedged): the producer is replaced by
//!       a new one with the same transactional.id (fencing the wedged one), each partition
//!       rewound to its committed offset (or the batch's first record), go again
//! ```
//!
//! A zombie (an instance whose `transactional.id` a newer instance took over: its
//! `init_transactions` bumped the producer epoch and aborted the zombie's open transaction)
//! learns of it at its next produce, offset send or commit — librdkafka reports the broker's
//! `INVALID_PRODUCER_EPOCH` / `PRODUCER_FENCED` on a delivery, `Fatal` on the next produce, or a
//! fatal transaction error — and stops with an error saying it was fenced by another instance
//! with the same `transactional.id` (`tests/pipeline/exactly_once.rs` shows it on Apache Kafka).
//!
//! Either the outputs and the offsets of a batch are both committed, or neither: a restart or
//! an aborted batch re-reads exactly the uncommitted inputs, and `read_committed` readers of
//! the output never see the outputs of an aborted batch.
//!
//! ## Why it is not concurrent
//!
//! Unlike [`TypedConsumer`](crate::consumer::TypedConsumer) with
//! [`ConsumerConfig::max_concurrency`](crate::consumer::ConsumerConfig::max_concurrency), the
//! processor keeps its transactional batch loop and handles one batch at a time. A Kafka
//! producer has one open transaction at a time, and `send_offsets_to_transaction` commits one
//! position per partition together with every output of the transaction: overlapping batches
//! would put the outputs of unfinished records in a committed transaction (or hold every
//! transaction open until the slowest record of all of them finished), and an abort would have
//! to rewind records another batch already covered. Throughput comes from the batch instead:
//! up to `batch_size` records share one commit, and more processors (partitions) scale it out.

mod txn_call;

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rdkafka::consumer::{Consumer, DefaultConsumerContext, MessageStream, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};

use crate::codec::RegistryCodec;
use crate::consumer::{
    dead_letter_record, decode_value, dlq_rule, error_kind, value_schema_id_header, BoxError,
    DeadLetterCause,
};
use crate::error::{kafka_error, Error, Fault, Result};
use crate::producer::{ProducerConfig, Record, TypedProducer};
use crate::registry::schemas::{SchemaMemo, SchemaResolver};
use crate::registry::{CachedRegistry, ReaderVersion};
use crate::wire;

/// Settings of an [`ExactlyOnceProcessor`]: [`ExactlyOnceConfig::new`] with the required
/// values, then a chainable method per setting, named like its field. The fields stay public,
/// to read and to set on a value; the struct is `#[non_exhaustive]`, so new settings can come
/// without breaking callers (build it with `new`, not a struct literal).
///
/// ```
/// use std::time::Duration;
///
/// use schemaflow::exactly_once::ExactlyOnceConfig;
///
/// let config = ExactlyOnceConfig::new("localhost:9092", "enricher", "in", "out", "enricher-1")
///     .batch_size(1_000)
///     .batch_wait(Duration::from_millis(50))
///     .set("sasl.password", "hunter2");
/// assert_eq!(config.dead_letter_topic, "out.dlq");
/// // Every setting shows, secrets as `<redacted>`.
/// let shown = format!("{config:?}");
/// assert!(shown.contains("enricher-1") && !shown.contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExactlyOnceConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Consumer group of the inputs.
    pub group_id: String,
    /// Input topics.
    pub input_topics: Vec<String>,
    /// Output topic.
    pub output_topic: String,
    /// `transactional.id`: stable per processor instance (a restarted instance with the same
    /// id fences off its zombie predecessor).
    pub transactional_id: String,
    /// Dead-letter topic for undecodable inputs (written in the same transaction).
    pub dead_letter_topic: String,
    /// Records per transaction, at most. Default: 500.
    pub batch_size: usize,
    /// How long to wait for more records before committing a partial batch. Default: 100 ms.
    pub batch_wait: Duration,
    /// Aborted batches retried before giving up. Default: 10.
    pub max_aborts: u32,
    /// The timeout given to each of librdkafka's blocking transactional calls (init, send
    /// offsets, commit, abort); one that answers *retriable* is called again, up to 20 times.
    /// A call librdkafka holds half as long again (15 s at the default) counts as wedged and the producer is replaced.
    /// Default: 30 s.
    pub txn_call_timeout: Duration,
    /// How long a shutdown waits for the transaction in hand to finish (committed, or
    /// aborted and rewound) before it leaves it open — never committed by this instance,
    /// aborted by its coordinator. Default: 10 s.
    pub drain_timeout: Duration,
    /// The version inputs are read as (Confluent's `use.latest.version` /
    /// `use.latest.with.metadata`): an input of another version is migrated by the migration
    /// rules between the two, as the consumer does; one that cannot be is dead-lettered.
    /// Default: [`ReaderVersion::Writer`], each input as written.
    pub reader_version: ReaderVersion,
    /// librdkafka properties for both clients, applied last. Secret ones print as
    /// `<redacted>`.
    pub properties: crate::redact::KafkaProperties,
}

impl ExactlyOnceConfig {
    /// Defaults; the dead-letter topic is `<output>.dlq`.
    pub fn new(
        brokers: &str,
        group_id: &str,
        input: &str,
        output: &str,
        transactional_id: &str,
    ) -> Self {
        ExactlyOnceConfig {
            brokers: brokers.into(),
            group_id: group_id.into(),
            input_topics: vec![input.into()],
            output_topic: output.into(),
            transactional_id: transactional_id.into(),
            dead_letter_topic: format!("{output}.dlq"),
            batch_size: 500,
            batch_wait: Duration::from_millis(100),
            max_aborts: 10,
            txn_call_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
            reader_version: ReaderVersion::Writer,
            properties: Default::default(),
        }
    }

    /// Set [`reader_version`](Self::reader_version).
    pub fn reader_version(mut self, reader: ReaderVersion) -> Self {
        self.reader_version = reader;
        self
    }

    /// Set [`txn_call_timeout`](Self::txn_call_timeout).
    pub fn txn_call_timeout(mut self, timeout: Duration) -> Self {
        self.txn_call_timeout = timeout;
        self
    }

    /// Set [`drain_timeout`](Self::drain_timeout).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Read these input topics (instead of the one given to [`new`](Self::new)).
    pub fn input_topics<T: Into<String>>(mut self, topics: impl IntoIterator<Item = T>) -> Self {
        self.input_topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// The dead-letter topic for undecodable inputs (default: `<output>.dlq`).
    pub fn dead_letter_topic(mut self, topic: impl Into<String>) -> Self {
        self.dead_letter_topic = topic.into();
        self
    }

    /// Records per transaction, at most.
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = records;
        self
    }

    /// How long to wait for more records before committing a partial batch.
    pub fn batch_wait(mut self, wait: Duration) -> Self {
        self.batch_wait = wait;
        self
    }

    /// Aborted batches retried before giving up.
    pub fn max_aborts(mut self, aborts: u32) -> Self {
        self.max_aborts = aborts;
        self
    }

    /// Set librdkafka properties for both clients (each one as [`set`](Self::set) does).
    pub fn properties<K, V>(mut self, properties: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.properties.extend(properties);
        self
    }

    /// Set a librdkafka property for both clients.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }
}

/// Counters of a processor run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactlyOnceStats {
    /// Input records in committed transactions.
    pub inputs: u64,
    /// Output records in committed transactions.
    pub outputs: u64,
    /// Inputs dead-lettered (in committed transactions).
    pub dead_lettered: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Transactions aborted (and retried).
    pub aborts: u64,
    /// Producers replaced because librdkafka held a transactional call past its timeout
    /// (see [`ExactlyOnceConfig::txn_call_timeout`]).
    pub producer_replacements: u64,
}

/// What [`ExactlyOnceProcessor::run_with_progress`] reports after each transaction.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A transaction committed: its outputs and input offsets are in the log for good.
    Committed(&'a ExactlyOnceStats),
    /// A transaction was aborted (its outputs vanish for `read_committed` readers) and its
    /// inputs will be read again.
    Aborted(&'a ExactlyOnceStats, &'a Error),
}

/// A transactional consume–transform–produce loop from `I` to `O`.
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
/// use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor};
/// use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
/// use schemas::avro::user_event::UserEvent;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = CachedRegistry::new(
///     RegistryClient::new(ClientConfig::new("http://localhost:8081"))?,
///     CacheConfig::default(),
/// );
/// // The same transactional id for a restarted instance: it fences its predecessor.
/// let config = ExactlyOnceConfig::new(
///     "localhost:9092",
///     "enricher",
///     "user-events",
///     "user-events-enriched",
///     "enricher-1",
/// );
/// let processor = ExactlyOnceProcessor::<UserEvent, UserEvent>::new(config, registry).await?;
/// processor
///     .run(
///         // Zero, one or more outputs per input, written in the input's transaction.
///         |e: &UserEvent| {
///             let mut out = e.clone();
///             out.tags.push("enriched".into());
///             Ok::<_, String>(vec![out])
///         },
///         async {
///             let _ = tokio::signal::ctrl_c().await;
///         },
///     )
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct ExactlyOnceProcessor<I, O> {
    consumer: StreamConsumer,
    /// The transactional producer; replaced when librdkafka wedges one (`txn_call`).
    producer: Mutex<TypedProducer>,
    /// Set by a transactional call found wedged; taken by the loop, which then replaces the
    /// producer instead of aborting.
    wedged: AtomicBool,
    registry: CachedRegistry,
    resolver: SchemaResolver,
    config: ExactlyOnceConfig,
    _types: PhantomData<fn(I) -> O>,
}

impl<I, O> std::fmt::Debug for ExactlyOnceProcessor<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExactlyOnceProcessor")
            .field("transactional_id", &self.config.transactional_id)
            .finish()
    }
}

impl<I: RegistryCodec, O: RegistryCodec> ExactlyOnceProcessor<I, O> {
    /// Create the clients, initialise transactions (fencing older instances) and subscribe.
    pub async fn new(config: ExactlyOnceConfig, registry: CachedRegistry) -> Result<Self> {
        let wedged = AtomicBool::new(false);
        let producer = transactional_producer(&config, &registry, &wedged).await?;
        let consumer: StreamConsumer = crate::kafka_config::kafka_config(
            &config.brokers,
            &[
                crate::kafka_config::FETCH_QUEUE_BACKOFF,
                ("group.id", &config.group_id),
                ("enable.auto.commit", "false"),
                ("auto.offset.reset", "earliest"),
                ("isolation.level", "read_committed"),
            ],
            &config.properties,
        )
        .create()
        .map_err(|e| kafka_error("creating the consumer", e))?;
        let topics: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| kafka_error("subscribing", e))?;
        Ok(ExactlyOnceProcessor {
            consumer,
            producer: Mutex::new(producer),
            wedged,
            resolver: SchemaResolver::new(registry.clone())
                .reader_version(config.reader_version.clone()),
            registry,
            config,
            _types: PhantomData,
        })
    }

    /// Process until `shutdown` completes; each input goes through `transform`. A
    /// transaction in hand when `shutdown` completes gets up to
    /// [`ExactlyOnceConfig::drain_timeout`] to finish; past it, it is left open (never
    /// committed by this instance) and the run returns.
    ///
    /// Errors come in the three classes of rust-rdkafka's transactional producer:
    /// - *retriable / abortable* (a transform error, a broker timeout, a registry that is
    ///   down): the transaction is aborted, every partition rewound to the batch's first
    ///   record, and the batch retried — up to `max_aborts` times in a row;
    /// - *fatal* ([`Error::is_fatal`]: this producer was fenced by a newer instance with the
    ///   same `transactional.id`, or the registry refuses us with 401/403): the processor
    ///   stops at once with the error and never writes again;
    /// - records that cannot be decoded (the record's fault) go to the dead-letter topic
    ///   inside the transaction.
    ///
    /// A fenced instance stops with an [`Error::Kafka`] whose message says so ("fenced by
    /// another instance with the same transactional.id …"), whatever operation noticed it:
    /// librdkafka's fatal-error state is consulted after every failure, so a fence that first
    /// shows as a purged delivery or a failed abort is not mistaken for a retriable error.
    pub async fn run<F, E>(
        &self,
        transform: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ExactlyOnceStats>
    where
        F: FnMut(&I) -> std::result::Result<Vec<O>, E>,
        E: Into<BoxError>,
    {
        self.run_with_progress(transform, |_| {}, shutdown).await
    }

    /// [`run`](Self::run), calling `progress` after every committed or aborted transaction
    /// (e.g. to print the counters).
    pub async fn run_with_progress<F, E, P>(
        &self,
        mut transform: F,
        mut progress: P,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ExactlyOnceStats>
    where
        F: FnMut(&I) -> std::result::Result<Vec<O>, E>,
        E: Into<BoxError>,
        P: FnMut(Progress<'_>),
    {
        tokio::pin!(shutdown);
        let mut stats = ExactlyOnceStats::default();
        let mut aborts_in_row = 0u32;
        // One stream for the whole run: `recv` builds one per record (a waker slot
        // registered and removed under a lock each time).
        let mut stream = self.consumer.stream();
        loop {
            // Gather a batch (at least one record, then whatever comes within batch_wait).
            let mut batch: Vec<BorrowedMessage<'_>> = Vec::new();
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(stats),
                m = next_record(&mut stream) => match m {
                    Ok(m) => batch.push(m),
                    Err(e) => { tracing::warn!(error = %e, "consumer error"); continue; }
                },
            }
            let deadline = tokio::time::Instant::now() + self.config.batch_wait;
            while batch.len() < self.config.batch_size {
                match tokio::time::timeout_at(deadline, next_record(&mut stream)).await {
                    Ok(Ok(m)) => batch.push(m),
                    Ok(Err(e)) => tracing::warn!(error = %e, "consumer error"),
                    Err(_) => break,
                }
            }
            // A shutdown while a transaction is in hand lets it finish (commit, or abort and
            // rewind) for up to `drain_timeout`. One that takes longer — a call resumed again
            // and again while a coordinator is unreachable, a producer being replaced — is
            // left open, never committed by this instance: its outputs stay invisible to
            // `read_committed` readers and its inputs uncommitted, and the coordinator aborts
            // it when the transaction times out or the next instance with this
            // `transactional.id` starts (which fences this one).
            let settled = {
                let settle = self.settle(
                    batch,
                    &mut transform,
                    &mut progress,
                    &mut stats,
                    &mut aborts_in_row,
                );
                tokio::pin!(settle);
                tokio::select! {
                    biased;
                    r = &mut settle => Some(r),
                    () = &mut shutdown => {
                        match tokio::time::timeout(self.config.drain_timeout, &mut settle).await {
                            Ok(Err(e)) => Some(Err(e)),
                            Ok(Ok(())) => None,
                            Err(_) => {
                                tracing::warn!(
                                    drain_timeout = ?self.config.drain_timeout,
                                    "shutting down with a transaction still in hand: left \
                                     open, never committed (its coordinator aborts it)"
                                );
                                None
                            }
                        }
                    }
                }
            };
            match settled {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                // The shutdown came: nothing more starts.
                None => return Ok(stats),
            }
        }
    }

    /// What follows a gathered batch: its transaction committed (the counters and
    /// `progress` told), or aborted and the inputs rewound (`Err`: the processor stops).
    async fn settle<F, E, P>(
        &self,
        batch: Vec<BorrowedMessage<'_>>,
        transform: &mut F,
        progress: &mut P,
        stats: &mut ExactlyOnceStats,
        aborts_in_row: &mut u32,
    ) -> Result<()>
    where
        F: FnMut(&I) -> std::result::Result<Vec<O>, E>,
        E: Into<BoxError>,
        P: FnMut(Progress<'_>),
    {
        match self.transact(&batch, transform).await {
            Ok((outputs, dead)) => {
                stats.inputs += batch.len() as u64;
                stats.outputs += outputs;
                stats.dead_lettered += dead;
                stats.commits += 1;
                *aborts_in_row = 0;
                progress(Progress::Committed(stats));
            }
            // A fenced producer (another instance took over this transactional.id) or a
            // registry that refuses us: this instance must not write again.
            Err(e) if self.must_stop(&e) => {
                let e = self.final_error(e);
                tracing::error!(error = %e, "fatal error; the processor stops");
                return Err(e);
            }
            Err(e) if self.wedged.swap(false, Ordering::SeqCst) => {
                // librdkafka holds a call of this producer's transaction: no abort (it
                // would conflict with that call). A new producer fences it; the batch is
                // read again from what the coordinator settled.
                stats.aborts += 1;
                *aborts_in_row += 1;
                self.replace_producer(stats).await?;
                progress(Progress::Aborted(stats, &e));
                let starts = self.settled_positions(&batch, &e).await?;
                drop(batch);
                self.rewind(&starts)?;
                if *aborts_in_row > self.config.max_aborts {
                    return Err(e);
                }
            }
            Err(e) => {
                stats.aborts += 1;
                *aborts_in_row += 1;
                tracing::warn!(error = %e, "transaction aborted; rewinding");
                let p = self.producer().inner().clone();
                let aborted = txn_call::resume_retriable(
                    "aborting the transaction",
                    self.config.txn_call_timeout,
                    &self.wedged,
                    move |t| p.abort_transaction(t),
                )
                .await;
                if self.wedged.swap(false, Ordering::SeqCst) {
                    self.replace_producer(stats).await?;
                }
                if let Err(abort_error) = aborted {
                    // Fenced while aborting (or the abort itself is fatal): stop. Any other
                    // failure to abort shows again at the next begin_transaction.
                    if self.must_stop(&abort_error) {
                        let e = self.final_error(abort_error);
                        tracing::error!(error = %e, "fatal error; the processor stops");
                        return Err(e);
                    }
                    tracing::warn!(error = %abort_error, "aborting the transaction failed");
                }
                progress(Progress::Aborted(stats, &e));
                // Back to the first record of each partition in this batch.
                let starts = batch_starts(&batch);
                drop(batch);
                self.rewind(&starts)?;
                if *aborts_in_row > self.config.max_aborts {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(
                    100 * u64::from((*aborts_in_row).min(20)),
                ))
                .await;
            }
        }
        Ok(())
    }

    /// Whether this instance must stop rather than abort and retry: the error is fatal
    /// (librdkafka's verdict, or a registry that refuses us), or the producer is in
    /// librdkafka's fatal state whatever the error that surfaced first (a fence can first show
    /// as a purged delivery or an aborted-transaction error, which alone look retriable).
    fn must_stop(&self, e: &Error) -> bool {
        e.is_fatal() || e.fault() == Fault::Fatal || self.fatal_cause().is_some()
    }

    /// librdkafka's fatal error of the producer, if it is in that state: the underlying cause
    /// (e.g. `Fenced` with the broker's reason), not the `Fatal` code operations report.
    fn fatal_cause(&self) -> Option<(RDKafkaErrorCode, String)> {
        self.producer().inner().client().fatal_error()
    }

    /// The current transactional producer (a handle: the clients are shared).
    fn producer(&self) -> TypedProducer {
        self.producer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Put a new producer with the same `transactional.id` in place of one whose call
    /// librdkafka holds: its `init_transactions` bumps the epoch, so the coordinator ends the
    /// wedged producer's open transaction (aborted, or committed if its commit had reached
    /// the coordinator) and fences it. The wedged producer is dropped when its call returns.
    /// Counted in `stats.producer_replacements`.
    async fn replace_producer(&self, stats: &mut ExactlyOnceStats) -> Result<()> {
        stats.producer_replacements += 1;
        tracing::warn!(
            transactional_id = %self.config.transactional_id,
            "replacing the transactional producer"
        );
        let fresh = transactional_producer(&self.config, &self.registry, &self.wedged).await?;
        *self.producer.lock().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Where each partition of `batch` is read again from after a producer was replaced: its
    /// committed offset when the wedged transaction was committed after all (its offsets went
    /// in with it), else the batch's first record.
    async fn settled_positions(
        &self,
        batch: &[BorrowedMessage<'_>],
        e: &Error,
    ) -> Result<std::collections::BTreeMap<(String, i32), i64>> {
        let mut starts = batch_starts(batch);
        let mut tpl = TopicPartitionList::new();
        for (topic, partition) in starts.keys() {
            tpl.add_partition(topic, *partition);
        }
        // With read_committed, the offset fetch waits out an unsettled transaction's offsets
        // (KIP-447's require_stable), so what it answers is settled. The group's coordinator
        // may be what went away: asked again while it is (an environment fault, never a
        // reason to guess the positions).
        let mut attempt = 0;
        let committed = loop {
            match self
                .consumer
                .committed_offsets(tpl.clone(), self.config.txn_call_timeout)
            {
                Ok(committed) => break committed,
                Err(err) if attempt < txn_call::TXN_RESUMES => {
                    attempt += 1;
                    tracing::warn!(error = %err, attempt, "reading the committed offsets; asking again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(err) => return Err(kafka_error("reading the committed offsets", err)),
            }
        };
        for el in committed.elements() {
            if let (Offset::Offset(at), Some(start)) = (
                el.offset(),
                starts.get_mut(&(el.topic().to_string(), el.partition())),
            ) {
                if at > *start {
                    tracing::info!(topic = el.topic(), partition = el.partition(), at, error = %e, "the wedged transaction was committed; going on from its offsets");
                    *start = at;
                }
            }
        }
        Ok(starts)
    }

    /// The error a stopping instance returns: when librdkafka says the producer was fenced,
    /// one that says so plainly — another instance with the same `transactional.id` took over
    /// — with librdkafka's cause; otherwise `e` (with the fatal cause, if any, added).
    fn final_error(&self, e: Error) -> Error {
        let cause = self.fatal_cause();
        let fenced = cause.as_ref().is_some_and(|(code, _)| is_fenced(*code))
            || matches!(&e, Error::Kafka { source, .. } if is_fenced_error(source));
        let id = &self.config.transactional_id;
        let (code, reason) = match cause {
            Some(c) => c,
            None if fenced => match &e {
                Error::Kafka { source, .. } => (
                    source
                        .rdkafka_error_code()
                        .unwrap_or(RDKafkaErrorCode::Fenced),
                    source.to_string(),
                ),
                _ => (RDKafkaErrorCode::Fenced, e.to_string()),
            },
            None => return e,
        };
        let operation = if fenced {
            format!(
                "fenced by another instance with the same transactional.id {id:?}: this \
                 processor stops and writes nothing more (librdkafka's fatal error: {reason}; \
                 it surfaced as: {e})"
            )
        } else {
            format!(
                "the transactional producer (transactional.id {id:?}) is in a fatal state and \
                 the processor stops (librdkafka's fatal error: {reason}; it surfaced as: {e})"
            )
        };
        // The cause librdkafka recorded, if `is_fatal` knows it as fatal (the error that
        // surfaced may be a purged delivery, which alone is not), else librdkafka's `Fatal`.
        let cause_is_fatal = kafka_error("", KafkaError::Global(code)).is_fatal();
        Error::Kafka {
            operation,
            source: KafkaError::Global(if cause_is_fatal {
                code
            } else {
                RDKafkaErrorCode::Fatal
            }),
        }
    }

    async fn transact<F, E>(
        &self,
        batch: &[BorrowedMessage<'_>],
        transform: &mut F,
    ) -> Result<(u64, u64)>
    where
        F: FnMut(&I) -> std::result::Result<Vec<O>, E>,
        E: Into<BoxError>,
    {
        let typed = self.producer();
        let producer = typed.inner();
        producer
            .begin_transaction()
            .map_err(|e| kafka_error("beginning a transaction", e))?;
        let mut pending = Vec::new();
        let mut raw_pending = Vec::new();
        let mut outputs = 0u64;
        let mut dead = 0u64;
        let mut offsets = TopicPartitionList::new();
        let mut memo = SchemaMemo::default();
        for msg in batch {
            offsets
                .add_partition_offset(
                    msg.topic(),
                    msg.partition(),
                    Offset::Offset(msg.offset() + 1),
                )
                .map_err(|e| kafka_error("recording offsets", e))?;
            let Some(payload) = msg.payload() else {
                continue;
            };
            // The consumer's one decode path: the id from the `__value_schema_id` header
            // (Confluent 8) or the frame's prefix.
            match decode_value::<I>(
                &self.resolver,
                &mut memo,
                payload,
                value_schema_id_header(msg),
                msg.topic(),
            )
            .await
            {
                Ok((_, value)) => {
                    let outs = transform(&value).map_err(|e| Error::Handler {
                        topic: msg.topic().into(),
                        partition: msg.partition(),
                        offset: msg.offset(),
                        verdict: crate::consumer::Verdict::Retry,
                        source: std::sync::Arc::from(e.into()),
                    })?;
                    for o in &outs {
                        let mut rec = Record::to(&self.config.output_topic).value(o);
                        if let Some(k) = msg.key() {
                            rec = rec.key(k);
                        }
                        pending.push(typed.enqueue(rec).await?);
                        outputs += 1;
                    }
                }
                // The environment's fault (registry down, 401): abort and retry the batch, or
                // stop; never a dead letter for a good record.
                Err((e, _)) if e.fault() != Fault::Record => return Err(e),
                Err((e, id)) => {
                    let message = e.to_string();
                    let cause = DeadLetterCause {
                        stage: "VALUE_CONVERTER",
                        class: error_kind(&e),
                        message: &message,
                        schema_id: id.or_else(|| wire::read_header(payload).ok().map(|(id, _)| id)),
                        rule: dlq_rule(&e),
                    };
                    let rec = dead_letter_record(msg, &self.config.dead_letter_topic, &cause);
                    raw_pending.push(typed.enqueue_raw(rec).await?);
                    dead += 1;
                }
            }
        }
        for p in pending {
            p.await?;
        }
        for p in raw_pending {
            p.await?;
        }
        let meta = self.consumer.group_metadata().ok_or_else(|| {
            kafka_error(
                "reading the consumer's group metadata",
                KafkaError::Global(RDKafkaErrorCode::State),
            )
        })?;
        let timeout = self.config.txn_call_timeout;
        let meta = std::sync::Arc::new(meta);
        let p = producer.clone();
        txn_call::resume_retriable(
            "sending offsets to the transaction",
            timeout,
            &self.wedged,
            move |t| p.send_offsets_to_transaction(&offsets, &meta, t),
        )
        .await?;
        let p = producer.clone();
        txn_call::resume_retriable(
            "committing the transaction",
            timeout,
            &self.wedged,
            move |t| p.commit_transaction(t),
        )
        .await?;
        Ok((outputs, dead))
    }

    /// After an abort: seek every partition of the aborted batch back to its first record.
    fn rewind(&self, starts: &std::collections::BTreeMap<(String, i32), i64>) -> Result<()> {
        for ((topic, partition), offset) in starts {
            self.consumer
                .seek(
                    topic,
                    *partition,
                    Offset::Offset(*offset),
                    Duration::from_secs(10),
                )
                .map_err(|err| kafka_error("rewinding after an abort", err))?;
        }
        Ok(())
    }
}

/// A transactional producer for `config`'s `transactional.id`, its transactions initialised
/// (fencing any older producer with that id).
async fn transactional_producer(
    config: &ExactlyOnceConfig,
    registry: &CachedRegistry,
    wedged: &AtomicBool,
) -> Result<TypedProducer> {
    let pc = ProducerConfig::new(&config.brokers)
        .set("transactional.id", &config.transactional_id)
        .with_properties(&config.properties);
    let producer = TypedProducer::new(pc, registry.clone())?;
    let p = producer.inner().clone();
    txn_call::resume_retriable(
        "initialising transactions",
        config.txn_call_timeout,
        wedged,
        move |t| p.init_transactions(t),
    )
    .await?;
    Ok(producer)
}

/// The first offset of each partition in `batch`: everything before it was in a committed
/// transaction (records are handled in order).
fn batch_starts(batch: &[BorrowedMessage<'_>]) -> std::collections::BTreeMap<(String, i32), i64> {
    let mut starts = std::collections::BTreeMap::new();
    for m in batch {
        let e = starts
            .entry((m.topic().to_string(), m.partition()))
            .or_insert(m.offset());
        *e = (*e).min(m.offset());
    }
    starts
}

/// librdkafka's codes for "another producer with this transactional.id took over".
fn is_fenced(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Fenced
            | RDKafkaErrorCode::ProducerFenced
            | RDKafkaErrorCode::InvalidProducerEpoch
    )
}

fn is_fenced_error(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => is_fenced(t.code()),
        other => other.rdkafka_error_code().is_some_and(is_fenced),
    }
}

/// The next record of a long-lived stream.
fn next_record<'s, 'c>(
    stream: &'s mut MessageStream<'c, DefaultConsumerContext>,
) -> impl Future<Output = KafkaResult<BorrowedMessage<'c>>> + 's {
    std::future::poll_fn(move |cx| {
        use futures_core::Stream;
        std::pin::Pin::new(&mut *stream)
            .poll_next(cx)
            // rdkafka's streams never end; were one to, it is no record.
            .map(|m| m.unwrap_or(Err(KafkaError::NoMessageReceived)))
    })
}
