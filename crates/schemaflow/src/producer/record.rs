//! What goes in ([`Record`], built like rdkafka's `FutureRecord`) and what comes back
//! ([`Delivery`]).

use crate::wire::SchemaId;

/// One record to send, built like rdkafka's `FutureRecord`.
#[derive(Debug)]
pub struct Record<'a, V> {
    pub(super) topic: &'a str,
    pub(super) key: Option<&'a [u8]>,
    pub(super) value: Option<&'a V>,
    pub(super) headers: Vec<(&'a str, &'a [u8])>,
    pub(super) partition: Option<i32>,
    pub(super) timestamp: Option<i64>,
}

impl<'a, V> Record<'a, V> {
    /// A record for `topic` (no key, no value yet).
    pub fn to(topic: &'a str) -> Self {
        Record {
            topic,
            key: None,
            value: None,
            headers: Vec::new(),
            partition: None,
            timestamp: None,
        }
    }

    /// The key, as raw bytes (partitioning and compaction use it).
    pub fn key(mut self, key: &'a [u8]) -> Self {
        self.key = Some(key);
        self
    }

    /// The value; leave unset for a tombstone.
    pub fn value(mut self, value: &'a V) -> Self {
        self.value = Some(value);
        self
    }

    /// Add a header.
    pub fn header(mut self, name: &'a str, value: &'a [u8]) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Send to this partition rather than the partitioner's choice.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Record timestamp, ms since the epoch.
    pub fn timestamp(mut self, ms: i64) -> Self {
        self.timestamp = Some(ms);
        self
    }
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// The value's schema id (`None` for a tombstone).
    pub schema_id: Option<SchemaId>,
}
