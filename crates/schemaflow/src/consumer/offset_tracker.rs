//! Offset bookkeeping for a consumer with several records of a partition in flight.
//!
//! Records finish out of order when they are handled concurrently, but a Kafka commit is one
//! number per partition: "everything before this is done". So a partition's committable
//! position only moves over a record once it *and every earlier record received from that
//! partition* are finished (handled, dead-lettered or skipped). A record that is unfinished —
//! in flight, waiting, or the one whose environment fault stopped the consumer — holds the
//! position: nothing after it is committed, and after a crash or a rebalance it and the
//! records after it are read again (at least once; the duplicates are bounded by what was
//! received after it).
//!
//! Positions follow the offsets actually received, not `offset + 1` arithmetic: compacted
//! topics and transaction markers leave gaps in the offsets of a partition.

use std::collections::{HashMap, VecDeque};

/// A partition: topic and partition number.
pub type TopicPartition = (String, i32);

/// The received, not yet committable records of each partition.
#[derive(Debug, Default, Clone)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionOffsets>,
}

/// One partition's received, not yet committable records: the consumer loop keeps one per
/// partition it reads, so a record costs a push onto a queue and a finished batch one pass
/// over its own records — no map node, no allocation per record.
#[derive(Debug, Default, Clone)]
pub(crate) struct PartitionOffsets {
    /// (offset, finished?) in the order received, which is offset order. Only records after
    /// the committable position are kept, so the queue is bounded by the records in flight
    /// plus the partition's look-ahead.
    records: VecDeque<(i64, bool)>,
    /// The next offset to read after every finished record so far (what a commit carries).
    committable: Option<i64>,
}

impl PartitionOffsets {
    /// A record was received: unfinished until [`finish`](Self::finish).
    pub(crate) fn received(&mut self, offset: i64) {
        match self.records.back() {
            Some((last, _)) if *last >= offset => {
                // Not after the last one (never from one assignment of a partition; kept
                // correct anyway): into its place, or the same offset again stays unfinished.
                match self.records.binary_search_by_key(&offset, |(o, _)| *o) {
                    Ok(i) => self.records[i].1 = false,
                    Err(i) => self.records.insert(i, (offset, false)),
                }
            }
            _ => self.records.push_back((offset, false)),
        }
    }

    /// Records are finished (`offsets` ascending, as a job's records are). Returns the new
    /// committable position (the next offset to read) when it moved, i.e. when a finished
    /// record and every earlier received record are finished: one answer for the whole batch,
    /// so the loop stores one position per batch. Offsets never received (e.g. of a
    /// partition revoked meanwhile) are ignored.
    pub(crate) fn finish(&mut self, offsets: impl IntoIterator<Item = i64>) -> Option<i64> {
        let mut from = 0;
        for offset in offsets {
            // A job's records are usually next to each other: mostly a step to the next
            // slot, else a binary search (offset order).
            let hit = match self.records.get(from) {
                Some((o, _)) if *o == offset => Some(from),
                _ => self.records.binary_search_by_key(&offset, |(o, _)| *o).ok(),
            };
            if let Some(i) = hit {
                self.records[i].1 = true;
                from = i + 1;
            }
        }
        let mut moved = None;
        while let Some((o, true)) = self.records.front().copied() {
            moved = Some(o + 1);
            self.records.pop_front();
        }
        if moved.is_some() {
            self.committable = moved;
        }
        moved
    }

    /// The committable position (`None` before any record finished).
    pub(crate) fn committable(&self) -> Option<i64> {
        self.committable
    }

    /// Records received and not yet committable.
    pub(crate) fn pending(&self) -> usize {
        self.records.len()
    }
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// A record was received: it is unfinished until [`finished`](Self::finished).
    pub fn received(&mut self, tp: &TopicPartition, offset: i64) {
        match self.partitions.get_mut(tp) {
            Some(p) => p.received(offset),
            None => self
                .partitions
                .entry(tp.clone())
                .or_default()
                .received(offset),
        }
    }

    /// A record is finished. Returns the partition's new committable position (the next offset
    /// to read) when it moved, i.e. when this record and every earlier received record are
    /// finished. An offset never received (e.g. of a partition revoked meanwhile) is ignored.
    pub fn finished(&mut self, tp: &TopicPartition, offset: i64) -> Option<i64> {
        self.finished_batch(tp, [offset])
    }

    /// Records of one partition are finished (`offsets` ascending): the partition's new
    /// committable position if it moved, once for the batch (see [`finished`](Self::finished)).
    pub fn finished_batch(
        &mut self,
        tp: &TopicPartition,
        offsets: impl IntoIterator<Item = i64>,
    ) -> Option<i64> {
        self.partitions.get_mut(tp)?.finish(offsets)
    }

    /// The partition's committable position: the next offset to read after the highest
    /// contiguous finished record (`None` before any record finished).
    pub fn committable(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions.get(tp).and_then(|p| p.committable())
    }

    /// Records received from the partition and not yet committable (unfinished, or finished
    /// after an unfinished one).
    pub fn pending(&self, tp: &TopicPartition) -> usize {
        self.partitions.get(tp).map_or(0, |p| p.pending())
    }

    /// Forget a partition (revoked): its records still in flight will not be committed by
    /// this member.
    pub fn forget(&mut self, tp: &TopicPartition) {
        self.partitions.remove(tp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp() -> TopicPartition {
        ("t".to_string(), 0)
    }

    #[test]
    fn in_order_completion_moves_one_by_one() {
        let mut t = OffsetTracker::new();
        for o in 0..3 {
            t.received(&tp(), o);
        }
        assert_eq!(t.finished(&tp(), 0), Some(1));
        assert_eq!(t.finished(&tp(), 1), Some(2));
        assert_eq!(t.finished(&tp(), 2), Some(3));
        assert_eq!(t.pending(&tp()), 0);
    }

    #[test]
    fn out_of_order_completion_commits_only_the_contiguous_prefix() {
        let mut t = OffsetTracker::new();
        for o in 10..20 {
            t.received(&tp(), o);
        }
        // Everything but 12 finishes, in reverse order.
        for o in (10..20).rev().filter(|o| *o != 12) {
            let moved = t.finished(&tp(), o);
            // Never past the unfinished 12: at most 12 (10 and 11 done).
            if let Some(next) = moved {
                assert!(next <= 12, "committed past an unfinished record: {next}");
            }
        }
        assert_eq!(t.committable(&tp()), Some(12));
        assert_eq!(t.pending(&tp()), 8);
        // 12 finishes: the position jumps over every finished record after it.
        assert_eq!(t.finished(&tp(), 12), Some(20));
        assert_eq!(t.pending(&tp()), 0);
    }

    #[test]
    fn nothing_committable_while_the_first_record_is_unfinished() {
        let mut t = OffsetTracker::new();
        for o in 0..5 {
            t.received(&tp(), o);
        }
        for o in 1..5 {
            assert_eq!(t.finished(&tp(), o), None);
        }
        assert_eq!(t.committable(&tp()), None);
    }

    #[test]
    fn offset_gaps_follow_the_received_records() {
        // A compacted partition: offsets 3, 7, 8 only.
        let mut t = OffsetTracker::new();
        for o in [3, 7, 8] {
            t.received(&tp(), o);
        }
        assert_eq!(t.finished(&tp(), 7), None);
        assert_eq!(t.finished(&tp(), 3), Some(8));
        assert_eq!(t.finished(&tp(), 8), Some(9));
    }

    #[test]
    fn partitions_are_independent_and_forgotten_on_revoke() {
        let mut t = OffsetTracker::new();
        let other = ("t".to_string(), 1);
        t.received(&tp(), 0);
        t.received(&other, 0);
        assert_eq!(t.finished(&other, 0), Some(1));
        assert_eq!(t.committable(&tp()), None);
        t.forget(&tp());
        // A record of a revoked partition finishing later commits nothing.
        assert_eq!(t.finished(&tp(), 0), None);
    }

    #[test]
    fn random_completion_orders_never_pass_an_unfinished_record() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let n = rng.usize(1..50) as i64;
            let mut t = OffsetTracker::new();
            for o in 0..n {
                t.received(&tp(), o);
            }
            let mut order: Vec<i64> = (0..n).collect();
            rng.shuffle(&mut order);
            let mut done = vec![false; n as usize];
            for o in order {
                done[o as usize] = true;
                let expect = done.iter().position(|d| !d).map_or(n, |i| i as i64);
                let got = t.committable(&tp());
                let moved = t.finished(&tp(), o);
                let now = moved.or(got).unwrap_or(0);
                assert_eq!(now, expect);
            }
        }
    }

    #[test]
    fn a_batch_finishes_with_one_answer_and_never_past_an_unfinished_record() {
        let mut t = OffsetTracker::new();
        for o in 0..10 {
            t.received(&tp(), o);
        }
        // A later batch first: nothing moves while 0..4 are unfinished.
        assert_eq!(t.finished_batch(&tp(), 5..10), None);
        // A batch whose third record failed: only its first two are finished.
        assert_eq!(t.finished_batch(&tp(), 0..2), Some(2));
        assert_eq!(t.committable(&tp()), Some(2));
        assert_eq!(t.pending(&tp()), 8);
        // The rest of it, later: the position jumps over the finished batch after it.
        assert_eq!(t.finished_batch(&tp(), 2..5), Some(10));
        assert_eq!(t.pending(&tp()), 0);
    }

    #[test]
    fn a_batch_with_gaps_and_strays_finishes_what_was_received() {
        // A compacted partition: offsets 3, 7, 8, 12; a key's batch is 3, 8 (7 is another
        // key's); 5 and 20 were never received.
        let mut t = OffsetTracker::new();
        for o in [3, 7, 8, 12] {
            t.received(&tp(), o);
        }
        assert_eq!(t.finished_batch(&tp(), [3, 5, 8, 20]), Some(4));
        assert_eq!(t.finished_batch(&tp(), [7]), Some(9));
        assert_eq!(t.finished_batch(&tp(), [12]), Some(13));
    }

    #[test]
    fn an_offset_received_again_is_unfinished_again() {
        let mut t = OffsetTracker::new();
        for o in [0, 1, 2] {
            t.received(&tp(), o);
        }
        assert_eq!(t.finished(&tp(), 1), None);
        t.received(&tp(), 1);
        assert_eq!(t.finished(&tp(), 0), Some(1));
        assert_eq!(t.pending(&tp()), 2);
    }
}
