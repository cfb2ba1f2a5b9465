//! What a consumer tells its caller while it runs: [`ConsumerEvent`]s (retries of the
//! environment, dead letters, skipped records, start moves) for a listener, the counters
//! behind [`ConsumerStats`], and [`Position`], where a record is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::start_offset::StartMoved;
use crate::error::Error;

/// Counters of a consumer, readable while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    /// Records handed to the handler successfully (tombstones included).
    pub handled: u64,
    /// Value bytes consumed.
    pub bytes: u64,
    /// Records sent to the dead-letter topic.
    pub dead_lettered: u64,
    /// Records passed over under [`DeadLetter::Skip`](super::DeadLetter::Skip).
    pub skipped: u64,
    /// Handler attempts that failed (retried or dead-lettered).
    pub handler_errors: u64,
    /// Retries of environment faults (registry unreachable…) while holding a record.
    pub environment_retries: u64,
    /// Offset commits made.
    pub commits: u64,
    /// Registry cache hits.
    pub registry_cache_hits: u64,
    /// Registry cache misses.
    pub registry_cache_misses: u64,
    /// Records received and waiting to be started now (the look-ahead in use).
    pub buffered: u64,
    /// The most records ever waiting at once.
    pub max_buffered: u64,
    /// Records (or batches) in flight now.
    pub in_flight: u64,
    /// The most records (or batches) ever in flight at once.
    pub max_in_flight: u64,
    /// Times a partition was paused because its look-ahead was full.
    pub pauses: u64,
}

/// The live counters behind [`ConsumerStats`], shared by the consumer's parts.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) handled: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) skipped: AtomicU64,
    pub(crate) handler_errors: AtomicU64,
    pub(crate) environment_retries: AtomicU64,
    pub(crate) commits: AtomicU64,
    pub(crate) buffered: AtomicU64,
    pub(crate) max_buffered: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) max_in_flight: AtomicU64,
    pub(crate) pauses: AtomicU64,
}

impl Counters {
    /// Add `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now, with the registry cache's `(hits, misses)`.
    pub(crate) fn snapshot(&self, cache: (u64, u64)) -> ConsumerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ConsumerStats {
            handled: get(&self.handled),
            bytes: get(&self.bytes),
            dead_lettered: get(&self.dead_lettered),
            skipped: get(&self.skipped),
            handler_errors: get(&self.handler_errors),
            environment_retries: get(&self.environment_retries),
            commits: get(&self.commits),
            registry_cache_hits: cache.0,
            registry_cache_misses: cache.1,
            buffered: get(&self.buffered),
            max_buffered: get(&self.max_buffered),
            in_flight: get(&self.in_flight),
            max_in_flight: get(&self.max_in_flight),
            pauses: get(&self.pauses),
        }
    }

    /// Records waiting and in flight now (and the most so far).
    pub(crate) fn set_load(&self, waiting: usize, in_flight: usize) {
        self.buffered.store(waiting as u64, Ordering::Relaxed);
        self.max_buffered
            .fetch_max(waiting as u64, Ordering::Relaxed);
        self.in_flight.store(in_flight as u64, Ordering::Relaxed);
        self.max_in_flight
            .fetch_max(in_flight as u64, Ordering::Relaxed);
    }
}

/// Where a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
}

impl std::fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}@{}", self.topic, self.partition, self.offset)
    }
}

/// Something the consumer did with a record besides handling it, for a caller that reports
/// progress (see [`TypedConsumer::on_event`](super::TypedConsumer::on_event)). Also logged with `tracing`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ConsumerEvent<'a> {
    /// The environment failed on this record; the consumer waits and retries, holding the
    /// partition's position.
    Retrying {
        /// The record.
        at: Position<'a>,
        /// 1 for the first retry.
        attempt: u32,
        /// How long it has been retried so far.
        waited: Duration,
        /// The budget ([`ConsumerConfig::environment_retry_timeout`](super::ConsumerConfig::environment_retry_timeout)).
        budget: Duration,
        /// The environment's error.
        error: &'a Error,
    },
    /// The record could not be decoded or handled and was written to a dead-letter topic.
    DeadLettered {
        /// The record.
        at: Position<'a>,
        /// The dead-letter topic.
        topic: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// The record could not be decoded or handled and was passed over ([`DeadLetter::Skip`](super::DeadLetter::Skip)).
    Skipped {
        /// The record.
        at: Position<'a>,
        /// Why.
        reason: &'a str,
    },
    /// An assigned partition without a committed offset did not start at
    /// [`ConsumerConfig::start_uncommitted`](super::ConsumerConfig::start_uncommitted): out of its range, it starts at the nearest end.
    StartMoved(&'a StartMoved),
    /// The committed offsets or the partitions' ranges could not be looked up on assignment:
    /// the assigned partitions start by `auto_offset_reset` (or their committed offsets).
    StartLookupFailed {
        /// The lookup's error.
        error: &'a Error,
    },
}

pub(crate) type EventListener = Arc<dyn Fn(&ConsumerEvent<'_>) + Send + Sync>;
