//! What goes in ([`Record`], built like rdkafka's `FutureRecord`) and what comes back
//! ([`Delivery`]).

use crate::wire::SchemaId;

/// One record to send, built like rdkafka's `FutureRecord`.
///
/// ```
/// mod schemas {
/// #   // The committed codegen output of this repository's samples (this crate has no build
/// #   // script); your crate includes its own.
/// #   include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemaflow-build/tests/golden/generated.rs"));
/// #   /*
///     schemaflow::include_schemas!();
/// #   */
/// }
/// use schemaflow::producer::Record;
/// use schemas::avro::user_event::{Action, Device, UserEvent};
///
/// # let event = UserEvent {
/// #     event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".parse()?,
/// #     user_id: "user-42".into(),
/// #     action: Action::Login,
/// #     occurred_at: 1_700_000_000_123,
/// #     amount: "0.00".parse()?,
/// #     session_id: None,
/// #     device: Device { platform: "web".into(), app_version: None },
/// #     shipping_address: None,
/// #     tags: vec![],
/// #     attributes: Default::default(),
/// # };
/// let record = Record::to("user-events")
///     .key(b"user-42") // the same key, the same partition
///     .value(&event) // leave unset for a tombstone
///     .header("trace-id", b"4bf92f35");
/// # let _ = record;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
