//! Where a partition starts reading when asked for an offset or a time rather than
//! librdkafka's `auto.offset.reset` (`earliest` / `latest`).
//!
//! The one rule, for a consumer-group member ([`ConsumerConfig::start_uncommitted`], applied
//! each time partitions are assigned) and for a reader given its partitions (`schemaflow
//! consume` without `--group`) alike: a partition the group has committed an offset for
//! resumes there (a group member only); any other partition starts at the requested offset,
//! or at the first record at or after the requested time. An offset outside the partition's
//! records (`low..=high`, `high` being the next offset to be written) starts at the nearest
//! end instead — below `low` (deleted by retention) at the first record kept, above `high` at
//! the end — and a time after the last record at the end; each such move is returned as a
//! [`StartMoved`], so the caller can say where reading started (librdkafka would reset such
//! an offset by `auto.offset.reset` without a word).
//!
//! [`ConsumerConfig::start_uncommitted`]: crate::consumer::ConsumerConfig::start_uncommitted

use std::time::Duration;

use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};

/// A requested starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// This offset, in every partition.
    Offset(i64),
    /// The first record at or after this time (milliseconds since the epoch).
    Timestamp(i64),
}

impl std::fmt::Display for StartAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartAt::Offset(o) => write!(f, "offset {o}"),
            StartAt::Timestamp(ms) => write!(f, "timestamp {ms}"),
        }
    }
}

/// A partition that did not start where it was asked to (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartMoved {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// What was asked for.
    pub requested: StartAt,
    /// The partition's first kept offset.
    pub low: i64,
    /// The partition's next offset to be written (its end).
    pub high: i64,
    /// Where it starts instead: `low` or `high`.
    pub offset: i64,
}

impl std::fmt::Display for StartMoved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.requested {
            StartAt::Offset(o) => write!(
                f,
                "{}/{}: offset {o} is out of range (the partition has offsets {}..{}); started at {}, offset {}",
                self.topic,
                self.partition,
                self.low,
                self.high,
                if o < self.low { "the first record kept" } else { "the end" },
                self.offset
            ),
            StartAt::Timestamp(ms) => write!(
                f,
                "{}/{}: no record at or after timestamp {ms}; started at the end, offset {}",
                self.topic, self.partition, self.offset
            ),
        }
    }
}

/// Set the starting offset of every partition in `tpl` by the rule of the [module
/// docs](self): with `keep_committed`, partitions with a committed offset (of `consumer`'s
/// group) start there; the others at `start`. Returns the partitions moved into range.
pub fn place<C, K>(
    consumer: &K,
    tpl: &mut TopicPartitionList,
    start: StartAt,
    keep_committed: bool,
    timeout: Duration,
) -> KafkaResult<Vec<StartMoved>>
where
    C: ConsumerContext,
    K: Consumer<C>,
{
    let committed = if keep_committed {
        Some(consumer.committed_offsets(tpl.clone(), timeout)?)
    } else {
        None
    };
    let partitions: Vec<(String, i32)> = tpl
        .elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect();
    let mut todo = Vec::new();
    for (topic, partition) in partitions {
        let done = committed
            .as_ref()
            .and_then(|c| c.find_partition(&topic, partition))
            .map(|c| c.offset());
        match done {
            Some(Offset::Offset(o)) if o >= 0 => {
                tpl.set_partition_offset(&topic, partition, Offset::Offset(o))?
            }
            _ => todo.push((topic, partition)),
        }
    }
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    // What the time lookup answers, per partition: an offset, or none (no record that late).
    let by_time = match start {
        StartAt::Timestamp(ms) => {
            let mut q = TopicPartitionList::new();
            for (topic, partition) in &todo {
                q.add_partition_offset(topic, *partition, Offset::Offset(ms))?;
            }
            Some(consumer.offsets_for_times(q, timeout)?)
        }
        StartAt::Offset(_) => None,
    };
    let mut moved = Vec::new();
    for (topic, partition) in &todo {
        let (topic, partition) = (topic.as_str(), *partition);
        let (low, high) = consumer.fetch_watermarks(topic, partition, timeout)?;
        let wanted = match (start, &by_time) {
            (StartAt::Offset(o), _) => Some(o),
            (StartAt::Timestamp(_), Some(found)) => found
                .find_partition(topic, partition)
                .and_then(|f| match f.offset() {
                    Offset::Offset(o) if o >= 0 => Some(o),
                    _ => None,
                }),
            (StartAt::Timestamp(_), None) => None,
        };
        let offset = match wanted {
            Some(o) => o.clamp(low, high),
            None => high,
        };
        if wanted != Some(offset) {
            moved.push(StartMoved {
                topic: topic.to_string(),
                partition,
                requested: start,
                low,
                high,
                offset,
            });
        }
        tpl.set_partition_offset(topic, partition, Offset::Offset(offset))?;
    }
    Ok(moved)
}
