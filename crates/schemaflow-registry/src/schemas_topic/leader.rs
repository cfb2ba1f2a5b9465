//! One leader among the registry instances on a topic: the only one that assigns ids and
//! writes; the others forward writes to it (`routes`' forwarding) and serve reads from their
//! own copy of the topic.
//!
//! * **Election through Kafka itself**: every eligible instance joins the consumer group
//!   `group_id` (Confluent's `schema.registry.group.id`, default `schema-registry`) on a
//!   one-partition coordination topic `<topic>_leader`; the member the group gives partition 0
//!   leads. librdkafka only joins groups of the `consumer` protocol type, so Confluent's own
//!   election protocol cannot be joined: instances of Confluent SR and of schemaflow do not
//!   share leadership (sharing the `_schemas` topic in turn is the goal).
//! * **Sticky**: the group assigns with `cooperative-sticky`, which leaves partition 0 with
//!   the member that owns it when another one joins. Like Confluent's, the leader stays the
//!   leader while it lives: a rolling restart moves leadership once per restarted leader, not
//!   on every join.
//! * **Fencing**: the leader writes through one transactional producer whose
//!   `transactional.id` every instance of the group shares, so a new leader's
//!   `init_transactions` fences the old one: a paused old leader that wakes up cannot write.
//!   After each transaction (the win's included) a plain `NOOP` is appended outside it
//!   (`log/kafka.rs`'s `seal`), so the topic never ends in a commit marker that readers
//!   counting to the end offset − 1 (Karapace) would wait for.
//! * After winning, a leader reads the topic to its end (a `NOOP` marker through its own
//!   producer) before it assigns an id, then announces its `advertised_url` on the
//!   coordination topic (compacted, key `leader`).
//! * **Where the leader is**: every instance, eligible or not, reads the coordination topic
//!   from its beginning (`spawn_watch`): the latest committed announcement is the leader,
//!   also when it was made long before this instance started.
//! * Losing the partition (revoked, or the session expired while paused) stops writing at
//!   once, before anything else happens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

/// The key of the leader's announcement on the coordination topic.
pub(crate) const ANNOUNCEMENT_KEY: &[u8] = b"leader";

/// How an instance takes part in leadership (Confluent's `leader.eligibility`, `host.name` +
/// listener as `advertised_url`, `schema.registry.group.id`): [`LeaderConfig::default`], then a
/// chainable method per setting, named like its field. The fields stay public, to read and to
/// set on a value; the struct is `#[non_exhaustive]`, so new settings can come without breaking
/// callers (build it from `default()`, not a struct literal).
///
/// ```
/// use schemaflow_registry::LeaderConfig;
///
/// // A read replica: follows the leader, never leads.
/// let leader = LeaderConfig::default()
///     .group_id("schema-registry-eu")
///     .advertised_url("http://registry-3:8081")
///     .eligible(false);
/// assert!(!leader.eligible);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LeaderConfig {
    /// The group the eligible instances join. Default: `schema-registry`.
    pub group_id: String,
    /// How the other instances reach this one (`http://host:port`); `None`: the address the
    /// server listens on.
    pub advertised_url: Option<String>,
    /// Whether this instance may lead. Default: true.
    pub eligible: bool,
}

impl Default for LeaderConfig {
    fn default() -> Self {
        LeaderConfig {
            group_id: "schema-registry".into(),
            advertised_url: None,
            eligible: true,
        }
    }
}

impl LeaderConfig {
    /// The group the eligible instances join (`schema.registry.group.id`).
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = group_id.into();
        self
    }

    /// How the other instances reach this one (`http://host:port`).
    pub fn advertised_url(mut self, url: impl Into<String>) -> Self {
        self.advertised_url = Some(url.into());
        self
    }

    /// Whether this instance may lead (`leader.eligibility`).
    pub fn eligible(mut self, eligible: bool) -> Self {
        self.eligible = eligible;
        self
    }
}

/// What an instance knows of the leadership.
#[derive(Default)]
pub struct Leadership {
    leading: AtomicBool,
    /// Whether the group currently gives this instance the partition.
    assigned: AtomicBool,
    /// Whether the group answered this instance's join at least once (an eligible instance
    /// then knows whether it leads).
    joined: AtomicBool,
    /// Whether the coordination topic was read to its end at least once: from then on
    /// `leader_url` is the latest announcement, not an older one met on the way.
    announcements_read: AtomicBool,
    /// The latest announcement: its offset on the coordination topic, and the URL. Kept in
    /// offset order, whoever (the watcher, or the winner itself) learns of it first.
    leader_url: RwLock<Option<(i64, String)>>,
    /// The transactional writer, while leading.
    pub(crate) writer: Mutex<Option<FutureProducer>>,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("leading", &self.is_leader())
            .field("leader_url", &self.leader_url())
            .finish_non_exhaustive()
    }
}

impl Leadership {
    /// Whether this instance leads (and may write).
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// Where the leader is, as it announced itself.
    pub fn leader_url(&self) -> Option<String> {
        self.leader_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, url)| url.clone())
    }

    /// Record the announcement at `offset` of the coordination topic, unless a later one is
    /// known already.
    pub(crate) fn set_leader_url(&self, offset: i64, url: String) {
        let mut known = self.leader_url.write().unwrap_or_else(|e| e.into_inner());
        if known.as_ref().is_none_or(|(seen, _)| *seen <= offset) {
            *known = Some((offset, url));
        }
    }

    /// Whether this instance knows enough to take writes: it read the latest announcement,
    /// and, when `eligible`, the group said whether it leads and, if it does, it took the
    /// lead (without that an instance restarted on its old address would find itself
    /// announced and forward writes to itself until it won again).
    pub(crate) fn settled(&self, eligible: bool) -> bool {
        self.announcements_read.load(Ordering::SeqCst)
            && self.leader_url().is_some()
            && (!eligible
                || (self.joined.load(Ordering::SeqCst)
                    && (!self.assigned.load(Ordering::SeqCst) || self.is_leader())))
    }

    /// Stop writing: the partition was revoked, or a write found this producer fenced.
    pub(crate) fn step_down(&self, why: &str) {
        if self.leading.swap(false, Ordering::SeqCst) {
            tracing::warn!(%why, "registry: no longer the leader");
        }
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    pub(crate) fn become_leader(&self, producer: FutureProducer) {
        *self.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(producer);
        self.leading.store(true, Ordering::SeqCst);
    }
}

/// The election consumer's context: records the assignment, steps down on revoke before the
/// partition goes to another member.
///
/// With the cooperative protocol a callback lists only the partitions that change hands
/// (an `Assign` may be empty: "nothing new for you"), so only a list naming partition 0
/// changes what this instance owns; under the eager protocol every assignment follows a
/// revoke of everything, and the same rule holds.
struct ElectionContext {
    leadership: Arc<Leadership>,
    coordination_topic: String,
}

impl ElectionContext {
    fn names_ours(&self, tpl: &TopicPartitionList) -> bool {
        tpl.elements()
            .iter()
            .any(|e| e.topic() == self.coordination_topic && e.partition() == 0)
    }
}

impl ClientContext for ElectionContext {}

impl ConsumerContext for ElectionContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        // Also a partition lost with the session: librdkafka reports it as revoked.
        if let Rebalance::Revoke(tpl) = rebalance {
            if self.names_ours(tpl) {
                self.leadership.assigned.store(false, Ordering::SeqCst);
                self.leadership
                    .step_down("the coordination partition was revoked");
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            if self.names_ours(tpl) {
                self.leadership.assigned.store(true, Ordering::SeqCst);
            }
            self.leadership.joined.store(true, Ordering::SeqCst);
        }
    }
}

/// The election thread of an eligible instance: joins the group, and when given the partition
/// calls `win` (which fences, reads to the end and announces) until `stop`.
pub(crate) fn spawn_election(
    mut client: rdkafka::ClientConfig,
    coordination_topic: String,
    leadership: Arc<Leadership>,
    stop: Arc<AtomicBool>,
    win: impl Fn() -> Result<FutureProducer, String> + Send + 'static,
) -> Result<JoinHandle<()>, KafkaError> {
    // The sticky assignor leaves partition 0 with its owner when a member joins (the default
    // `range,roundrobin` gives it to whichever member id sorts first: leadership moved on
    // every join). An eager and a cooperative assignor cannot share a group, so every
    // instance of the group must use this one.
    client.set("partition.assignment.strategy", "cooperative-sticky");
    let consumer: BaseConsumer<ElectionContext> = client.create_with_context(ElectionContext {
        leadership: Arc::clone(&leadership),
        coordination_topic: coordination_topic.clone(),
    })?;
    consumer.subscribe(&[&coordination_topic])?;
    std::thread::Builder::new()
        .name("registry-election".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                // Polling keeps the membership alive (max.poll.interval.ms) and runs the
                // rebalance callbacks; the records themselves are the watcher's business.
                let _ = consumer.poll(Duration::from_millis(200));
                let assigned = leadership.assigned.load(Ordering::SeqCst);
                if assigned && !leadership.is_leader() {
                    match win() {
                        // Still ours after the (slow) fencing and catching up?
                        Ok(p) if leadership.assigned.load(Ordering::SeqCst) => {
                            leadership.become_leader(p);
                            tracing::info!("registry: this instance is the leader");
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "registry: taking the lead failed; retrying");
                            std::thread::sleep(Duration::from_millis(500));
                        }
                    }
                }
            }
            leadership.step_down("shutting down");
            consumer.unsubscribe();
        })
        .map_err(|_| KafkaError::Canceled)
}

/// The URL in an announcement's value (`{"url": …}`).
pub(crate) fn announced_url(value: Option<&[u8]>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(value?).ok()?;
    v.get("url")?.as_str().map(String::from)
}

/// The watcher thread of every instance: reads the coordination topic from its beginning
/// (committed records only: an announcement is part of the winner's transaction) and keeps
/// the latest announcement in `leadership`, until `stop`.
///
/// From the beginning, not from the last offset: the topic is transactional, so its last
/// offset is a commit marker, never delivered, and a reader starting there learns nothing
/// until the next election. Compaction keeps the topic a handful of records long.
pub(crate) fn spawn_watch(
    mut client: rdkafka::ClientConfig,
    coordination_topic: String,
    leadership: Arc<Leadership>,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<()>, KafkaError> {
    client
        // No group: assign, never commit. librdkafka still wants a group id.
        .set(
            "group.id",
            format!("schemaflow-registry-watch-{}", uuid::Uuid::new_v4()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed")
        // The end of the topic is how start-up knows the latest announcement was read.
        .set("enable.partition.eof", "true");
    let consumer: BaseConsumer = client.create()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&coordination_topic, 0, Offset::Beginning)?;
    consumer.assign(&tpl)?;
    std::thread::Builder::new()
        .name("registry-leader-watch".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match consumer.poll(Duration::from_millis(100)) {
                    None => {}
                    Some(Ok(msg)) => {
                        if msg.key() != Some(ANNOUNCEMENT_KEY) {
                            continue;
                        }
                        if let Some(url) = announced_url(msg.payload()) {
                            tracing::info!(leader = %url, offset = msg.offset(), "registry leader announced");
                            leadership.set_leader_url(msg.offset(), url);
                        }
                    }
                    Some(Err(KafkaError::PartitionEOF(_))) => {
                        leadership.announcements_read.store(true, Ordering::SeqCst);
                    }
                    Some(Err(e)) => {
                        tracing::warn!(topic = %coordination_topic, error = %e, "registry leader watch");
                    }
                }
            }
        })
        .map_err(|_| KafkaError::Canceled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_announcement_wins_whoever_learns_it_first() {
        let l = Leadership::default();
        l.set_leader_url(5, "http://b".into());
        l.set_leader_url(3, "http://a".into());
        assert_eq!(l.leader_url().as_deref(), Some("http://b"));
        l.set_leader_url(7, "http://c".into());
        assert_eq!(l.leader_url().as_deref(), Some("http://c"));
    }

    #[test]
    fn settled_needs_the_latest_announcement_and_the_election_outcome() {
        let l = Leadership::default();
        l.set_leader_url(1, "http://a".into());
        assert!(!l.settled(false), "the topic's end not reached yet");
        l.announcements_read.store(true, Ordering::SeqCst);
        assert!(l.settled(false));
        assert!(!l.settled(true), "eligible: the group has not answered");
        l.joined.store(true, Ordering::SeqCst);
        assert!(l.settled(true), "joined, not given the partition");
        l.assigned.store(true, Ordering::SeqCst);
        assert!(!l.settled(true), "given the partition, not leading yet");
        l.leading.store(true, Ordering::SeqCst);
        assert!(l.settled(true));
    }

    #[test]
    fn announcements_parse() {
        assert_eq!(
            announced_url(Some(br#"{"url":"http://sr:8081"}"#)).as_deref(),
            Some("http://sr:8081")
        );
        assert_eq!(announced_url(Some(b"garbage")), None);
        assert_eq!(announced_url(None), None);
    }
}
