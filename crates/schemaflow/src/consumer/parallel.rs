//! Scheduling for a consumer with several records in flight: the orderings, the lanes records
//! wait in, and the set of in-flight handler futures.
//!
//! A *lane* is the unit of ordering: records of one lane are handled one after another, in the
//! order received; records of different lanes run concurrently, up to
//! [`ConsumerConfig::max_concurrency`](crate::consumer::ConsumerConfig::max_concurrency). The
//! lane of a record is its partition ([`ProcessingOrder::Partition`]), its partition and key
//! ([`ProcessingOrder::Key`]) or the record itself ([`ProcessingOrder::Unordered`]).
//!
//! The handler futures run inside the consumer's own task (polled by `InFlight`), not on
//! spawned tasks: the handler keeps its `FnMut` signature with no `Send + 'static` bound, and a
//! handler is never moved off the task that owns the consumer.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Which records a consumer keeps in order while handling several at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessingOrder {
    /// Records of one partition are handled in order, one at a time; the partitions are
    /// handled concurrently. With `max_concurrency` 1 (the default) this is the serial
    /// consumer: one record at a time across all partitions. Default.
    #[default]
    Partition,
    /// Records with the same key (within a partition) are handled in order; different keys
    /// concurrently. Records without a key are kept in order per partition. Needs many
    /// distinct keys to be fast.
    Key,
    /// No order at all: any record may be handled at any time. Offsets are still committed
    /// only past finished records.
    Unordered,
}

/// How [`TypedConsumer::run_batch`](crate::consumer::TypedConsumer::run_batch) groups records.
///
/// ```
/// use std::time::Duration;
/// use schemaflow::consumer::BatchConfig;
///
/// let batch = BatchConfig::default()
///     .max_records(1_000)
///     .max_wait(Duration::from_millis(20));
/// assert_eq!(batch.max_records, 1_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchConfig {
    /// Most records in one batch. Default: 500.
    pub max_records: usize,
    /// How long the first record of a batch may wait for more before the batch is handed
    /// over anyway. Default: 100 ms.
    pub max_wait: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_records: 500,
            max_wait: Duration::from_millis(100),
        }
    }
}

impl BatchConfig {
    /// Most records in one batch.
    #[must_use]
    pub fn max_records(mut self, max_records: usize) -> Self {
        self.max_records = max_records;
        self
    }

    /// How long the first record of a batch may wait for more.
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

/// The lane a record waits in. The topic is the partition's shared name (a reference count,
/// not a copy per record).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum LaneKey {
    Partition(Arc<str>, i32),
    Key(Arc<str>, i32, Option<Vec<u8>>),
    Record(Arc<str>, i32, i64),
}

impl LaneKey {
    pub(crate) fn of(
        order: ProcessingOrder,
        topic: &Arc<str>,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
    ) -> LaneKey {
        match order {
            ProcessingOrder::Partition => LaneKey::Partition(topic.clone(), partition),
            ProcessingOrder::Key => LaneKey::Key(topic.clone(), partition, key.map(<[u8]>::to_vec)),
            ProcessingOrder::Unordered => LaneKey::Record(topic.clone(), partition, offset),
        }
    }

    /// Whether a record of `partition` with `key` and `offset` belongs in this lane (without
    /// building its key).
    pub(crate) fn holds(&self, partition: i32, offset: i64, key: Option<&[u8]>) -> bool {
        match self {
            LaneKey::Partition(_, p) => *p == partition,
            LaneKey::Key(_, p, k) => *p == partition && k.as_deref() == key,
            LaneKey::Record(_, p, o) => *p == partition && *o == offset,
        }
    }

    pub(crate) fn partition(&self) -> (&str, i32) {
        match self {
            LaneKey::Partition(t, p) | LaneKey::Key(t, p, _) | LaneKey::Record(t, p, _) => (t, *p),
        }
    }
}

/// Records waiting, by lane. A lane is *busy* while one of its records (or batches) is in
/// flight; the ready queue holds the lanes that are not busy and have records waiting, in the
/// order they became ready (so with one slot the consumer handles records in arrival order).
pub(crate) struct Lanes<T> {
    lanes: HashMap<LaneKey, Lane<T>>,
    ready: VecDeque<LaneKey>,
    waiting: usize,
}

struct Lane<T> {
    queue: VecDeque<T>,
    busy: bool,
}

impl<T> Lanes<T> {
    pub(crate) fn new() -> Self {
        Lanes {
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            waiting: 0,
        }
    }

    /// Records waiting (received, not started) in all lanes.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    #[cfg(test)]
    pub(crate) fn push(&mut self, key: LaneKey, item: T) {
        self.push_all(key, std::iter::once(item));
    }

    /// Push records of one lane at once: one look-up for all of them.
    pub(crate) fn push_all(&mut self, key: LaneKey, items: impl IntoIterator<Item = T>) {
        let lane = match self.lanes.get_mut(&key) {
            Some(lane) => lane,
            None => self.lanes.entry(key.clone()).or_insert_with(|| Lane {
                queue: VecDeque::new(),
                busy: false,
            }),
        };
        let was_empty = lane.queue.is_empty();
        let before = lane.queue.len();
        lane.queue.extend(items);
        let added = lane.queue.len() - before;
        if !lane.busy && was_empty && added > 0 {
            self.ready.push_back(key);
        }
        self.waiting += added;
    }

    /// The next ready lane's first `max` records (at least one); the lane becomes busy.
    /// `hold` may keep a ready lane back (a batch still filling): it stays ready.
    #[cfg(test)]
    pub(crate) fn take(
        &mut self,
        max: usize,
        hold: impl FnMut(&VecDeque<T>) -> bool,
    ) -> Option<(LaneKey, Vec<T>)> {
        self.take_with(hold, |q| q.len().min(max.max(1)))
    }

    /// The next ready lane's first `count(queue)` records (at least one, at most all); the
    /// lane becomes busy. `hold` as in [`take`](Self::take).
    pub(crate) fn take_with(
        &mut self,
        mut hold: impl FnMut(&VecDeque<T>) -> bool,
        mut count: impl FnMut(&VecDeque<T>) -> usize,
    ) -> Option<(LaneKey, Vec<T>)> {
        for _ in 0..self.ready.len() {
            let key = self.ready.pop_front()?;
            let Some(lane) = self.lanes.get_mut(&key) else {
                continue;
            };
            if lane.queue.is_empty() {
                continue;
            }
            if hold(&lane.queue) {
                self.ready.push_back(key);
                continue;
            }
            let n = count(&lane.queue).clamp(1, lane.queue.len());
            let items: Vec<T> = lane.queue.drain(..n).collect();
            lane.busy = true;
            self.waiting -= items.len();
            return Some((key, items));
        }
        None
    }

    /// The lane's records in flight finished: it is ready again if records wait in it.
    pub(crate) fn done(&mut self, key: &LaneKey) {
        let Some(lane) = self.lanes.get_mut(key) else {
            return;
        };
        lane.busy = false;
        if lane.queue.is_empty() {
            self.lanes.remove(key);
        } else {
            self.ready.push_back(key.clone());
        }
    }

    /// Drop every waiting record of a partition (revoked, or the consumer is stopping);
    /// returns how many.
    pub(crate) fn drop_partition(&mut self, topic: &str, partition: i32) -> usize {
        let mut dropped = 0;
        self.lanes.retain(|k, lane| {
            if k.partition() != (topic, partition) {
                return true;
            }
            dropped += lane.queue.len();
            lane.queue.clear();
            // A busy lane stays until its record finishes, so `done` finds it.
            lane.busy
        });
        self.waiting -= dropped;
        dropped
    }

    /// Drop every waiting record.
    pub(crate) fn clear(&mut self) {
        for lane in self.lanes.values_mut() {
            lane.queue.clear();
        }
        self.lanes.retain(|_, l| l.busy);
        self.ready.clear();
        self.waiting = 0;
    }
}

/// Handler futures in flight, polled from the consumer's task. Each future gets a waker of its
/// own, so a wake polls only the future woken, not all of them (hundreds may be in flight).
pub(crate) struct InFlight<F> {
    /// The futures, each with its own waker (made once per slot, not per poll).
    slots: Vec<(Option<Pin<Box<F>>>, Waker)>,
    free: Vec<usize>,
    woken: Arc<Woken>,
    len: usize,
}

#[derive(Default)]
struct Woken {
    ids: Mutex<Vec<usize>>,
    parent: Mutex<Option<Waker>>,
}

struct SlotWaker {
    id: usize,
    woken: Arc<Woken>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Ok(mut ids) = self.woken.ids.lock() {
            ids.push(self.id);
        }
        if let Some(w) = self.woken.parent.lock().ok().and_then(|w| w.clone()) {
            w.wake();
        }
    }
}

impl<F: Future> InFlight<F> {
    pub(crate) fn new() -> Self {
        InFlight {
            slots: Vec::new(),
            free: Vec::new(),
            woken: Arc::new(Woken::default()),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn push(&mut self, fut: F) {
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id].0 = Some(Box::pin(fut));
                id
            }
            None => {
                let id = self.slots.len();
                let waker = Waker::from(Arc::new(SlotWaker {
                    id,
                    woken: self.woken.clone(),
                }));
                self.slots.push((Some(Box::pin(fut)), waker));
                id
            }
        };
        self.len += 1;
        // Polled first on the next `next()`.
        if let Ok(mut ids) = self.woken.ids.lock() {
            ids.push(id);
        }
        if let Some(w) = self.woken.parent.lock().ok().and_then(|w| w.clone()) {
            w.wake();
        }
    }

    /// The next future to finish. Pending forever while empty (a `select!` branch guarded by
    /// `!is_empty()`).
    pub(crate) fn next(&mut self) -> impl Future<Output = F::Output> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Ok(mut parent) = self.woken.parent.lock() {
            if !parent.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        // One pass over the futures woken so far, then back to the task: a future that wakes
        // itself while polled (a run yielding so the loop can look at its other events) has
        // woken the task too, so it is polled again after the loop had its turn.
        {
            let ids = match self.woken.ids.lock() {
                Ok(mut ids) => std::mem::take(&mut *ids),
                Err(_) => return Poll::Pending,
            };
            if ids.is_empty() {
                return Poll::Pending;
            }
            let mut result = None;
            for (i, id) in ids.iter().enumerate() {
                if result.is_some() {
                    // Keep the rest for the next call.
                    if let Ok(mut q) = self.woken.ids.lock() {
                        q.extend_from_slice(&ids[i..]);
                    }
                    break;
                }
                let Some((Some(fut), waker)) = self.slots.get_mut(*id) else {
                    continue;
                };
                let mut child = Context::from_waker(waker);
                if let Poll::Ready(out) = fut.as_mut().poll(&mut child) {
                    self.slots[*id].0 = None;
                    self.free.push(*id);
                    self.len -= 1;
                    result = Some(out);
                }
            }
            if let Some(out) = result {
                return Poll::Ready(out);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i32) -> LaneKey {
        LaneKey::Partition("t".into(), n)
    }

    #[test]
    fn a_busy_lane_waits_others_go() {
        let mut l = Lanes::new();
        l.push(p(0), 1);
        l.push(p(0), 2);
        l.push(p(1), 3);
        let (k, a) = l.take(1, |_| false).unwrap();
        assert_eq!((k.clone(), a), (p(0), vec![1]));
        let (_, b) = l.take(1, |_| false).unwrap();
        assert_eq!(b, vec![3]);
        // Lane 0 is busy: nothing else may start.
        assert!(l.take(1, |_| false).is_none());
        l.done(&k);
        assert_eq!(l.take(1, |_| false).unwrap().1, vec![2]);
        assert_eq!(l.waiting(), 0);
    }

    #[test]
    fn dropping_a_partition_keeps_its_busy_lane_until_done() {
        let mut l = Lanes::new();
        l.push(p(0), 1);
        l.push(p(0), 2);
        let (k, _) = l.take(1, |_| false).unwrap();
        assert_eq!(l.drop_partition("t", 0), 1);
        l.done(&k);
        assert!(l.take(1, |_| false).is_none());
        assert_eq!(l.waiting(), 0);
    }

    #[tokio::test]
    async fn in_flight_yields_in_completion_order() {
        let mut f = InFlight::new();
        for (i, ms) in [(0, 30u64), (1, 10), (2, 20)] {
            f.push(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                i
            });
        }
        let mut got = Vec::new();
        while !f.is_empty() {
            got.push(f.next().await);
        }
        assert_eq!(got, vec![1, 2, 0]);
    }
}
