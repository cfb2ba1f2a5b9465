//! Where the consumer loop's records come from, and where its offsets and pauses go: the
//! small [`Source`] trait the driver runs over, implemented for rdkafka's consumer
//! ([`KafkaSource`]) and by a fake in the unit tests.
//!
//! [`Source::poll`] appends to a buffer rather than returning one record, so a source that
//! polls librdkafka for a batch at a time fits the same loop: [`KafkaSource`] waits for one
//! record, then takes what librdkafka has ready without waiting, up to the engine's
//! [`PollLimit`] — on one long-lived `MessageStream` (rdkafka's `recv` builds one per call,
//! registering and removing a waker under a lock each time). Rebalance callbacks run inside
//! these polls exactly as inside `recv`: it is the same librdkafka queue poll.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use rdkafka::consumer::{CommitMode, Consumer, MessageStream, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::BorrowedMessage;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;

use super::engine::{same_lane, PollLimit, SourceRecord};
use super::offset_tracker::TopicPartition;
use super::rebalance::CommitOnRevoke;
use crate::error::{kafka_error, Error, Result};

/// Why a commit did not go through, by what the loop does about it.
#[derive(Debug)]
pub(crate) enum CommitFailure {
    /// The coordinator cannot take it now (moving, loading, unreachable): try again.
    Retriable(Error),
    /// The group is rebalancing: the partitions may not be ours any more.
    Rebalance(Error),
    /// Anything else: the consumer stops with it.
    Other(Error),
}

/// A consumer-group member's records and offsets, as the loop sees them.
pub(crate) trait Source {
    /// A received record.
    type Record: SourceRecord;

    /// Wait for records and append them (one or more) to `out`; or the source's error.
    fn poll(&self, out: &mut Vec<Self::Record>) -> impl Future<Output = Result<()>>;

    /// [`poll`](Self::poll) taking no more than `limit` allows (a source that reads one
    /// record at a time is always within it).
    fn poll_batch(
        &self,
        out: &mut Vec<Self::Record>,
        limit: PollLimit,
    ) -> impl Future<Output = Result<()>> {
        let _ = limit;
        self.poll(out)
    }

    /// Store a partition's position (`next`: the next offset to read) for the next commit.
    fn store(&self, tp: &TopicPartition, next: i64) -> Result<()>;

    /// Commit the stored positions. `Ok(false)`: there was nothing to commit.
    fn commit(&self, mode: CommitMode) -> std::result::Result<bool, CommitFailure>;

    /// Stop fetching a partition.
    fn pause(&self, tp: &TopicPartition) -> Result<()>;

    /// Fetch a paused partition again.
    fn resume(&self, tp: &TopicPartition) -> Result<()>;

    /// The partitions given up since the last call.
    fn take_revoked(&self) -> Vec<TopicPartition>;

    /// The partitions of a revoke held for records in flight, if one is.
    fn held_revoke(&self) -> Option<Vec<TopicPartition>>;

    /// Commit and give up the partitions of the held revoke, if any.
    fn let_revoked_go(&self);

    /// Whether a revoke arriving now is held for records in flight.
    fn defer_revokes(&self, defer: bool);

    /// Leave the group.
    fn leave(&self);
}

/// rdkafka's consumer with schemaflow's rebalance context, as a [`Source`].
pub(crate) struct KafkaSource<'c> {
    consumer: &'c StreamConsumer<CommitOnRevoke>,
    /// One stream for the life of the loop (its waker slot registered once).
    stream: Mutex<MessageStream<'c, CommitOnRevoke>>,
    /// What a poll read past its limit (a record of another lane after a serial run, or an
    /// error met while draining): handed out first by the next poll. At most one; with how
    /// many partitions had been revoked (not yet taken by the loop) when it was read.
    peeked: Mutex<Option<(KafkaResult<BorrowedMessage<'c>>, usize)>>,
}

impl<'c> KafkaSource<'c> {
    pub(crate) fn new(consumer: &'c StreamConsumer<CommitOnRevoke>) -> Self {
        KafkaSource {
            consumer,
            stream: Mutex::new(consumer.stream()),
            peeked: Mutex::new(None),
        }
    }
}

/// The lock, whatever a panic elsewhere left in it (the data is a stream and a record).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn one(tp: &TopicPartition) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(&tp.0, tp.1);
    tpl
}

impl<'c> Source for KafkaSource<'c> {
    type Record = BorrowedMessage<'c>;

    async fn poll(&self, out: &mut Vec<BorrowedMessage<'c>>) -> Result<()> {
        self.poll_batch(out, PollLimit::ONE).await
    }

    async fn poll_batch(&self, out: &mut Vec<BorrowedMessage<'c>>, limit: PollLimit) -> Result<()> {
        let context = self.consumer.context();
        let peeked = lock(&self.peeked).take().map(|(first, _)| first);
        let first = match peeked {
            Some(first) => first,
            None => std::future::poll_fn(|cx| {
                std::pin::Pin::new(&mut *lock(&self.stream)).poll_next(cx)
            })
            .await
            // rdkafka's streams never end; were one to, it is no record.
            .unwrap_or(Err(KafkaError::NoMessageReceived)),
        };
        let start = out.len();
        out.push(first.map_err(|e| kafka_error("consuming", e))?);
        // A revoke served while waiting came before the first record: the loop forgets those
        // partitions before it takes the records, which are of their new assignment.
        let revoked_before = context.revoked_len();
        // Then what librdkafka has ready, without waiting (a waker that does nothing: the
        // next awaited poll registers the task's own again before it waits). A rebalance
        // event served here ends the drain (the stream answers `Pending` for it).
        let mut stream = lock(&self.stream);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 1..limit.max {
            let Poll::Ready(Some(next)) = std::pin::Pin::new(&mut *stream).poll_next(&mut cx)
            else {
                break;
            };
            match next {
                Ok(m) => {
                    let joins = match (limit.one_lane, out.last()) {
                        (Some(order), Some(last)) => same_lane(order, last, &m),
                        _ => true,
                    };
                    if !joins {
                        *lock(&self.peeked) = Some((Ok(m), context.revoked_len()));
                        break;
                    }
                    out.push(m);
                }
                Err(e) => {
                    *lock(&self.peeked) = Some((Err(e), context.revoked_len()));
                    break;
                }
            }
        }
        drop(stream);
        // A revoke served by the drain's last poll came after this poll's records: those of
        // the revoked partitions are their next owner's (never handled, never stored here).
        let revoked_after = context.revoked_since(revoked_before);
        if !revoked_after.is_empty() {
            let mut i = start;
            out.retain(|m| {
                i += 1;
                i <= start
                    || !revoked_after
                        .iter()
                        .any(|(t, p)| m.partition() == *p && m.topic() == t)
            });
        }
        Ok(())
    }

    fn store(&self, tp: &TopicPartition, next: i64) -> Result<()> {
        // `store_offset` stores `offset + 1`: the next record to read.
        self.consumer
            .store_offset(&tp.0, tp.1, next - 1)
            .map_err(|e| kafka_error("storing an offset", e))
    }

    fn commit(&self, mode: CommitMode) -> std::result::Result<bool, CommitFailure> {
        match self.consumer.commit_consumer_state(mode) {
            Ok(()) => Ok(true),
            Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) => Ok(false),
            Err(e) => {
                let rebalance = matches!(
                    e.rdkafka_error_code(),
                    Some(
                        RDKafkaErrorCode::RebalanceInProgress
                            | RDKafkaErrorCode::IllegalGeneration
                            | RDKafkaErrorCode::UnknownMemberId
                    )
                );
                // No coordinator known right now (it moved, or its broker is down): librdkafka
                // finds the next one by itself, so this commit is retried, not fatal.
                let waiting =
                    e.rdkafka_error_code() == Some(RDKafkaErrorCode::WaitingForCoordinator);
                let e = kafka_error("committing offsets", e);
                Err(if rebalance {
                    CommitFailure::Rebalance(e)
                } else if waiting || (e.is_retriable() && !e.is_fatal()) {
                    CommitFailure::Retriable(e)
                } else {
                    CommitFailure::Other(e)
                })
            }
        }
    }

    fn pause(&self, tp: &TopicPartition) -> Result<()> {
        self.consumer
            .pause(&one(tp))
            .map_err(|e| kafka_error("pausing a partition", e))
    }

    fn resume(&self, tp: &TopicPartition) -> Result<()> {
        self.consumer
            .resume(&one(tp))
            .map_err(|e| kafka_error("resuming a partition", e))
    }

    fn take_revoked(&self) -> Vec<TopicPartition> {
        let revoked = self.consumer.context().take_revoked();
        let mut peeked = lock(&self.peeked);
        if let Some((read, since)) = peeked.as_mut() {
            // A record read ahead of a partition revoked after it was read is its next
            // owner's; one read after the revoke is of the partition's new assignment.
            let after = revoked.get(*since..).unwrap_or_default();
            let gone = matches!(read, Ok(m) if after
                .iter()
                .any(|(t, p)| m.topic() == t && m.partition() == *p));
            if gone {
                *peeked = None;
            } else {
                // The list starts again empty.
                *since = 0;
            }
        }
        revoked
    }

    fn held_revoke(&self) -> Option<Vec<TopicPartition>> {
        self.consumer.context().held()
    }

    fn let_revoked_go(&self) {
        self.consumer.context().let_go(self.consumer);
    }

    fn defer_revokes(&self, defer: bool) {
        self.consumer.context().defer_revokes(defer);
    }

    fn leave(&self) {
        self.consumer.unsubscribe();
    }
}
