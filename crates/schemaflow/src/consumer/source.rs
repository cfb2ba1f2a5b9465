//! Where the consumer loop's records come from, and where its offsets and pauses go: the
//! small [`Source`] trait the driver runs over, implemented for rdkafka's consumer
//! ([`KafkaSource`]) and by a fake in the unit tests.
//!
//! [`Source::poll`] appends to a buffer rather than returning one record, so a source that
//! polls librdkafka for a batch at a time fits the same loop.

use std::future::Future;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;

use super::engine::SourceRecord;
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
    pub(crate) consumer: &'c StreamConsumer<CommitOnRevoke>,
}

fn one(tp: &TopicPartition) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(&tp.0, tp.1);
    tpl
}

impl<'c> Source for KafkaSource<'c> {
    type Record = BorrowedMessage<'c>;

    async fn poll(&self, out: &mut Vec<BorrowedMessage<'c>>) -> Result<()> {
        let consumer: &'c StreamConsumer<CommitOnRevoke> = self.consumer;
        let m = consumer
            .recv()
            .await
            .map_err(|e| kafka_error("consuming", e))?;
        out.push(m);
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
        self.consumer.context().take_revoked()
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
