//! The registry's log on a Kafka topic: one reader that applies every record of the topic to
//! the registry's [`State`], one producer that writes this instance's changes, and the wait
//! in between that gives read-your-writes.
//!
//! Confluent's `KafkaStore` (core/src/main/java/io/confluent/kafka/schemaregistry/storage/
//! KafkaStore.java) is the model:
//!
//! * the topic (default `_schemas`) has one partition and `cleanup.policy=compact`; it is
//!   created so when missing, and a topic with more partitions or without compaction is
//!   refused at start-up (a compacted log keeps the latest record per key, which is all the
//!   state there is; several partitions would lose the order between keys);
//! * a reader (`KafkaStoreReaderThread`) consumes the partition from the beginning, with no
//!   consumer group (assign, never commit): every instance holds the whole state;
//! * before the instance answers, it writes a `NOOP` record and waits until its reader has
//!   applied it — then everything written before start-up has been read (the end of the topic
//!   is where the marker landed, whatever other writers do meanwhile);
//! * a write is acknowledged only after the reader has applied it (the offset the broker gave
//!   it), so an answer never runs ahead of the state this instance serves.
//!
//! Records are decoded into [`Event`]s and encoded from them by
//! [`crate::schemas_topic::events`] in Confluent's exact format, and applied with
//! [`State::apply`] like every other log's; one this version cannot read is logged and
//! skipped, never fatal, and nothing another registry wrote is rewritten.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig as KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use schemaflow::redact::KafkaProperties;

use super::Log;
use crate::event::Event;
use crate::schemas_topic::events::{noop_record, read_record, records_for, Applied};
use crate::schemas_topic::leader::{
    spawn_election, spawn_watch, LeaderConfig, Leadership, ANNOUNCEMENT_KEY,
};
use crate::state::State;

/// Where and how the registry keeps its log in Kafka (Confluent's `kafkastore.*` settings):
/// [`KafkaStoreConfig::new`] with the cluster, then a chainable method per setting, named like
/// its field. The fields stay public, to read and to set on a value; the struct is
/// `#[non_exhaustive]`, so new settings can come without breaking callers (build it with `new`,
/// not a struct literal).
///
/// ```
/// use std::time::Duration;
///
/// use schemaflow_registry::{KafkaStoreConfig, LeaderConfig};
///
/// let store = KafkaStoreConfig::new("kafka-1:9092,kafka-2:9092")
///     .topic("_schemas")
///     .replication_factor(3)
///     .timeout(Duration::from_secs(10))
///     .set("security.protocol", "SASL_SSL")
///     .set("sasl.password", "hunter2")
///     .leader(LeaderConfig::default().advertised_url("http://registry-1:8081"));
/// assert_eq!(store.coordination_topic(), "_schemas_leader");
/// // Every setting shows, secrets as `<redacted>`.
/// let shown = format!("{store:?}");
/// assert!(shown.contains("SASL_SSL") && !shown.contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KafkaStoreConfig {
    /// `kafkastore.bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `kafkastore.topic`. Default: `_schemas`.
    pub topic: String,
    /// `kafkastore.topic.replication.factor` when the topic is created. Default: 1 (a
    /// single-broker development cluster; production clusters want 3).
    pub replication_factor: i32,
    /// `kafkastore.timeout.ms`: how long a write waits for the broker and for the reader to
    /// apply it, and start-up for the end of the topic. Default: 30 s.
    pub timeout: Duration,
    /// librdkafka properties for the store's clients (TLS, SASL: the CLI's `-X`). Secret ones
    /// print as `<redacted>`.
    pub properties: KafkaProperties,
    /// Leadership among the instances on this topic.
    pub leader: LeaderConfig,
}

impl KafkaStoreConfig {
    /// Defaults for the cluster at `bootstrap_servers`.
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        KafkaStoreConfig {
            bootstrap_servers: bootstrap_servers.into(),
            topic: "_schemas".into(),
            replication_factor: 1,
            timeout: Duration::from_secs(30),
            properties: KafkaProperties::default(),
            leader: LeaderConfig::default(),
        }
    }

    /// The topic (`kafkastore.topic`).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = topic.into();
        self
    }

    /// The replication factor the topic is created with.
    pub fn replication_factor(mut self, factor: i32) -> Self {
        self.replication_factor = factor;
        self
    }

    /// How long a write, and start-up, wait (`kafkastore.timeout.ms`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Set librdkafka properties for the store's clients (each one as [`set`](Self::set)
    /// does).
    pub fn properties<K, V>(mut self, properties: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.properties.extend(properties);
        self
    }

    /// Set a librdkafka property for the store's clients.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// How this instance takes part in leadership.
    pub fn leader(mut self, leader: LeaderConfig) -> Self {
        self.leader = leader;
        self
    }

    /// The coordination topic the eligible instances' group elects a leader on.
    pub fn coordination_topic(&self) -> String {
        format!("{}_leader", self.topic)
    }

    fn client(&self) -> KafkaConfig {
        let mut c = KafkaConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }
}

/// Why the Kafka store could not start or write.
#[derive(Debug, thiserror::Error)]
pub enum KafkaStoreError {
    /// The topic exists but is not a registry log.
    #[error("topic {topic}: {reason}")]
    BadTopic {
        /// The topic.
        topic: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The cluster refused or did not answer.
    #[error("{operation}: {source}")]
    Kafka {
        /// What was being done.
        operation: String,
        /// librdkafka's error.
        source: KafkaError,
    },
    /// This instance does not lead: writes go to the leader.
    #[error("this registry instance is not the leader; writes are forwarded to the leader")]
    NotLeader,
    /// The reader did not reach a record in time.
    #[error(
        "{what}: the registry's reader did not apply offset {offset} of {topic} within {timeout:?}"
    )]
    Timeout {
        /// What waited.
        what: &'static str,
        /// The topic.
        topic: String,
        /// The offset waited for.
        offset: i64,
        /// The bound.
        timeout: Duration,
    },
}

impl From<KafkaStoreError> for std::io::Error {
    fn from(e: KafkaStoreError) -> Self {
        std::io::Error::other(e)
    }
}

fn kafka(operation: impl Into<String>) -> impl FnOnce(KafkaError) -> KafkaStoreError {
    let operation = operation.into();
    move |source| KafkaStoreError::Kafka { operation, source }
}

/// The next offset the reader has not applied yet, and a signal when it moves.
#[derive(Debug, Default)]
struct Progress {
    next: Mutex<i64>,
    moved: Condvar,
    /// Records between the reader and the topic's end, as last measured.
    lag: AtomicI64,
}

/// A running Kafka log: reader thread, producer, the leader election and the watch on the
/// leader's announcements.
pub struct KafkaLog {
    config: KafkaStoreConfig,
    producer: FutureProducer,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    election: Option<JoinHandle<()>>,
    watch: Option<JoinHandle<()>>,
    leadership: Arc<Leadership>,
    /// The Kafka cluster's id, as the brokers report it (for `/v1/metadata/id`).
    cluster_id: Option<String>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("topic", &self.config.topic)
            .field("bootstrap_servers", &self.config.bootstrap_servers)
            .finish_non_exhaustive()
    }
}

impl KafkaLog {
    /// Check (or create) the topic, start the reader on `state`, and return once the reader
    /// has read everything written before this call (a `NOOP` marker) and a leader is known:
    /// the latest announcement on the coordination topic (also one made before this instance
    /// started), and for an eligible instance the election's outcome (bounded by the store's
    /// timeout; after it, writes answer 50004 until a leader announces itself).
    /// `advertised_url` is how the other instances reach this one. Blocking.
    pub fn start(
        config: KafkaStoreConfig,
        state: Arc<RwLock<State>>,
        advertised_url: String,
    ) -> Result<Self, KafkaStoreError> {
        ensure_topic(&config, &config.topic)?;
        ensure_topic(&config, &config.coordination_topic())?;
        let producer: FutureProducer = config
            .client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("message.timeout.ms", config.timeout.as_millis().to_string())
            .create()
            .map_err(kafka("creating the registry's producer"))?;
        // Asked once: the cluster id does not change while the brokers are the same cluster.
        let cluster_id = producer.client().fetch_cluster_id(config.timeout);
        let progress = Arc::new(Progress::default());
        let stop = Arc::new(AtomicBool::new(false));
        let leadership = Arc::new(Leadership::default());
        let reader = spawn_reader(&config, state, Arc::clone(&progress), Arc::clone(&stop))?;
        let watch = spawn_watch(
            config.client(),
            config.coordination_topic(),
            Arc::clone(&leadership),
            Arc::clone(&stop),
        );
        let watch = match watch {
            Ok(w) => w,
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                let _ = reader.join();
                return Err(kafka("reading the registry leader's announcements")(e));
            }
        };
        let mut log = KafkaLog {
            config,
            producer,
            progress,
            stop,
            reader: Some(reader),
            election: None,
            watch: Some(watch),
            leadership,
            cluster_id,
        };
        let offset = log.send(vec![noop_record()])?;
        log.wait_applied(offset, "start-up (reading the topic to its end)")?;
        tracing::info!(topic = %log.config.topic, end = offset, "registry state read from Kafka");
        if log.config.leader.eligible {
            log.election = Some(log.start_election(advertised_url)?);
        }
        // Answer only once writes can go somewhere: the current leader (maybe this one) is
        // known.
        let deadline = Instant::now() + log.config.timeout;
        while !log.leadership.settled(log.config.leader.eligible) {
            if Instant::now() >= deadline {
                match log.leadership.leader_url() {
                    None => {
                        tracing::warn!(topic = %log.config.topic, "no registry leader known yet; writes fail with 50004 until one is elected")
                    }
                    Some(url) => {
                        tracing::warn!(topic = %log.config.topic, leader = %url, "the registry's election has not settled; writes go to the last leader announced")
                    }
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(log)
    }

    /// Join the election; on winning: fence older leaders, read to the end, announce.
    fn start_election(&self, advertised_url: String) -> Result<JoinHandle<()>, KafkaStoreError> {
        let config = self.config.clone();
        let progress = Arc::clone(&self.progress);
        let leadership = Arc::clone(&self.leadership);
        let plain = self.producer.clone();
        let coordination = config.coordination_topic();
        let mut client = config.client();
        client
            .set("group.id", &config.leader.group_id)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "latest")
            // Fail-over within seconds of a dead leader, not Kafka's default 45 s.
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1500");
        let win = move || -> Result<FutureProducer, String> {
            let producer: FutureProducer = config
                .client()
                // Shared by every instance of the group: the winner's init fences the others.
                .set(
                    "transactional.id",
                    format!(
                        "schemaflow-registry-{}-{}",
                        config.leader.group_id, config.topic
                    ),
                )
                .set(
                    "transaction.timeout.ms",
                    config.timeout.as_millis().to_string(),
                )
                .create()
                .map_err(|e| format!("creating the leader's producer: {e}"))?;
            producer
                .init_transactions(config.timeout)
                .map_err(|e| format!("fencing the previous leader: {e}"))?;
            let (key, value) = noop_record();
            let announce = serde_json::json!({"url": advertised_url}).to_string();
            let offsets = send_transaction(
                &producer,
                &config,
                vec![
                    (config.topic.clone(), key, value),
                    (
                        config.coordination_topic(),
                        ANNOUNCEMENT_KEY.to_vec(),
                        Some(announce.into_bytes()),
                    ),
                ],
            )
            .map_err(|e| e.to_string())?;
            let noop_offset = offsets.first().copied().unwrap_or(-1);
            // Committed: it is the latest announcement whether or not the watcher read it yet.
            if let Some(at) = offsets.get(1) {
                leadership.set_leader_url(*at, advertised_url.clone());
            }
            wait_applied(
                &progress,
                &config,
                noop_offset,
                "a new leader reading to the end",
            )
            .map_err(|e| e.to_string())?;
            // The transaction's commit marker must not stay the topic's last offset.
            seal(&plain, &config, &progress).map_err(|e| e.to_string())?;
            Ok(producer)
        };
        spawn_election(
            client,
            coordination,
            Arc::clone(&self.leadership),
            Arc::clone(&self.stop),
            win,
        )
        .map_err(kafka("joining the registry's leader election"))
    }

    /// Return once this instance's reader has applied everything written to the topic before
    /// this call (a `NOOP` marker): after a write forwarded to the leader, so that the
    /// follower's next read sees it (read-your-writes on every instance).
    pub fn sync(&self) -> Result<(), KafkaStoreError> {
        let offset = self.send(vec![noop_record()])?;
        self.wait_applied(offset, "catching up with the leader's write")
    }

    /// Records of the topic this instance's reader has not applied yet (measured about once
    /// a second).
    pub fn reader_lag(&self) -> i64 {
        self.progress.lag.load(Ordering::Relaxed)
    }

    /// The Kafka cluster's id (`None` when the brokers did not say).
    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster_id.as_deref()
    }

    /// The registry group this instance belongs to (Confluent's `schema.registry.group.id`).
    pub fn group_id(&self) -> &str {
        &self.config.leader.group_id
    }

    /// What this instance knows of the leadership.
    pub fn leadership(&self) -> Arc<Leadership> {
        Arc::clone(&self.leadership)
    }

    /// Write the records of one change (as the leader, in one transaction), leave a plain
    /// `NOOP` after its commit marker ([`seal`]), and wait until this instance's reader applied
    /// them.
    pub fn write(&self, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), KafkaStoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let last = {
            let writer = self
                .leadership
                .writer
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let Some(producer) = writer.as_ref().filter(|_| self.leadership.is_leader()) else {
                return Err(KafkaStoreError::NotLeader);
            };
            let topic = self.config.topic.clone();
            let batch = records
                .into_iter()
                .map(|(k, v)| (topic.clone(), k, v))
                .collect();
            match send_transaction(producer, &self.config, batch) {
                Ok(offsets) => offsets.last().copied().unwrap_or(-1),
                Err(e) => {
                    drop(writer);
                    // A fenced or broken transactional producer cannot write again: the
                    // election decides who leads next.
                    self.leadership.step_down(&e.to_string());
                    // An aborted transaction ends in an abort marker: seal it too (best
                    // effort: the write failed either way).
                    if let Err(sealing) = seal(&self.producer, &self.config, &self.progress) {
                        tracing::warn!(topic = %self.config.topic, error = %sealing, "could not write a NOOP after a failed write");
                    }
                    return Err(e);
                }
            }
        };
        self.wait_applied(last, "a write")?;
        seal(&self.producer, &self.config, &self.progress)
    }

    /// Produce in order, outside any transaction; the offset of the last record.
    fn send(&self, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<i64, KafkaStoreError> {
        send_plain(&self.producer, &self.config.topic, records)
    }

    fn wait_applied(&self, offset: i64, what: &'static str) -> Result<(), KafkaStoreError> {
        let deadline = Instant::now() + self.config.timeout;
        let mut next = self.progress.next.lock().unwrap_or_else(|e| e.into_inner());
        while *next <= offset {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(KafkaStoreError::Timeout {
                    what,
                    topic: self.config.topic.clone(),
                    offset,
                    timeout: self.config.timeout,
                });
            }
            next = self
                .progress
                .moved
                .wait_timeout(next, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}

impl Log for KafkaLog {
    /// Write the records Confluent writes for `events`, and return once this instance's
    /// reader applied them.
    fn append(&self, state: &RwLock<State>, events: &[Event]) -> std::io::Result<()> {
        let records = records_for(&state.read().unwrap_or_else(|e| e.into_inner()), events);
        // The write waits for the broker and the reader: off the async workers when on a
        // multi-threaded runtime (a current-thread runtime has no other worker to block).
        let write = || self.write(records);
        let on_workers = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if on_workers {
            tokio::task::block_in_place(write)
        } else {
            write()
        }
        .map_err(std::io::Error::from)
    }

    fn sync(&self) -> std::io::Result<()> {
        KafkaLog::sync(self).map_err(std::io::Error::from)
    }

    fn leadership(&self) -> Option<Arc<Leadership>> {
        Some(KafkaLog::leadership(self))
    }

    fn reader_lag(&self) -> Option<i64> {
        Some(KafkaLog::reader_lag(self))
    }

    fn cluster_ids(&self) -> Option<(Option<String>, String)> {
        Some((
            self.cluster_id().map(str::to_owned),
            self.group_id().to_owned(),
        ))
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in [self.election.take(), self.watch.take(), self.reader.take()]
            .into_iter()
            .flatten()
        {
            let _ = t.join();
        }
    }
}

/// Wait until the reader applied `offset` (bounded by the store's timeout).
fn wait_applied(
    progress: &Progress,
    config: &KafkaStoreConfig,
    offset: i64,
    what: &'static str,
) -> Result<(), KafkaStoreError> {
    let deadline = Instant::now() + config.timeout;
    let mut next = progress.next.lock().unwrap_or_else(|e| e.into_inner());
    while *next <= offset {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(KafkaStoreError::Timeout {
                what,
                topic: config.topic.clone(),
                offset,
                timeout: config.timeout,
            });
        }
        next = progress
            .moved
            .wait_timeout(next, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    Ok(())
}

/// Produce `records` to partition 0 of `topic` with the idempotent, non-transactional
/// producer (Confluent's `KafkaStore` producer); the offset of the last record.
fn send_plain(
    producer: &FutureProducer,
    topic: &str,
    records: Vec<(Vec<u8>, Option<Vec<u8>>)>,
) -> Result<i64, KafkaStoreError> {
    let fail = |e| kafka(format!("writing to {topic}"))(e);
    let mut pending = Vec::with_capacity(records.len());
    for (key, value) in &records {
        let mut r = FutureRecord::to(topic).partition(0).key(key);
        if let Some(v) = value {
            r = r.payload(v);
        }
        pending.push(producer.send_result(r).map_err(|(e, _)| fail(e))?);
    }
    let mut last = -1;
    for f in pending {
        match futures::executor::block_on(f) {
            Ok(Ok(d)) => last = d.offset,
            Ok(Err((e, _))) => return Err(fail(e)),
            Err(_) => return Err(fail(KafkaError::Canceled)),
        }
    }
    Ok(last)
}

/// Leave a record, not a transaction marker, at the topic's end after this instance's
/// transaction: readers that count records up to the end offset − 1 (Karapace's replay,
/// `schema_reader.py`) never receive a control record, and would wait for ever on a topic
/// whose last offset is a commit or abort marker.
///
/// A non-transactional `NOOP` (Confluent's `KafkaStore` writes the same record at start-up,
/// `KafkaStore.java`'s `waitUntilKafkaReaderReachesLastOffset`) goes after the transaction.
/// The coordinator writes the commit marker after `commit_transaction` returns, so the `NOOP`
/// may land before it; but then a `read_committed` reader (ours) receives the `NOOP` only once
/// the marker is written. So once our reader applied the `NOOP`, the marker exists: if
/// anything follows the `NOOP`, one more `NOOP` lands after the marker. Whatever comes later is
/// another writer's, which seals its own. A `NOOP` holds no state, so writing it outside the
/// fencing transaction gives a paused old leader nothing to corrupt.
fn seal(
    producer: &FutureProducer,
    config: &KafkaStoreConfig,
    progress: &Progress,
) -> Result<(), KafkaStoreError> {
    let mut noop = send_plain(producer, &config.topic, vec![noop_record()])?;
    wait_applied(progress, config, noop, "a NOOP after a transaction")?;
    let (_, high) = producer
        .client()
        .fetch_watermarks(&config.topic, 0, config.timeout)
        .map_err(kafka(format!("reading the end offset of {}", config.topic)))?;
    if high > noop + 1 {
        noop = send_plain(producer, &config.topic, vec![noop_record()])?;
        wait_applied(progress, config, noop, "a NOOP after a transaction")?;
    }
    Ok(())
}

/// Produce `(topic, key, value)` records in one transaction; their offsets, in order.
fn send_transaction(
    producer: &FutureProducer,
    config: &KafkaStoreConfig,
    records: Vec<(String, Vec<u8>, Option<Vec<u8>>)>,
) -> Result<Vec<i64>, KafkaStoreError> {
    let fail = |e| kafka(format!("writing to {} as the leader", config.topic))(e);
    producer.begin_transaction().map_err(fail)?;
    let mut pending = Vec::with_capacity(records.len());
    for (topic, key, value) in &records {
        let mut r = FutureRecord::to(topic).partition(0).key(key);
        if let Some(v) = value {
            r = r.payload(v);
        }
        match producer.send_result(r) {
            Ok(f) => pending.push(f),
            Err((e, _)) => {
                let _ = producer.abort_transaction(config.timeout);
                return Err(fail(e));
            }
        }
    }
    // Every record delivered before the commit is asked for: rdkafka's `commit_transaction`
    // first flushes, and its flush, finding a record not yet reported, polls for up to 100 ms
    // for a report that the `FutureProducer`'s own thread has already taken — every
    // registration took 100 ms more than its round trips. Delivered first, the flush finds
    // nothing to wait for.
    let mut offsets = Vec::with_capacity(pending.len());
    for f in pending {
        let delivered = match futures::executor::block_on(f) {
            Ok(Ok(d)) => Ok(d.offset),
            Ok(Err((e, _))) => Err(e),
            Err(_) => Err(KafkaError::Canceled),
        };
        match delivered {
            Ok(offset) => offsets.push(offset),
            Err(e) => {
                let _ = producer.abort_transaction(config.timeout);
                return Err(fail(e));
            }
        }
    }
    if let Err(e) = producer.commit_transaction(config.timeout) {
        let _ = producer.abort_transaction(config.timeout);
        return Err(fail(e));
    }
    Ok(offsets)
}

fn spawn_reader(
    config: &KafkaStoreConfig,
    state: Arc<RwLock<State>>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<()>, KafkaStoreError> {
    let consumer: BaseConsumer = config
        .client()
        // No group: every instance reads the whole log and never commits (assign, not
        // subscribe). librdkafka still wants a group id for its offset store.
        .set(
            "group.id",
            format!("schemaflow-registry-reader-{}", uuid::Uuid::new_v4()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(kafka("creating the registry's reader"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&config.topic, 0, Offset::Beginning)
        .map_err(kafka("assigning the registry topic"))?;
    consumer
        .assign(&tpl)
        .map_err(kafka("assigning the registry topic"))?;
    let topic = config.topic.clone();
    std::thread::Builder::new()
        .name("registry-reader".into())
        .spawn(move || {
            let mut measured = Instant::now();
            while !stop.load(Ordering::SeqCst) {
                if measured.elapsed() >= Duration::from_secs(1) {
                    measured = Instant::now();
                    if let Ok((_, high)) =
                        consumer.fetch_watermarks(&topic, 0, Duration::from_secs(1))
                    {
                        let next = *progress.next.lock().unwrap_or_else(|e| e.into_inner());
                        progress.lag.store((high - next).max(0), Ordering::Relaxed);
                    }
                }
                let Some(polled) = consumer.poll(Duration::from_millis(100)) else {
                    continue;
                };
                let msg = match polled {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(topic = %topic, error = %e, "registry reader");
                        continue;
                    }
                };
                let offset = msg.offset();
                match msg.key() {
                    None => tracing::warn!(topic = %topic, offset, "skipping a record without a key"),
                    Some(key) => {
                        let mut s = state.write().unwrap_or_else(|e| e.into_inner());
                        match read_record(&mut s, key, msg.payload()) {
                            Ok(Applied::Skipped(reason)) => {
                                tracing::warn!(topic = %topic, offset, %reason, "skipping a record")
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(topic = %topic, offset, error = %e, "skipping a corrupt record")
                            }
                        }
                    }
                }
                let mut next = progress.next.lock().unwrap_or_else(|e| e.into_inner());
                *next = offset + 1;
                progress.moved.notify_all();
            }
        })
        .map_err(|e| KafkaStoreError::Kafka {
            operation: format!("starting the registry reader: {e}"),
            source: KafkaError::Canceled,
        })
}

/// The topic exists with one partition and compaction, or is created so.
fn ensure_topic(config: &KafkaStoreConfig, topic: &str) -> Result<(), KafkaStoreError> {
    let topic = &topic.to_string();
    let probe: BaseConsumer = config
        .client()
        .set("allow.auto.create.topics", "false")
        .create()
        .map_err(kafka("creating a metadata client"))?;
    let md = probe
        .fetch_metadata(Some(topic), config.timeout)
        .map_err(kafka(format!(
            "asking the cluster at {} about {topic}",
            config.bootstrap_servers
        )))?;
    let partitions = md
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    let admin: AdminClient<DefaultClientContext> = config
        .client()
        .create()
        .map_err(kafka("creating the admin client"))?;
    let opts = AdminOptions::new().operation_timeout(Some(config.timeout));
    if partitions == 0 {
        let new = NewTopic::new(topic, 1, TopicReplication::Fixed(config.replication_factor))
            .set("cleanup.policy", "compact");
        let results = futures::executor::block_on(admin.create_topics(&[new], &opts))
            .map_err(kafka(format!("creating {topic}")))?;
        for r in results {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => {
                    return Err(kafka(format!("creating {topic}"))(KafkaError::AdminOp(
                        code,
                    )))
                }
            }
        }
        tracing::info!(%topic, "created the registry topic (1 partition, compacted)");
        return Ok(());
    }
    if partitions != 1 {
        return Err(KafkaStoreError::BadTopic {
            topic: topic.clone(),
            reason: format!(
                "has {partitions} partitions; the registry's log must have exactly 1 (the order of all changes is the state), as Confluent Schema Registry requires"
            ),
        });
    }
    let configs = futures::executor::block_on(
        admin.describe_configs(&[ResourceSpecifier::Topic(topic)], &opts),
    )
    .map_err(kafka(format!("describing {topic}")))?;
    let policy = configs
        .into_iter()
        .filter_map(Result::ok)
        .flat_map(|r| r.entries)
        .find(|e| e.name == "cleanup.policy")
        .and_then(|e| e.value);
    match policy.as_deref() {
        Some(p) if p.split(',').any(|x| x.trim() == "compact") => Ok(()),
        other => Err(KafkaStoreError::BadTopic {
            topic: topic.clone(),
            reason: format!(
                "cleanup.policy is {:?}, not compact: deleting old segments would lose registered schemas (set cleanup.policy=compact), as Confluent Schema Registry requires",
                other.unwrap_or("unknown")
            ),
        }),
    }
}
