//! The rdkafka context of a consumer, [`CommitOnRevoke`]: what happens inside librdkafka's
//! rebalance callback.
//!
//! - **Assign**: partitions the group has no committed offset for are placed at
//!   [`ConsumerConfig::start_uncommitted`](super::ConsumerConfig::start_uncommitted)(super::ConsumerConfig::start_uncommitted)
//!   ([`start_offset`](super::start_offset)) before fetching begins.
//! - **Revoke**: the offsets stored so far are committed synchronously, so the next owner
//!   starts after the last finished record, and the loop is told which partitions went (it
//!   forgets their waiting records and offsets).
//! - **Deferred revoke**: while records are in flight the callback does not give the
//!   partitions up. It runs inside `recv`, on the very task that polls the handlers, so
//!   waiting there would stop the records it waits for; instead it leaves them assigned
//!   (librdkafka then waits for the application's unassign, as it allows: its
//!   `WAIT_UNASSIGN_CALL` state) and the loop lets them go ([`CommitOnRevoke::let_go`]) once
//!   their records are finished or `revoke_timeout` passed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, TopicPartitionList};

use super::events::{ConsumerEvent, EventListener};
use super::offset_tracker::TopicPartition;
use super::start_offset::StartAt;
use crate::error::kafka_error;

/// The consumer's context. Commits stored offsets synchronously when partitions are taken
/// away, so the next owner starts after the last handled record; and on assignment places
/// partitions without a committed offset at [`ConsumerConfig::start_uncommitted`](super::ConsumerConfig::start_uncommitted).
pub struct CommitOnRevoke {
    start: Option<StartAt>,
    /// The consumer's listener ([`TypedConsumer::on_event`](super::TypedConsumer::on_event)),
    /// set after the context exists.
    listener: Mutex<Option<EventListener>>,
    /// Partitions revoked since the consumer loop last looked: it drops their waiting records
    /// and forgets their offsets (the callback runs inside `recv`, on the loop's own task).
    revoked: Mutex<Vec<TopicPartition>>,
    /// Set by the loop while records are in flight: a revoke then leaves the partitions
    /// assigned in `deferred_revoke` for the loop to finish (see the module docs).
    defer_revoke: AtomicBool,
    /// A revoke the loop has yet to finish: librdkafka's partition list, not unassigned yet.
    deferred_revoke: Mutex<Option<TopicPartitionList>>,
}

impl ClientContext for CommitOnRevoke {}

impl CommitOnRevoke {
    pub(crate) fn new(start: Option<StartAt>) -> Self {
        CommitOnRevoke {
            start,
            listener: Mutex::new(None),
            revoked: Mutex::new(Vec::new()),
            defer_revoke: AtomicBool::new(false),
            deferred_revoke: Mutex::new(None),
        }
    }

    /// Tell the listener too ([`TypedConsumer::on_event`](super::TypedConsumer::on_event)).
    pub(crate) fn set_listener(&self, listener: EventListener) {
        if let Ok(mut l) = self.listener.lock() {
            *l = Some(listener);
        }
    }

    /// How many partitions were revoked since the loop last asked (the list only grows
    /// until [`take_revoked`](Self::take_revoked)).
    pub(crate) fn revoked_len(&self) -> usize {
        self.revoked.lock().map_or(0, |r| r.len())
    }

    /// The partitions revoked since [`revoked_len`](Self::revoked_len) was `from`.
    pub(crate) fn revoked_since(&self, from: usize) -> Vec<TopicPartition> {
        self.revoked
            .lock()
            .map(|r| r.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// The partitions revoked since the loop last asked.
    pub(crate) fn take_revoked(&self) -> Vec<TopicPartition> {
        match self.revoked.lock() {
            Ok(mut r) if !r.is_empty() => std::mem::take(&mut *r),
            _ => Vec::new(),
        }
    }

    /// Whether a revoke arriving now is held for the records in flight.
    pub(crate) fn defer_revokes(&self, defer: bool) {
        self.defer_revoke.store(defer, Ordering::SeqCst);
    }

    /// The partitions of a revoke held for records in flight, if any.
    pub(crate) fn held(&self) -> Option<Vec<TopicPartition>> {
        let held = self.deferred_revoke.lock().ok()?;
        Some(
            held.as_ref()?
                .elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect(),
        )
    }

    /// Commit and unassign the partitions of a held revoke, if any.
    pub(crate) fn let_go<C: Consumer<Self>>(&self, consumer: &C) {
        let Some(tpl) = self.deferred_revoke.lock().ok().and_then(|mut d| d.take()) else {
            return;
        };
        self.commit_revoked(consumer, &tpl);
        let given_up = match consumer.rebalance_protocol() {
            rdkafka::consumer::RebalanceProtocol::Cooperative => {
                consumer.incremental_unassign(&tpl)
            }
            _ => consumer.unassign(),
        };
        match given_up {
            Ok(()) => tracing::debug!(partitions = tpl.count(), "revoked partitions let go"),
            Err(e) => tracing::error!(error = %e, "revoking partitions failed"),
        }
    }

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
    /// [`ConsumerConfig::start_uncommitted`](super::ConsumerConfig::start_uncommitted) asks for it: the partition list handed to
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
                    match super::start_offset::place(
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
