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
//! * **Fencing**: the leader writes through one transactional producer whose
//!   `transactional.id` every instance of the group shares, so a new leader's
//!   `init_transactions` fences the old one: a paused old leader that wakes up cannot write.
//! * After winning, a leader reads the topic to its end (a `NOOP` marker through its own
//!   producer) before it assigns an id, then announces its `advertised_url` on the
//!   coordination topic, where every instance's reader learns where to forward.
//! * Losing the partition (revoked, or the session expired while paused) stops writing at
//!   once, before anything else happens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::FutureProducer;
use rdkafka::ClientContext;

/// How an instance takes part in leadership (Confluent's `leader.eligibility`, `host.name` +
/// listener as `advertised_url`, `schema.registry.group.id`).
#[derive(Debug, Clone)]
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

/// What an instance knows of the leadership.
#[derive(Default)]
pub struct Leadership {
    leading: AtomicBool,
    /// Whether the group currently gives this instance the partition.
    assigned: AtomicBool,
    leader_url: RwLock<Option<String>>,
    /// The transactional writer, while leading.
    pub(super) writer: Mutex<Option<FutureProducer>>,
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
            .clone()
    }

    pub(super) fn set_leader_url(&self, url: String) {
        *self.leader_url.write().unwrap_or_else(|e| e.into_inner()) = Some(url);
    }

    /// Stop writing: the partition was revoked, or a write found this producer fenced.
    pub(super) fn step_down(&self, why: &str) {
        if self.leading.swap(false, Ordering::SeqCst) {
            tracing::warn!(%why, "registry: no longer the leader");
        }
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    pub(super) fn become_leader(&self, producer: FutureProducer) {
        *self.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(producer);
        self.leading.store(true, Ordering::SeqCst);
    }
}

/// The election consumer's context: records the assignment, steps down on revoke before the
/// partition goes to another member.
struct ElectionContext {
    leadership: Arc<Leadership>,
}

impl ClientContext for ElectionContext {}

impl ConsumerContext for ElectionContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            self.leadership.assigned.store(false, Ordering::SeqCst);
            self.leadership
                .step_down("the coordination partition was revoked");
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            let ours = tpl.elements().iter().any(|e| e.partition() == 0);
            self.leadership.assigned.store(ours, Ordering::SeqCst);
        }
    }
}

/// The election thread of an eligible instance: joins the group, and when given the partition
/// calls `win` (which fences, reads to the end and announces) until `stop`.
pub(super) fn spawn_election(
    client: rdkafka::ClientConfig,
    coordination_topic: String,
    leadership: Arc<Leadership>,
    stop: Arc<AtomicBool>,
    win: impl Fn() -> Result<FutureProducer, String> + Send + 'static,
) -> Result<JoinHandle<()>, rdkafka::error::KafkaError> {
    let consumer: BaseConsumer<ElectionContext> = client.create_with_context(ElectionContext {
        leadership: Arc::clone(&leadership),
    })?;
    consumer.subscribe(&[&coordination_topic])?;
    std::thread::Builder::new()
        .name("registry-election".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                // Polling keeps the membership alive (max.poll.interval.ms) and runs the
                // rebalance callbacks; the records themselves are the reader's business.
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
        .map_err(|_| rdkafka::error::KafkaError::Canceled)
}
