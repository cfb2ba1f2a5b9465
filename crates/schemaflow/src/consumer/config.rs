//! The consumer's settings: [`ConsumerConfig`] (typed, with documented defaults, plus a raw
//! librdkafka passthrough) and [`GroupProtocol`].

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig as KafkaConfig;

use super::dead_letter::DeadLetter;
use super::parallel::{BatchConfig, ProcessingOrder};
use super::start_offset::StartAt;

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
    /// the partition's range if outside it (reported as [`ConsumerEvent::StartMoved`](super::ConsumerEvent::StartMoved); see
    /// [`start_offset`](super::start_offset)). Default: none.
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
    /// How [`TypedConsumer::run_batch`](super::TypedConsumer::run_batch) groups records. Default: [`BatchConfig::default`].
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

    pub(crate) fn kafka_config(&self) -> KafkaConfig {
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
