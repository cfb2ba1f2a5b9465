//! The consumer's settings: [`ConsumerConfig`] (typed, with documented defaults, plus a raw
//! librdkafka passthrough) and [`GroupProtocol`].

use std::time::Duration;

use rdkafka::ClientConfig as KafkaConfig;

use super::dead_letter::DeadLetter;
use super::parallel::{BatchConfig, ProcessingOrder};
use super::start_offset::StartAt;
use crate::redact::KafkaProperties;
use crate::registry::ReaderVersion;

/// Consumer settings: [`ConsumerConfig::new`] with the brokers, the group and the topics, then
/// a chainable method per setting, named like its field. The fields stay public, to read and to
/// set on a value; the struct is `#[non_exhaustive]`, so new settings can come without breaking
/// callers (build it with `new`, not a struct literal). Kafka properties not covered here pass
/// through `properties` ([`set`](Self::set), like `-X key=value` of kcat).
///
/// ```
/// use std::time::Duration;
///
/// use schemaflow::consumer::{ConsumerConfig, DeadLetter, ProcessingOrder};
///
/// let config = ConsumerConfig::new("localhost:9092", "billing", &["orders"])
///     .ordering(ProcessingOrder::Key)
///     .max_concurrency(8)
///     .dead_letter(DeadLetter::PerTopic)
///     .idle_timeout(Duration::from_secs(30))
///     .set("sasl.username", "billing")
///     .set("sasl.password", "hunter2");
/// assert_eq!(config.max_concurrency, 8);
/// // Every setting shows, secrets as `<redacted>`.
/// let shown = format!("{config:?}");
/// assert!(shown.contains("billing") && !shown.contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// the partition's range if outside it (reported as [`ConsumerEvent::StartMoved`](super::ConsumerEvent::StartMoved); see
    /// [`start_offset`](super::start_offset)). Default: none.
    pub start_uncommitted: Option<StartAt>,
    /// Commit stored offsets after this many records. Default: 10,000 — with
    /// [`commit_interval`](Self::commit_interval) of 1 s, a crash re-reads at most a second's
    /// or 10,000 records' worth. Not a few hundred: each commit is an `OffsetCommit` round
    /// trip, a result event through the poll and a write to `__consumer_offsets`; at 500 a
    /// consumer reading 600k records/s committed 1,200 times a second, which cost it 7% of its
    /// CPU and 17× the context switches (`benches/pipeline.rs`, BENCHMARKS.md).
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
    /// with [`Error::Environment`](crate::Error::Environment). Separate from the handler's retries. Default: 60 s
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
    /// Records (or batches, with [`TypedConsumer::run_batch`](super::TypedConsumer::run_batch)) in flight at once. Default: 1,
    /// the serial consumer: one record at a time, exactly as a consumer without concurrency.
    /// Raise it when the handler waits on I/O (a database write, an HTTP call): a handler
    /// taking 5 ms handles at most 200 records/s serially, whatever the partition count. With
    /// [`ProcessingOrder::Partition`] more than the partition count assigned adds nothing.
    pub max_concurrency: usize,
    /// Records received and waiting (not yet started) per partition before the partition is
    /// paused (librdkafka pause/resume) instead of buffered further; resumed at half. What a
    /// member holds beyond librdkafka's own prefetch (`queued.max.messages.kbytes`) is at most
    /// this many records per assigned partition (a poll takes no more than the partitions'
    /// room). A pause drops the partition's prefetched records in librdkafka, and the
    /// resumed partition is fetched again behind any Fetch in flight: with `max_concurrency`
    /// above 1 the consumer defaults `fetch.wait.max.ms` to 100
    /// ([`PARALLEL_FETCH_WAIT`](crate::kafka_config::PARALLEL_FETCH_WAIT)) so that wait is short.
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
    /// How [`TypedConsumer::run_batch`](super::TypedConsumer::run_batch) groups records. Default: [`BatchConfig::default`].
    pub batch: BatchConfig,
    /// JSON Schema: check each value against its writer schema when decoding (Confluent's
    /// `validate` for a deserializer); a value that breaks it is the record's fault
    /// (dead-lettered by [`dead_letter`](Self::dead_letter)). Default: true.
    pub validate: bool,
    /// The version records are read as (Confluent's `use.latest.version` /
    /// `use.latest.with.metadata`): a record written with another version of the topic's
    /// value subject is migrated by the migration rules between the two (JSONata
    /// UPGRADE/DOWNGRADE) before it becomes `V`. Default: [`ReaderVersion::Writer`], each record
    /// as written (no registry look-up, no conversion).
    pub reader_version: ReaderVersion,
    /// librdkafka properties, applied last (also to the dead-letter producer, so security
    /// settings reach both). Secret ones print as `<redacted>`. They override schemaflow's own
    /// consumer defaults too, such as `fetch.queue.backoff.ms=10`
    /// ([`FETCH_QUEUE_BACKOFF`](crate::kafka_config::FETCH_QUEUE_BACKOFF): librdkafka's 1 s
    /// default idles a decoding consumer after each full fetch queue) and, with
    /// `max_concurrency` above 1, `fetch.wait.max.ms=100`
    /// ([`PARALLEL_FETCH_WAIT`](crate::kafka_config::PARALLEL_FETCH_WAIT): a resumed partition
    /// waits for its next fetch behind the Fetch in flight).
    pub properties: KafkaProperties,
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
            commit_every: 10_000,
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
            validate: true,
            reader_version: ReaderVersion::Writer,
            properties: KafkaProperties::default(),
        }
    }

    /// Set the ordering and the records in flight at once ([`ordering`](Self::ordering) and
    /// [`max_concurrency`](Self::max_concurrency) in one call).
    pub fn concurrency(mut self, ordering: ProcessingOrder, max_concurrency: usize) -> Self {
        self.ordering = ordering;
        self.max_concurrency = max_concurrency.max(1);
        self
    }

    /// Set `auto.offset.reset` (`earliest`, `latest`) for a group without a committed offset.
    pub fn auto_offset_reset(mut self, reset: impl Into<String>) -> Self {
        self.auto_offset_reset = reset.into();
        self
    }

    /// Start partitions the group has no committed offset for here, instead of
    /// `auto.offset.reset` (see the field).
    pub fn start_uncommitted(mut self, start: StartAt) -> Self {
        self.start_uncommitted = Some(start);
        self
    }

    /// Commit stored offsets after this many records.
    pub fn commit_every(mut self, records: usize) -> Self {
        self.commit_every = records;
        self
    }

    /// Commit stored offsets after this long.
    pub fn commit_interval(mut self, interval: Duration) -> Self {
        self.commit_interval = interval;
        self
    }

    /// Whether to commit offsets at all (`false` for a tool that only looks at a topic).
    pub fn commit_offsets(mut self, commit: bool) -> Self {
        self.commit_offsets = commit;
        self
    }

    /// Handler attempts after the first, before the record is dead-lettered.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first retry delay (it doubles each retry).
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// How long an environment fault (registry down, HTTP 5xx) is retried before the consumer
    /// stops with [`Error::Environment`](crate::Error::Environment).
    pub fn environment_retry_timeout(mut self, timeout: Duration) -> Self {
        self.environment_retry_timeout = timeout;
        self
    }

    /// What happens to a record that cannot be decoded or handled.
    pub fn dead_letter(mut self, policy: DeadLetter) -> Self {
        self.dead_letter = policy;
        self
    }

    /// Stop (as on shutdown) when no record arrives for this long.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Read only committed transactional records (`isolation.level=read_committed`), or all.
    pub fn read_committed(mut self, read_committed: bool) -> Self {
        self.read_committed = read_committed;
        self
    }

    /// The consumer-group protocol (`group.protocol`).
    pub fn group_protocol(mut self, protocol: GroupProtocol) -> Self {
        self.group_protocol = protocol;
        self
    }

    /// Which records are kept in order while several are handled at once.
    pub fn ordering(mut self, ordering: ProcessingOrder) -> Self {
        self.ordering = ordering;
        self
    }

    /// Records (or batches) in flight at once (at least 1).
    pub fn max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency.max(1);
        self
    }

    /// Records waiting per partition before the partition is paused.
    pub fn look_ahead(mut self, records: usize) -> Self {
        self.look_ahead = Some(records);
        self
    }

    /// How long shutdown waits for the records in flight.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// How long a rebalance keeps revoked partitions while their records in flight finish.
    pub fn revoke_timeout(mut self, timeout: Duration) -> Self {
        self.revoke_timeout = timeout;
        self
    }

    /// How [`TypedConsumer::run_batch`](super::TypedConsumer::run_batch) groups records.
    pub fn batch(mut self, batch: BatchConfig) -> Self {
        self.batch = batch;
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

    /// The look-ahead per partition: the field [`look_ahead`](Self::look_ahead) or its default.
    pub fn look_ahead_limit(&self) -> usize {
        self.look_ahead
            .unwrap_or_else(|| 1000.max(2 * self.max_concurrency.max(1)))
            .max(1)
    }

    /// JSON Schema: check values against their writer schema when decoding (default true).
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Set a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    pub(crate) fn kafka_config(&self) -> KafkaConfig {
        let isolation = if self.read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        let mut defaults = vec![
            crate::kafka_config::FETCH_QUEUE_BACKOFF,
            ("group.id", self.group_id.as_str()),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", self.auto_offset_reset.as_str()),
            ("isolation.level", isolation),
            ("group.protocol", self.group_protocol.as_str()),
        ];
        // Only a member with several records in flight pauses partitions (a serial one stops
        // receiving instead): a paused partition, once resumed, waits for its next fetch no
        // longer than this.
        if self.max_concurrency > 1 {
            defaults.push(crate::kafka_config::PARALLEL_FETCH_WAIT);
        }
        crate::kafka_config::kafka_config(&self.brokers, &defaults, &self.properties)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fetch_back_off_is_a_default_the_users_property_overrides() {
        let config = ConsumerConfig::new("b", "g", &["t"]);
        assert_eq!(
            config.kafka_config().get("fetch.queue.backoff.ms"),
            Some("10")
        );
        let config = config.set("fetch.queue.backoff.ms", "1000");
        assert_eq!(
            config.kafka_config().get("fetch.queue.backoff.ms"),
            Some("1000")
        );
    }

    #[test]
    fn a_parallel_consumer_waits_less_for_a_fetch_a_serial_one_keeps_librdkafkas_wait() {
        let serial = ConsumerConfig::new("b", "g", &["t"]);
        assert_eq!(serial.kafka_config().get("fetch.wait.max.ms"), None);
        let parallel = serial.concurrency(ProcessingOrder::Key, 256);
        assert_eq!(
            parallel.kafka_config().get("fetch.wait.max.ms"),
            Some("100")
        );
        let parallel = parallel.set("fetch.wait.max.ms", "500");
        assert_eq!(
            parallel.kafka_config().get("fetch.wait.max.ms"),
            Some("500")
        );
    }
}
