//! The consumer loop's state machine: [`Engine`], one method per event, each telling the
//! driver ([`super::driver`]) what to do as [`Action`]s. No I/O, no clock of its own (the
//! time comes with each event), so every rule of the loop is unit-tested here without a
//! broker.
//!
//! The rules it keeps:
//! - **Lanes** ([`super::parallel`]): a received record waits in its lane (its partition, its
//!   key, or itself, by [`ProcessingOrder`]); a lane runs one job at a time; up to
//!   `max_concurrency` jobs run at once. A job is one record, or (batches) up to
//!   `max_records` of one partition, held back until full or until its first record waited
//!   `max_wait` — or a *run*: the records of one lane that came next to each other in one
//!   poll of the source ([`Engine::records`]), handled one by one, in order, by one job
//!   (what the lane would have done one job at a time, with the loop's bookkeeping paid once
//!   for all of them).
//! - **Offsets** ([`super::offset_tracker`]): a partition's position moves over a record
//!   only once it and every earlier record received from the partition are finished, so a
//!   commit never passes an unfinished record (in flight, waiting, failed, or held by an
//!   environment fault). A job reports how many of its records finished, from its first
//!   ([`Engine::done_prefix`]); the position is stored once per job.
//! - **Look-ahead**: a partition with `look_ahead` records waiting is paused, and resumed at
//!   half. Batches go on reading while every slot is taken only until a full batch waits.
//! - **Revoke**: a revoke held for records in flight drops the partitions' waiting records at
//!   once (and a run of theirs in flight stops after its current record: the rest of it is
//!   waiting as much as the records in the lane), and lets the partitions go when their
//!   records are finished or `revoke_timeout` passed; once let go, the partitions are
//!   forgotten (a record of theirs finishing late stores nothing: its epoch is gone).
//! - **Stopping** (shutdown, idle, the first error): nothing more starts (a run in flight
//!   stops after its current record), waiting records are dropped (not committed: read
//!   again after the restart), the jobs in flight are waited for up to `drain_timeout`. The
//!   first error is what the run returns; an environment fault cut short by a shutdown is
//!   not an error.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::config::ConsumerConfig;
use super::offset_tracker::{PartitionOffsets, TopicPartition};
use super::parallel::{BatchConfig, LaneKey, Lanes, ProcessingOrder};
use crate::error::{Error, Result};

/// Most records of one run (one job of `run`): long enough to pay the loop's bookkeeping
/// once for many records, short enough that a commit (stored per finished job) is not held
/// back for long.
pub(crate) const MAX_RUN: usize = 500;

/// About how long one run may take: runs are cut to what the handler does in this long
/// ([`Engine::job_took`]). A serial member polls librdkafka (where rebalance callbacks run)
/// between runs, so this bounds how long a rebalance waits for it, whatever the handler's
/// speed: with a slow handler a run is one record, as a job was before runs.
pub(crate) const RUN_TIME: Duration = Duration::from_millis(50);

/// Most records one poll of the source takes.
pub(crate) const MAX_POLL: usize = 500;

/// How much one poll of the source may take ([`Engine::poll_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollLimit {
    /// Most records.
    pub(crate) max: usize,
    /// Serially: only records of the first record's lane (what one run takes), by this
    /// ordering; the source keeps the first record of another lane for its next poll.
    pub(crate) one_lane: Option<ProcessingOrder>,
}

impl PollLimit {
    /// One record.
    pub(crate) const ONE: PollLimit = PollLimit {
        max: 1,
        one_lane: None,
    };
}

/// Whether `b` waits in the same lane as `a` under `order`.
pub(crate) fn same_lane<R: SourceRecord>(order: ProcessingOrder, a: &R, b: &R) -> bool {
    a.partition() == b.partition()
        && match order {
            ProcessingOrder::Partition => true,
            ProcessingOrder::Key => a.key() == b.key(),
            ProcessingOrder::Unordered => false,
        }
        && a.same_topic(b)
}

/// How a job ended: how many of its records, from its first, are finished, and whether the
/// consumer goes on (`Err`: it stops with that error).
pub(crate) struct Finished {
    pub(crate) records: usize,
    pub(crate) result: Result<()>,
}

/// What the engine reads of a record.
pub(crate) trait SourceRecord {
    fn topic(&self) -> &str;
    fn partition(&self) -> i32;
    fn offset(&self) -> i64;
    fn key(&self) -> Option<&[u8]>;
    /// Whether `other` is of the same topic (a source may know it without comparing names).
    fn same_topic(&self, other: &Self) -> bool {
        self.topic() == other.topic()
    }
}

impl SourceRecord for rdkafka::message::BorrowedMessage<'_> {
    fn topic(&self) -> &str {
        rdkafka::Message::topic(self)
    }
    fn same_topic(&self, other: &Self) -> bool {
        // librdkafka keeps one topic object per name in a client, so the same object is the
        // same topic: no name read (a `strlen` and a UTF-8 check per call) for the common case.
        std::ptr::eq(self.topic_ptr(), other.topic_ptr()) || self.topic() == other.topic()
    }
    fn partition(&self) -> i32 {
        rdkafka::Message::partition(self)
    }
    fn offset(&self) -> i64 {
        rdkafka::Message::offset(self)
    }
    fn key(&self) -> Option<&[u8]> {
        rdkafka::Message::key(self)
    }
}

/// The loop's settings, from [`ConsumerConfig`].
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) ordering: ProcessingOrder,
    /// `Some` for batches (`run_batch`).
    pub(crate) batch: Option<BatchConfig>,
    pub(crate) max_concurrency: usize,
    pub(crate) look_ahead: usize,
    pub(crate) commit_every: usize,
    pub(crate) commit_interval: Duration,
    pub(crate) commit_offsets: bool,
    pub(crate) drain_timeout: Duration,
    pub(crate) revoke_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
}

impl Settings {
    pub(crate) fn new(
        config: &ConsumerConfig,
        ordering: ProcessingOrder,
        batch: Option<BatchConfig>,
    ) -> Self {
        Settings {
            ordering,
            batch,
            max_concurrency: config.max_concurrency.max(1),
            look_ahead: config.look_ahead_limit(),
            commit_every: config.commit_every,
            commit_interval: config.commit_interval,
            commit_offsets: config.commit_offsets,
            drain_timeout: config.drain_timeout,
            revoke_timeout: config.revoke_timeout,
            idle_timeout: config.idle_timeout,
        }
    }

    fn max_records(&self) -> usize {
        self.batch.map_or(1, |b| b.max_records.max(1))
    }

    fn max_wait(&self) -> Duration {
        self.batch.map_or(Duration::ZERO, |b| b.max_wait)
    }
}

/// What a job's completion is matched back to.
#[derive(Debug)]
pub(crate) struct Ticket {
    key: LaneKey,
    /// The partition's index in the engine.
    part: usize,
    /// The partition's assignment epoch when the job started.
    epoch: u64,
    offsets: Vec<i64>,
}

/// Whether a run in flight is to stop after its current record: its partition's revoke is
/// held, or the consumer is stopping. The records it did not start are then unfinished, as
/// the records waiting in the lanes are.
#[derive(Debug, Clone)]
pub(crate) struct JobStop {
    partition: Arc<AtomicBool>,
    engine: Arc<AtomicBool>,
}

impl JobStop {
    /// Whether the job is to start no further record.
    pub(crate) fn is_set(&self) -> bool {
        self.partition.load(Ordering::Relaxed) || self.engine.load(Ordering::Relaxed)
    }
}

/// Records to hand to the handler: one call (a record, a batch) or a run of calls.
#[derive(Debug)]
pub(crate) struct Job<R> {
    pub(crate) ticket: Ticket,
    pub(crate) records: Vec<R>,
    /// The records' topic, shared (one per partition, not a copy per record).
    pub(crate) topic: Arc<str>,
    pub(crate) stop: JobStop,
}

/// What the driver is to do.
#[derive(Debug)]
pub(crate) enum Action<R> {
    /// Run the handler on these records; report the outcome with [`Engine::done`].
    Start(Job<R>),
    /// Store the partition's position: the next offset to read.
    Store(TopicPartition, i64),
    /// Commit the stored offsets (without waiting); a failure that stops the consumer goes to
    /// [`Engine::commit_failed`].
    Commit,
    /// Pause the partition (its look-ahead is full); a failure goes to
    /// [`Engine::pause_failed`].
    Pause(TopicPartition),
    /// Resume the partition.
    Resume(TopicPartition),
    /// Cut the environment retries of the jobs in flight short: the consumer is stopping.
    CutRetries,
    /// Commit and give up the partitions of the revoke held for records in flight.
    LetRevokedGo,
}

/// What the driver waits for, besides the jobs in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waits {
    /// The shutdown future (until it completed once).
    pub(crate) shutdown: bool,
    /// More records from the source.
    pub(crate) receive: bool,
    /// [`Engine::commit_due`] after this long without another event.
    pub(crate) commit_after: Option<Duration>,
    /// [`Engine::idle`] at this time.
    pub(crate) idle_at: Option<Instant>,
    /// Look again after this long (a batch filling).
    pub(crate) tick_after: Option<Duration>,
    /// [`Engine::drain_timed_out`] at this time.
    pub(crate) drain_at: Option<Instant>,
    /// Look again at the held revoke at this time (its bound).
    pub(crate) revoke_at: Option<Instant>,
}

/// A received record waiting in its lane.
struct Waiting<R> {
    record: R,
    at: Instant,
    part: usize,
    /// Came right after the lane's previous record in the same poll: may go in its run.
    joins: bool,
}

/// What the engine keeps of one partition it has read.
struct Part {
    tp: TopicPartition,
    topic: Arc<str>,
    offsets: PartitionOffsets,
    /// Records waiting (not started).
    waiting: usize,
    paused: bool,
    /// Bumped on revoke, so that a job of an earlier assignment finishing late stores nothing.
    epoch: u64,
    /// Jobs in flight.
    running: usize,
    /// Set while the partition's revoke is held: its runs in flight stop early.
    stop: Arc<AtomicBool>,
}

/// The consumer loop's state. `R` is the record type of the source.
pub(crate) struct Engine<R> {
    s: Settings,
    lanes: Lanes<Waiting<R>>,
    parts: Vec<Part>,
    /// Topic → partition → index in `parts`.
    index: HashMap<Arc<str>, HashMap<i32, usize>>,
    /// Partitions paused now.
    paused: usize,
    in_flight: usize,
    /// Why the loop stops, once it does.
    stopping: Option<Result<()>>,
    /// Set once the loop stops: runs in flight stop after their current record.
    stop_flag: Arc<AtomicBool>,
    shutdown_asked: bool,
    drain_timed_out: bool,
    drain_deadline: Instant,
    since_commit: usize,
    last_commit: Instant,
    last_record: Instant,
    /// The bound of a revoke held for records in flight.
    revoke_deadline: Option<Instant>,
    /// Reused by [`records`](Self::records) for one lane's records of a poll.
    group: Vec<Waiting<R>>,
    /// Most records of a run now: what the handler does in [`RUN_TIME`].
    run_cap: usize,
}

impl<R: SourceRecord> Engine<R> {
    pub(crate) fn new(s: Settings, now: Instant) -> Self {
        Engine {
            s,
            lanes: Lanes::new(),
            parts: Vec::new(),
            index: HashMap::new(),
            paused: 0,
            in_flight: 0,
            stopping: None,
            stop_flag: Arc::new(AtomicBool::new(false)),
            shutdown_asked: false,
            drain_timed_out: false,
            drain_deadline: now,
            since_commit: 0,
            last_commit: now,
            last_record: now,
            revoke_deadline: None,
            group: Vec::new(),
            run_cap: MAX_RUN,
        }
    }

    /// Records received and not started.
    pub(crate) fn waiting(&self) -> usize {
        self.lanes.waiting()
    }

    /// Whether offsets are stored and committed at all.
    pub(crate) fn commits_offsets(&self) -> bool {
        self.s.commit_offsets
    }

    /// Whether the loop is over: stopping with nothing in flight, or the drain timed out.
    pub(crate) fn is_finished(&self) -> bool {
        self.drain_timed_out || (self.stopping.is_some() && self.in_flight == 0)
    }

    /// Whether a revoke arriving now must wait for records in flight.
    pub(crate) fn defers_revokes(&self) -> bool {
        self.in_flight > 0
    }

    /// Why the loop stopped: `Ok` for a shutdown, idle or drained stop, else the first error.
    pub(crate) fn finish(self) -> Result<()> {
        self.stopping.unwrap_or(Ok(()))
    }

    fn stop(&mut self, why: Result<()>, now: Instant) {
        self.stopping = Some(why);
        self.stop_flag.store(true, Ordering::Relaxed);
        self.drain_deadline = now + self.s.drain_timeout;
    }

    /// The index of a known partition.
    fn find(&self, topic: &str, partition: i32) -> Option<usize> {
        self.index.get(topic)?.get(&partition).copied()
    }

    /// The index of a partition, known from now on if it was not.
    fn part_of(&mut self, topic: &str, partition: i32) -> usize {
        if let Some(i) = self.find(topic, partition) {
            return i;
        }
        let i = self.parts.len();
        let shared: Arc<str> = match self.index.get_key_value(topic) {
            Some((t, _)) => t.clone(),
            None => Arc::from(topic),
        };
        self.parts.push(Part {
            tp: (topic.to_string(), partition),
            topic: shared.clone(),
            offsets: PartitionOffsets::default(),
            waiting: 0,
            paused: false,
            epoch: 0,
            running: 0,
            stop: Arc::new(AtomicBool::new(false)),
        });
        self.index.entry(shared).or_default().insert(partition, i);
        i
    }

    /// How much the next poll may take: no more than the look-ahead room of any partition
    /// that is not paused (so a poll never fills a partition past its look-ahead: the
    /// record that fills it pauses it, as when records came one at a time), and serially
    /// only what one run takes (so nothing waits while a record is in flight).
    pub(crate) fn poll_limit(&self) -> PollLimit {
        let serial = self.s.max_concurrency == 1 && self.s.batch.is_none();
        let room = self
            .parts
            .iter()
            .filter(|p| !p.paused)
            .map(|p| self.s.look_ahead.saturating_sub(p.waiting))
            .min()
            .unwrap_or(self.s.look_ahead);
        PollLimit {
            max: room
                .min(if serial { self.run_cap } else { MAX_POLL })
                .max(1),
            one_lane: serial.then_some(self.s.ordering),
        }
    }

    /// What to wait for next.
    pub(crate) fn waits(&self) -> Waits {
        let stopping = self.stopping.is_some();
        let quiet = self.in_flight == 0 && self.lanes.waiting() == 0;
        Waits {
            shutdown: !self.shutdown_asked,
            // Serially (and whenever every slot is taken) receive nothing more: the records a
            // busy member has not started stay in librdkafka's bounded fetch queue. Batches
            // keep filling while every slot is taken, but only until one of them is full: it
            // is the next to go, and records read past it would only wait here (holding
            // librdkafka's fetch buffers outside its prefetch bound, and filling the
            // look-ahead up to a pause, which drops the partition's prefetched records).
            receive: !stopping
                && self.revoke_deadline.is_none()
                && (self.in_flight < self.s.max_concurrency || self.batch_filling()),
            commit_after: (self.since_commit > 0).then_some(self.s.commit_interval),
            idle_at: self
                .s
                .idle_timeout
                .filter(|_| quiet && !stopping)
                .map(|t| self.last_record + t),
            tick_after: (self.s.batch.is_some() && self.lanes.waiting() > 0 && !stopping)
                .then(|| self.s.max_wait().max(Duration::from_millis(1)) / 4),
            drain_at: stopping.then_some(self.drain_deadline),
            revoke_at: self.revoke_deadline,
        }
    }

    /// Batches only: whether no partition has a full batch waiting yet.
    fn batch_filling(&self) -> bool {
        let full = self.s.max_records();
        self.s.batch.is_some() && self.parts.iter().all(|p| p.waiting < full)
    }

    /// A revoke is held for records in flight (`held`: its partitions). When first seen,
    /// the partitions' waiting records are dropped (not started: the next owner reads them),
    /// their runs in flight told to stop after their current record, and its bound starts;
    /// once none of their records is in flight, or the bound passed, the partitions are let
    /// go.
    pub(crate) fn revoke_held(
        &mut self,
        held: &[TopicPartition],
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) {
        let until = match self.revoke_deadline {
            Some(until) => until,
            None => {
                for tp in held {
                    self.lanes.drop_partition(&tp.0, tp.1);
                    if let Some(i) = self.find(&tp.0, tp.1) {
                        let p = &mut self.parts[i];
                        p.waiting = 0;
                        p.stop.store(true, Ordering::Relaxed);
                    }
                }
                *self.revoke_deadline.insert(now + self.s.revoke_timeout)
            }
        };
        let busy: usize = held
            .iter()
            .filter_map(|tp| self.find(&tp.0, tp.1))
            .map(|i| self.parts[i].running)
            .sum();
        if busy > 0 && now < until {
            return;
        }
        if busy > 0 {
            tracing::warn!(
                in_flight = busy,
                "records of revoked partitions still in flight after revoke_timeout: not committed; their next owner reads them again"
            );
        }
        self.revoke_deadline = None;
        out.push(Action::LetRevokedGo);
    }

    /// Partitions were revoked (given up): forget their waiting records, offsets and pauses;
    /// their jobs still in flight will store nothing.
    pub(crate) fn revoked(&mut self, partitions: Vec<TopicPartition>) {
        for tp in partitions {
            let dropped = self.lanes.drop_partition(&tp.0, tp.1);
            tracing::debug!(topic = %tp.0, partition = tp.1, dropped, "partition revoked");
            let Some(i) = self.find(&tp.0, tp.1) else {
                continue;
            };
            let p = &mut self.parts[i];
            p.offsets = PartitionOffsets::default();
            p.waiting = 0;
            if std::mem::take(&mut p.paused) {
                self.paused -= 1;
            }
            p.epoch += 1;
            // The old flag stays with the old jobs; the next assignment starts unstopped.
            p.stop = Arc::new(AtomicBool::new(false));
        }
    }

    /// Start the jobs that may start (up to `max_concurrency` in flight) and resume the
    /// partitions whose look-ahead has room again. While stopping, drop what waits instead.
    pub(crate) fn schedule(&mut self, now: Instant, out: &mut Vec<Action<R>>) {
        if self.stopping.is_some() {
            if self.lanes.waiting() > 0 {
                // Not started: unfinished, so never committed past; read again after restart.
                self.lanes.clear();
                for p in &mut self.parts {
                    p.waiting = 0;
                }
            }
            return;
        }
        let (batch, max_records, max_wait) = (
            self.s.batch.is_some(),
            self.s.max_records(),
            self.s.max_wait(),
        );
        let run_cap = self.run_cap;
        while self.in_flight < self.s.max_concurrency {
            // A batch still filling waits, unless full or its first record waited long.
            let hold = |q: &std::collections::VecDeque<Waiting<R>>| {
                batch
                    && q.len() < max_records
                    && q.front()
                        .is_some_and(|w| now.duration_since(w.at) < max_wait)
            };
            // A batch: up to `max_records`. Otherwise a run: the first record and those that
            // joined it in its poll.
            let count = |q: &std::collections::VecDeque<Waiting<R>>| {
                if batch {
                    q.len().min(max_records)
                } else {
                    1 + q
                        .iter()
                        .skip(1)
                        .take(run_cap.saturating_sub(1))
                        .take_while(|w| w.joins)
                        .count()
                }
            };
            let Some((key, items)) = self.lanes.take_with(hold, count) else {
                break;
            };
            let i = items[0].part;
            let p = &mut self.parts[i];
            p.waiting = p.waiting.saturating_sub(items.len());
            let offsets: Vec<i64> = items.iter().map(|w| w.record.offset()).collect();
            let records: Vec<R> = items.into_iter().map(|w| w.record).collect();
            p.running += 1;
            self.in_flight += 1;
            out.push(Action::Start(Job {
                ticket: Ticket {
                    key,
                    part: i,
                    epoch: p.epoch,
                    offsets,
                },
                records,
                topic: p.topic.clone(),
                stop: JobStop {
                    partition: p.stop.clone(),
                    engine: self.stop_flag.clone(),
                },
            }));
        }
        if self.paused > 0 {
            let half = self.s.look_ahead / 2;
            for p in &mut self.parts {
                if p.paused && p.waiting <= half {
                    p.paused = false;
                    self.paused -= 1;
                    out.push(Action::Resume(p.tp.clone()));
                }
            }
        }
    }

    /// A record arrived: it waits in its lane; its partition is paused if that fills the
    /// partition's look-ahead.
    #[cfg(test)]
    pub(crate) fn record(&mut self, record: R, now: Instant, out: &mut Vec<Action<R>>) {
        self.records(std::iter::once(record), now, out);
    }

    /// Records arrived together (one poll of the source), in order: each waits in its lane,
    /// and the records of one lane that came next to each other may go as one run. A
    /// partition is paused if they fill its look-ahead. The bookkeeping is per lane's group
    /// of records, not per record: one look-up of the partition and of the lane for each.
    pub(crate) fn records(
        &mut self,
        records: impl IntoIterator<Item = R>,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) {
        let mut group = std::mem::take(&mut self.group);
        // The lane and partition of the group being gathered.
        let mut lane: Option<(LaneKey, usize)> = None;
        for record in records {
            // The lane's previous record is the group's last (the group is pushed when the
            // lane changes): the topic is compared with it, record to record.
            let same = lane.is_some()
                && group.last().is_some_and(|w: &Waiting<R>| {
                    w.record.partition() == record.partition()
                        && lane.as_ref().is_some_and(|(k, _)| {
                            k.holds(record.partition(), record.offset(), record.key())
                        })
                        && w.record.same_topic(&record)
                });
            if !same {
                if let Some((k, _)) = lane.take() {
                    self.push_group(k, &mut group, out);
                }
                let i = self.part_of(record.topic(), record.partition());
                let key = LaneKey::of(
                    self.s.ordering,
                    &self.parts[i].topic,
                    record.partition(),
                    record.offset(),
                    record.key(),
                );
                lane = Some((key, i));
            }
            let part = lane.as_ref().map_or(0, |(_, i)| *i);
            self.parts[part].offsets.received(record.offset());
            self.last_record = now;
            group.push(Waiting {
                record,
                at: now,
                part,
                joins: same,
            });
        }
        if let Some((k, _)) = lane {
            self.push_group(k, &mut group, out);
        }
        self.group = group;
    }

    /// One lane's records of a poll into their lane (and the partition paused if full).
    fn push_group(&mut self, key: LaneKey, group: &mut Vec<Waiting<R>>, out: &mut Vec<Action<R>>) {
        let Some(i) = group.first().map(|w| w.part) else {
            return;
        };
        let n = group.len();
        self.lanes.push_all(key, group.drain(..));
        let p = &mut self.parts[i];
        p.waiting += n;
        if p.waiting >= self.s.look_ahead && !p.paused {
            p.paused = true;
            self.paused += 1;
            out.push(Action::Pause(p.tp.clone()));
        }
    }

    /// Pausing a partition failed: it is not paused.
    pub(crate) fn pause_failed(&mut self, tp: &TopicPartition) {
        if let Some(i) = self.find(&tp.0, tp.1) {
            if std::mem::take(&mut self.parts[i].paused) {
                self.paused -= 1;
            }
        }
    }

    /// A job of `records` records (those it handled) took `took`: the next runs are cut to
    /// what the handler does in [`RUN_TIME`] at that pace (1 to [`MAX_RUN`] records).
    pub(crate) fn job_took(&mut self, records: usize, took: Duration) {
        if records == 0 || self.s.batch.is_some() {
            return;
        }
        let per_record = (took.as_nanos() / records as u128).max(1);
        let fits = RUN_TIME.as_nanos() / per_record;
        self.run_cap = usize::try_from(fits).unwrap_or(MAX_RUN).clamp(1, MAX_RUN);
    }

    /// A job finished, all or nothing. `Ok`: its records are finished, and the partition's
    /// position moves over them if every earlier record is finished too. `Err`: the consumer
    /// stops (the first error is the run's); its records stay unfinished, so never committed
    /// past.
    #[cfg(test)]
    pub(crate) fn done(
        &mut self,
        ticket: Ticket,
        outcome: Result<()>,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) {
        let finished = if outcome.is_ok() {
            ticket.offsets.len()
        } else {
            0
        };
        self.done_prefix(ticket, finished, outcome, now, out);
    }

    /// A job finished its first `finished` records (a run that failed or was stopped part
    /// way; all of them for a job that went through). Those are finished — the partition's
    /// position stored once for them, over them as far as every earlier record is finished
    /// too — and the others stay unfinished, so never committed past. `Err`: the consumer
    /// stops (the first error is the run's).
    pub(crate) fn done_prefix(
        &mut self,
        ticket: Ticket,
        finished: usize,
        outcome: Result<()>,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) {
        let Ticket {
            key,
            part,
            epoch,
            offsets,
        } = ticket;
        self.lanes.done(&key);
        let p = &mut self.parts[part];
        p.running = p.running.saturating_sub(1);
        self.in_flight = self.in_flight.saturating_sub(1);
        self.last_record = now;
        let finished = finished.min(offsets.len());
        if finished > 0 && p.epoch == epoch && self.s.commit_offsets {
            let moved = p.offsets.finish(offsets[..finished].iter().copied());
            self.since_commit += finished;
            if let Some(next) = moved {
                out.push(Action::Store(p.tp.clone(), next));
            }
        }
        match outcome {
            Ok(()) => {}
            // Cut short by the shutdown: unfinished, read again after the restart.
            Err(Error::Environment { .. }) if self.shutdown_asked => return,
            Err(e) => {
                if !matches!(self.stopping, Some(Err(_))) {
                    // The first error stops the consumer: nothing more starts, the failed
                    // record is never committed past, and the other records' environment
                    // retries are cut short.
                    self.stop(Err(e), now);
                    out.push(Action::CutRetries);
                } else {
                    tracing::warn!(error = %e, "another record failed while stopping");
                }
                return;
            }
        }
        if self.since_commit > 0
            && (self.since_commit >= self.s.commit_every
                || now.duration_since(self.last_commit) >= self.s.commit_interval)
        {
            self.commit_due(now, out);
        }
    }

    /// Time to commit what is stored.
    pub(crate) fn commit_due(&mut self, now: Instant, out: &mut Vec<Action<R>>) {
        out.push(Action::Commit);
        self.since_commit = 0;
        self.last_commit = now;
    }

    /// A commit failed with an error that stops the consumer (not a retriable one).
    pub(crate) fn commit_failed(&mut self, e: Error, now: Instant) {
        if self.stopping.is_none() {
            self.stop(Err(e), now);
        }
    }

    /// The source failed; a fatal error stops the consumer.
    pub(crate) fn poll_failed(&mut self, e: Error, now: Instant) {
        if e.is_fatal() {
            self.stop(Err(e), now);
        }
    }

    /// Shutdown was asked for: finish the jobs in flight (environment retries cut short),
    /// start nothing more.
    pub(crate) fn shutdown(&mut self, now: Instant, out: &mut Vec<Action<R>>) {
        self.shutdown_asked = true;
        out.push(Action::CutRetries);
        if self.stopping.is_none() {
            self.stop(Ok(()), now);
        }
    }

    /// No record arrived for `idle_timeout`: stop as on shutdown.
    pub(crate) fn idle(&mut self, now: Instant) {
        if self.stopping.is_none() {
            self.stop(Ok(()), now);
        }
    }

    /// The jobs in flight did not finish within `drain_timeout`: they are left unfinished.
    pub(crate) fn drain_timed_out(&mut self) {
        tracing::warn!(
            in_flight = self.in_flight,
            "records still in flight after the drain timeout: not committed"
        );
        self.drain_timed_out = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Rec {
        partition: i32,
        offset: i64,
        key: Option<Vec<u8>>,
    }

    impl SourceRecord for Rec {
        fn topic(&self) -> &str {
            "t"
        }
        fn partition(&self) -> i32 {
            self.partition
        }
        fn offset(&self) -> i64 {
            self.offset
        }
        fn key(&self) -> Option<&[u8]> {
            self.key.as_deref()
        }
    }

    fn rec(partition: i32, offset: i64) -> Rec {
        Rec {
            partition,
            offset,
            key: None,
        }
    }

    fn keyed(offset: i64, key: &str) -> Rec {
        Rec {
            partition: 0,
            offset,
            key: Some(key.as_bytes().to_vec()),
        }
    }

    fn tp(p: i32) -> TopicPartition {
        ("t".to_string(), p)
    }

    fn settings(ordering: ProcessingOrder, max_concurrency: usize) -> Settings {
        let config = ConsumerConfig::new("b", "g", &["t"]).concurrency(ordering, max_concurrency);
        let mut s = Settings::new(&config, ordering, None);
        s.commit_every = 1_000_000;
        s.commit_interval = Duration::from_secs(3600);
        s
    }

    /// An engine with its clock, and the actions of the last steps.
    struct Harness {
        e: Engine<Rec>,
        now: Instant,
        started: Vec<Job<Rec>>,
        stored: Vec<(TopicPartition, i64)>,
        other: Vec<Action<Rec>>,
    }

    impl Harness {
        fn new(s: Settings) -> Self {
            let now = Instant::now();
            Harness {
                e: Engine::new(s, now),
                now,
                started: Vec::new(),
                stored: Vec::new(),
                other: Vec::new(),
            }
        }

        fn sort(&mut self, out: Vec<Action<Rec>>) {
            for a in out {
                match a {
                    Action::Start(j) => self.started.push(j),
                    Action::Store(tp, next) => self.stored.push((tp, next)),
                    a => self.other.push(a),
                }
            }
        }

        fn receive(&mut self, records: impl IntoIterator<Item = Rec>) {
            let mut out = Vec::new();
            for r in records {
                self.e.record(r, self.now, &mut out);
            }
            self.sort(out);
        }

        fn schedule(&mut self) {
            let mut out = Vec::new();
            self.e.schedule(self.now, &mut out);
            self.sort(out);
        }

        /// The offsets of the jobs started so far (each job's records).
        fn started_offsets(&self) -> Vec<Vec<i64>> {
            self.started
                .iter()
                .map(|j| j.records.iter().map(|r| r.offset).collect())
                .collect()
        }

        /// Finish the started job whose first record is `offset` (of partition `p`).
        fn finish(&mut self, p: i32, offset: i64, outcome: Result<()>) {
            let i = self
                .started
                .iter()
                .position(|j| j.records[0].partition == p && j.records[0].offset == offset)
                .expect("no such job in flight");
            let job = self.started.remove(i);
            let mut out = Vec::new();
            self.e.done(job.ticket, outcome, self.now, &mut out);
            self.sort(out);
        }

        fn last_stored(&self, p: i32) -> Option<i64> {
            self.stored
                .iter()
                .rev()
                .find(|(t, _)| *t == tp(p))
                .map(|(_, n)| *n)
        }

        fn take_other(&mut self) -> Vec<Action<Rec>> {
            std::mem::take(&mut self.other)
        }
    }

    fn handler_failed(offset: i64) -> Error {
        Error::Handler {
            topic: "t".into(),
            partition: 0,
            offset,
            verdict: crate::consumer::Verdict::Stop,
            source: std::sync::Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(
                "closed",
            )),
        }
    }

    fn environment(offset: i64) -> Error {
        Error::Environment {
            topic: "t".into(),
            partition: 0,
            offset,
            waited: Duration::ZERO,
            source: Box::new(Error::Registry(crate::registry::RegistryError::Transport {
                method: "GET".into(),
                url: "http://r".into(),
                reason: "refused".into(),
            })),
        }
    }

    #[test]
    fn serial_by_default_one_record_at_a_time_in_arrival_order() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        h.receive([rec(0, 0), rec(1, 0), rec(0, 1)]);
        h.schedule();
        assert_eq!(h.started_offsets(), [[0]]);
        // One slot: nothing more starts, and the driver receives nothing more meanwhile.
        h.schedule();
        assert_eq!(h.started.len(), 1);
        assert!(!h.e.waits().receive);
        h.finish(0, 0, Ok(()));
        h.schedule();
        assert_eq!(h.started[0].records[0], rec(1, 0));
        h.finish(1, 0, Ok(()));
        h.schedule();
        assert_eq!(h.started[0].records[0], rec(0, 1));
        h.finish(0, 1, Ok(()));
        assert_eq!(h.last_stored(0), Some(2));
        assert_eq!(h.last_stored(1), Some(1));
    }

    #[test]
    fn partition_order_keeps_a_partition_in_order_while_partitions_run_at_once() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 8));
        h.receive([rec(0, 0), rec(0, 1), rec(1, 0), rec(1, 1)]);
        h.schedule();
        // One job per partition, the first of each.
        let mut first: Vec<(i32, i64)> = h
            .started
            .iter()
            .map(|j| (j.records[0].partition, j.records[0].offset))
            .collect();
        first.sort();
        assert_eq!(first, [(0, 0), (1, 0)]);
        h.finish(0, 0, Ok(()));
        h.schedule();
        assert!(h.started.iter().any(|j| j.records[0] == rec(0, 1)));
    }

    #[test]
    fn key_order_keeps_a_key_in_order_while_keys_run_at_once() {
        let mut h = Harness::new(settings(ProcessingOrder::Key, 8));
        h.receive([keyed(0, "a"), keyed(1, "b"), keyed(2, "a"), keyed(3, "b")]);
        h.schedule();
        let mut started: Vec<i64> = h.started_offsets().concat();
        started.sort();
        assert_eq!(started, [0, 1]);
        h.finish(0, 1, Ok(()));
        h.schedule();
        let mut started: Vec<i64> = h.started_offsets().concat();
        started.sort();
        assert_eq!(started, [0, 3], "b's next starts, a's waits for offset 0");
        // Offset 1 is finished but 0 is not: nothing is stored yet.
        assert_eq!(h.last_stored(0), None);
    }

    #[test]
    fn out_of_order_completion_stores_only_the_contiguous_finished_prefix() {
        let mut h = Harness::new(settings(ProcessingOrder::Unordered, 4));
        h.receive((0..4).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started.len(), 4);
        h.finish(0, 3, Ok(()));
        h.finish(0, 1, Ok(()));
        h.finish(0, 2, Ok(()));
        assert_eq!(h.last_stored(0), None, "offset 0 is unfinished");
        h.finish(0, 0, Ok(()));
        assert_eq!(h.stored, [(tp(0), 4)]);
    }

    #[test]
    fn a_commit_never_passes_a_failed_record() {
        let mut h = Harness::new(settings(ProcessingOrder::Unordered, 4));
        h.receive((0..4).map(|o| rec(0, o)));
        h.schedule();
        h.finish(0, 0, Ok(()));
        h.finish(0, 1, Err(handler_failed(1)));
        assert!(h
            .take_other()
            .iter()
            .any(|a| matches!(a, Action::CutRetries)));
        // The others finish while stopping: none of them moves the position past 1.
        h.finish(0, 3, Ok(()));
        h.finish(0, 2, Ok(()));
        assert_eq!(h.stored, [(tp(0), 1)]);
        assert!(h.e.is_finished());
        assert!(matches!(
            h.e.finish(),
            Err(Error::Handler { offset: 1, .. })
        ));
    }

    #[test]
    fn an_environment_fault_holds_the_position_and_stops() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        h.receive([rec(0, 0), rec(0, 1), rec(0, 2)]);
        h.schedule();
        h.finish(0, 0, Ok(()));
        h.schedule();
        h.finish(0, 1, Err(environment(1)));
        h.schedule();
        // Nothing more starts; the waiting record 2 is dropped; the position stays at 1.
        assert!(h.started.is_empty());
        assert_eq!(h.e.waiting(), 0);
        assert_eq!(h.stored, [(tp(0), 1)]);
        assert!(h.e.is_finished());
        assert!(matches!(
            h.e.finish(),
            Err(Error::Environment { offset: 1, .. })
        ));
    }

    #[test]
    fn an_environment_fault_cut_short_by_shutdown_is_no_error_but_still_holds_the_position() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        h.receive([rec(0, 0)]);
        h.schedule();
        let mut out = Vec::new();
        h.e.shutdown(h.now, &mut out);
        assert!(matches!(out[..], [Action::CutRetries]));
        h.finish(0, 0, Err(environment(0)));
        assert!(h.stored.is_empty());
        assert!(h.e.is_finished());
        assert!(h.e.finish().is_ok());
    }

    #[test]
    fn a_full_look_ahead_pauses_the_partition_and_half_resumes_it() {
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.look_ahead = 4;
        let mut h = Harness::new(s);
        h.receive((0..3).map(|o| rec(0, o)));
        assert!(h.other.is_empty());
        h.receive([rec(0, 3)]);
        assert!(matches!(&h.take_other()[..], [Action::Pause(p)] if *p == tp(0)));
        // Paused once, not again for the next record.
        h.receive([rec(0, 4)]);
        assert!(h.take_other().is_empty());
        // Five wait; each start takes one: resumed once two (half of 4) wait.
        let mut resumed_at = None;
        for o in 0..5 {
            h.schedule();
            if h.take_other()
                .iter()
                .any(|a| matches!(a, Action::Resume(p) if *p == tp(0)))
            {
                resumed_at.get_or_insert(h.e.waiting());
            }
            h.finish(0, o, Ok(()));
        }
        assert_eq!(resumed_at, Some(2));
    }

    #[test]
    fn a_failed_pause_is_tried_again() {
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.look_ahead = 2;
        let mut h = Harness::new(s);
        h.receive([rec(0, 0), rec(0, 1)]);
        assert_eq!(h.take_other().len(), 1);
        h.e.pause_failed(&tp(0));
        h.receive([rec(0, 2)]);
        assert!(matches!(&h.take_other()[..], [Action::Pause(_)]));
    }

    #[test]
    fn a_revoke_with_work_in_flight_waits_for_it_then_lets_go() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 4));
        h.receive([rec(0, 0), rec(0, 1), rec(1, 0)]);
        h.schedule();
        assert_eq!(h.started.len(), 2);
        assert!(h.e.defers_revokes());
        // Partition 0 is revoked while its record 0 is in flight.
        let mut out = Vec::new();
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(out.is_empty(), "held while its record is in flight");
        assert_eq!(h.e.waiting(), 0, "its waiting record 1 is dropped at once");
        assert!(
            !h.e.waits().receive,
            "nothing is received while a revoke is held"
        );
        assert!(h.e.waits().revoke_at.is_some());
        h.finish(0, 0, Ok(()));
        assert_eq!(h.last_stored(0), Some(1), "its finished record is stored");
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(matches!(out[..], [Action::LetRevokedGo]));
        h.e.revoked(vec![tp(0)]);
        assert!(h.e.waits().receive);
        // Partition 1 was not revoked: it goes on.
        h.finish(1, 0, Ok(()));
        assert_eq!(h.last_stored(1), Some(1));
    }

    #[test]
    fn a_revoke_lets_go_at_its_bound_and_a_late_finish_stores_nothing() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 4));
        h.receive([rec(0, 0)]);
        h.schedule();
        let mut out = Vec::new();
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(out.is_empty());
        h.now += h.e.s.revoke_timeout;
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(matches!(out[..], [Action::LetRevokedGo]));
        h.e.revoked(vec![tp(0)]);
        // Assigned again and read again from 0 by this member meanwhile? The old job's
        // finish belongs to the earlier assignment: it stores nothing.
        h.finish(0, 0, Ok(()));
        assert!(h.stored.is_empty());
    }

    #[test]
    fn shutdown_drains_the_jobs_in_flight_and_starts_nothing_more() {
        let mut h = Harness::new(settings(ProcessingOrder::Unordered, 2));
        h.receive((0..4).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started.len(), 2);
        let mut out = Vec::new();
        h.e.shutdown(h.now, &mut out);
        assert!(!h.e.waits().shutdown && !h.e.waits().receive);
        assert!(h.e.waits().drain_at.is_some());
        h.schedule();
        assert_eq!(h.started.len(), 2, "nothing more starts");
        assert_eq!(h.e.waiting(), 0, "the waiting records are dropped");
        assert!(!h.e.is_finished());
        h.finish(0, 1, Ok(()));
        assert!(!h.e.is_finished());
        h.finish(0, 0, Ok(()));
        assert!(h.e.is_finished());
        assert_eq!(h.last_stored(0), Some(2));
        assert!(h.e.finish().is_ok());
    }

    #[test]
    fn the_drain_timeout_leaves_the_jobs_in_flight_unfinished() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        h.receive([rec(0, 0)]);
        h.schedule();
        let mut out = Vec::new();
        h.e.shutdown(h.now, &mut out);
        assert!(!h.e.is_finished());
        h.e.drain_timed_out();
        assert!(h.e.is_finished());
        assert!(h.stored.is_empty());
    }

    #[test]
    fn commits_every_n_finished_records_and_when_due() {
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.commit_every = 2;
        let mut h = Harness::new(s);
        h.receive((0..3).map(|o| rec(0, o)));
        for o in 0..3 {
            h.schedule();
            h.finish(0, o, Ok(()));
        }
        let commits = h
            .take_other()
            .iter()
            .filter(|a| matches!(a, Action::Commit))
            .count();
        assert_eq!(commits, 1);
        // The third is stored, not committed yet: a commit is due after commit_interval.
        assert!(h.e.waits().commit_after.is_some());
        let mut out = Vec::new();
        h.e.commit_due(h.now, &mut out);
        assert!(matches!(out[..], [Action::Commit]));
        assert!(h.e.waits().commit_after.is_none());
    }

    #[test]
    fn without_commits_nothing_is_stored_or_committed() {
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.commit_offsets = false;
        s.commit_every = 1;
        let mut h = Harness::new(s);
        h.receive([rec(0, 0)]);
        h.schedule();
        h.finish(0, 0, Ok(()));
        assert!(h.stored.is_empty() && h.other.is_empty());
        assert!(h.e.waits().commit_after.is_none());
    }

    #[test]
    fn a_batch_waits_to_fill_until_max_wait() {
        let config = ConsumerConfig::new("b", "g", &["t"]);
        let batch = BatchConfig {
            max_records: 3,
            max_wait: Duration::from_millis(100),
        };
        let mut h = Harness::new(Settings::new(
            &config,
            ProcessingOrder::Partition,
            Some(batch),
        ));
        h.receive([rec(0, 0), rec(0, 1)]);
        h.schedule();
        assert!(h.started.is_empty(), "not full, not waited long");
        assert!(h.e.waits().tick_after.is_some());
        assert!(h.e.waits().receive, "a batch consumer keeps receiving");
        h.now += Duration::from_millis(100);
        h.schedule();
        assert_eq!(h.started_offsets(), [[0, 1]]);
        // A full batch goes at once.
        h.receive((2..6).map(|o| rec(0, o)));
        h.finish(0, 0, Ok(()));
        assert_eq!(h.last_stored(0), Some(2));
        h.schedule();
        assert_eq!(h.started_offsets(), [[2, 3, 4]]);
    }

    #[test]
    fn a_busy_batch_consumer_receives_only_until_a_full_batch_waits() {
        let config = ConsumerConfig::new("b", "g", &["t"]);
        let batch = BatchConfig {
            max_records: 3,
            max_wait: Duration::from_millis(100),
        };
        let mut h = Harness::new(Settings::new(
            &config,
            ProcessingOrder::Partition,
            Some(batch),
        ));
        h.receive((0..3).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started_offsets(), [[0, 1, 2]]);
        // The only slot is taken: the next batches still fill meanwhile.
        h.receive([rec(0, 3), rec(1, 0)]);
        h.schedule();
        assert!(h.e.waits().receive, "no batch is full yet");
        h.receive([rec(1, 1), rec(1, 2)]);
        h.schedule();
        assert!(
            !h.e.waits().receive,
            "partition 1's batch is full and waits for the slot: nothing more is read"
        );
        assert_eq!(h.e.waiting(), 4);
        h.finish(0, 0, Ok(()));
        h.schedule();
        assert_eq!(h.started.len(), 1);
        assert_eq!(
            h.started[0].records,
            [rec(1, 0), rec(1, 1), rec(1, 2)],
            "the full batch goes"
        );
        assert!(
            h.e.waits().receive,
            "partition 0's batch of one fills again"
        );
    }

    #[test]
    fn idle_only_when_quiet() {
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.idle_timeout = Some(Duration::from_secs(5));
        let mut h = Harness::new(s);
        assert_eq!(h.e.waits().idle_at, Some(h.now + Duration::from_secs(5)));
        h.receive([rec(0, 0)]);
        assert_eq!(h.e.waits().idle_at, None);
        h.schedule();
        h.finish(0, 0, Ok(()));
        h.e.idle(h.now);
        assert!(h.e.is_finished());
        assert!(h.e.finish().is_ok());
    }

    #[test]
    fn a_fatal_source_error_stops_a_transient_one_does_not() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        let transient = crate::error::kafka_error(
            "consuming",
            rdkafka::error::KafkaError::MessageConsumption(
                rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure,
            ),
        );
        h.e.poll_failed(transient, h.now);
        assert!(!h.e.is_finished());
        let fatal = crate::error::kafka_error(
            "consuming",
            rdkafka::error::KafkaError::MessageConsumption(rdkafka::types::RDKafkaErrorCode::Fatal),
        );
        h.e.poll_failed(fatal, h.now);
        assert!(h.e.is_finished());
        assert!(h.e.finish().is_err());
    }

    #[test]
    fn random_completion_orders_never_store_past_an_unfinished_record() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..100 {
            let n = rng.i64(1..40);
            let mut h = Harness::new(settings(ProcessingOrder::Unordered, 64));
            h.receive((0..n).map(|o| rec(0, o)));
            h.schedule();
            let mut order: Vec<i64> = (0..n).collect();
            rng.shuffle(&mut order);
            let mut done = vec![false; n as usize];
            for o in order {
                h.finish(0, o, Ok(()));
                done[o as usize] = true;
                let first_unfinished = done.iter().position(|d| !d).map_or(n, |i| i as i64);
                assert!(h.last_stored(0).unwrap_or(0) <= first_unfinished);
                assert_eq!(h.last_stored(0).unwrap_or(0), first_unfinished);
            }
        }
    }

    impl Harness {
        /// Records arriving in one poll of the source.
        fn poll(&mut self, records: impl IntoIterator<Item = Rec>) {
            let mut out = Vec::new();
            self.e.records(records, self.now, &mut out);
            self.sort(out);
        }

        /// Finish the started job whose first record is `offset` (of partition `p`), its
        /// first `n` records finished.
        fn finish_prefix(&mut self, p: i32, offset: i64, n: usize, outcome: Result<()>) {
            let i = self
                .started
                .iter()
                .position(|j| j.records[0].partition == p && j.records[0].offset == offset)
                .expect("no such job in flight");
            let job = self.started.remove(i);
            let mut out = Vec::new();
            self.e
                .done_prefix(job.ticket, n, outcome, self.now, &mut out);
            self.sort(out);
        }
    }

    #[test]
    fn a_lanes_records_of_one_poll_go_as_one_run_and_store_one_position() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 4));
        h.poll([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (0, 3), (0, 4)].map(|(p, o)| rec(p, o)));
        h.schedule();
        // One run per lane's records that came next to each other; partition 0's second
        // group waits behind its first (one job per lane at a time).
        assert_eq!(h.started_offsets(), [vec![0, 1, 2], vec![0, 1]]);
        assert_eq!(h.e.waiting(), 2);
        h.finish(0, 0, Ok(()));
        assert_eq!(h.stored, [(tp(0), 3)], "one store for the run");
        h.schedule();
        assert_eq!(h.started_offsets(), [vec![0, 1], vec![3, 4]]);
        h.finish(0, 3, Ok(()));
        h.finish(1, 0, Ok(()));
        assert_eq!(h.last_stored(0), Some(5));
        assert_eq!(h.last_stored(1), Some(2));
        assert_eq!(h.stored.len(), 3);
    }

    #[test]
    fn a_run_that_fails_in_the_middle_stores_only_up_to_the_failed_record() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        h.poll((0..5).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started_offsets(), [[0, 1, 2, 3, 4]]);
        // Records 0 and 1 went through; record 2 stopped the consumer.
        h.finish_prefix(0, 0, 2, Err(handler_failed(2)));
        assert_eq!(h.stored, [(tp(0), 2)]);
        assert!(h
            .take_other()
            .iter()
            .any(|a| matches!(a, Action::CutRetries)));
        assert!(h.e.is_finished());
        assert!(matches!(
            h.e.finish(),
            Err(Error::Handler { offset: 2, .. })
        ));
    }

    #[test]
    fn a_run_finished_part_way_before_an_earlier_job_stores_nothing_past_it() {
        let mut h = Harness::new(settings(ProcessingOrder::Unordered, 4));
        // Unordered: every record its own lane, so each is a job of one.
        h.poll((0..3).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started_offsets(), [[0], [1], [2]]);
        h.finish(0, 2, Ok(()));
        h.finish(0, 1, Ok(()));
        assert!(h.stored.is_empty(), "offset 0 is unfinished");
        h.finish(0, 0, Ok(()));
        assert_eq!(h.stored, [(tp(0), 3)], "one store for the three");
    }

    #[test]
    fn a_held_revoke_stops_its_partitions_runs_after_the_current_record() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 4));
        h.poll([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)].map(|(p, o)| rec(p, o)));
        h.schedule();
        let stop = |h: &Harness, p: i32| {
            h.started
                .iter()
                .find(|j| j.records[0].partition == p)
                .map(|j| j.stop.is_set())
        };
        assert_eq!((stop(&h, 0), stop(&h, 1)), (Some(false), Some(false)));
        let mut out = Vec::new();
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(out.is_empty(), "held while its run is in flight");
        assert_eq!(
            (stop(&h, 0), stop(&h, 1)),
            (Some(true), Some(false)),
            "only the revoked partition's run stops"
        );
        // It stopped after its first record: that one is stored, the rest are not.
        h.finish_prefix(0, 0, 1, Ok(()));
        assert_eq!(h.stored, [(tp(0), 1)]);
        h.e.revoke_held(&[tp(0)], h.now, &mut out);
        assert!(matches!(out[..], [Action::LetRevokedGo]));
        h.e.revoked(vec![tp(0)]);
        // Assigned again: a new run of partition 0 is not stopped.
        h.poll([rec(0, 1)]);
        h.schedule();
        assert_eq!(stop(&h, 0), Some(false));
    }

    #[test]
    fn stopping_stops_every_run_in_flight() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 4));
        h.poll([(0, 0), (0, 1), (1, 0), (1, 1)].map(|(p, o)| rec(p, o)));
        h.schedule();
        assert!(h.started.iter().all(|j| !j.stop.is_set()));
        let mut out = Vec::new();
        h.e.shutdown(h.now, &mut out);
        assert!(h.started.iter().all(|j| j.stop.is_set()));
        h.finish_prefix(0, 0, 1, Ok(()));
        h.finish_prefix(1, 0, 2, Ok(()));
        assert!(h.e.is_finished());
        assert_eq!(h.last_stored(0), Some(1));
        assert_eq!(h.last_stored(1), Some(2));
    }

    #[test]
    fn key_order_runs_only_a_keys_records_that_came_together() {
        let mut h = Harness::new(settings(ProcessingOrder::Key, 8));
        h.poll([keyed(0, "a"), keyed(1, "a"), keyed(2, "b"), keyed(3, "a")]);
        h.schedule();
        assert_eq!(h.started_offsets(), [vec![0, 1], vec![2]]);
        assert_eq!(h.e.waiting(), 1, "a's third waits for a's run");
    }

    #[test]
    fn a_poll_takes_no_more_than_the_look_ahead_room_and_serially_one_lane() {
        let mut s = settings(ProcessingOrder::Partition, 4);
        s.look_ahead = 4;
        let mut h = Harness::new(s);
        assert_eq!(h.e.poll_limit().max, 4);
        assert_eq!(h.e.poll_limit().one_lane, None);
        h.poll((0..3).map(|o| rec(0, o)));
        assert_eq!(h.e.poll_limit().max, 1, "room for one more in partition 0");
        h.poll([rec(0, 3)]);
        assert!(matches!(&h.take_other()[..], [Action::Pause(p)] if *p == tp(0)));
        // A paused partition gives nothing more: the others' room counts.
        assert_eq!(h.e.poll_limit().max, 4);
        let serial = Harness::new(settings(ProcessingOrder::Partition, 1));
        assert_eq!(serial.e.poll_limit().max, MAX_RUN);
        assert_eq!(
            serial.e.poll_limit().one_lane,
            Some(ProcessingOrder::Partition)
        );
    }

    #[test]
    fn same_lane_follows_the_ordering() {
        let (a0, a1, b) = (keyed(0, "a"), keyed(1, "a"), keyed(2, "b"));
        assert!(same_lane(ProcessingOrder::Partition, &a0, &b));
        assert!(same_lane(ProcessingOrder::Key, &a0, &a1));
        assert!(!same_lane(ProcessingOrder::Key, &a0, &b));
        assert!(!same_lane(ProcessingOrder::Unordered, &a0, &a1));
        assert!(!same_lane(
            ProcessingOrder::Partition,
            &rec(0, 0),
            &rec(1, 0)
        ));
    }

    #[test]
    fn a_slow_handler_cuts_the_runs_to_about_run_time() {
        let mut h = Harness::new(settings(ProcessingOrder::Partition, 1));
        // 10 records in a second: 100 ms a record, over RUN_TIME: runs of one.
        h.e.job_took(10, Duration::from_secs(1));
        assert_eq!(h.e.poll_limit().max, 1);
        h.poll((0..3).map(|o| rec(0, o)));
        h.schedule();
        assert_eq!(h.started_offsets(), [[0]]);
        // Fast again: back to the longest runs.
        h.e.job_took(100, Duration::from_micros(100));
        assert_eq!(h.e.poll_limit().max, MAX_RUN);
        // 5 ms a record: 10 fit in 50 ms.
        h.e.job_took(2, Duration::from_millis(10));
        assert_eq!(h.e.poll_limit().max, 10);
    }
}
