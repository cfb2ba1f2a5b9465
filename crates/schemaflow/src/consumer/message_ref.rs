//! [`MessageRef`]: a decoded record lent to the handler of
//! [`TypedConsumer::run_ref`](super::TypedConsumer::run_ref) — the value decoded in place
//! into a value the consumer keeps, the topic, key and headers read where librdkafka holds
//! them. [`MessageRef::to_message`] makes the owned [`Message`] when the handler needs one.

use std::sync::Arc;

use bytes::Bytes;
use rdkafka::message::{BorrowedMessage, Headers, Message as _};

use super::decode::Message;
use crate::wire::SchemaId;

/// A decoded record, borrowed for the handler's call.
///
/// Nothing here is copied for the call: the topic is the partition's shared name, the key
/// and headers are librdkafka's bytes, read when asked for, and the value is the consumer's
/// kept value, decoded into record after record (its buffers reused, as prost's `merge`
/// reuses a message). Keep what you need past the call by copying it, or with
/// [`to_message`](Self::to_message).
pub struct MessageRef<'a, V> {
    msg: &'a BorrowedMessage<'a>,
    topic: &'a Arc<str>,
    value: Option<&'a V>,
    schema_id: Option<SchemaId>,
}

impl<V> Clone for MessageRef<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for MessageRef<'_, V> {}

impl<V: std::fmt::Debug> std::fmt::Debug for MessageRef<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageRef")
            .field("topic", &self.topic())
            .field("partition", &self.partition())
            .field("offset", &self.offset())
            .field("key", &self.key())
            .field("value", &self.value)
            .field("schema_id", &self.schema_id)
            .finish_non_exhaustive()
    }
}

impl<'a, V> MessageRef<'a, V> {
    pub(crate) fn new(
        msg: &'a BorrowedMessage<'a>,
        topic: &'a Arc<str>,
        value: Option<&'a V>,
        schema_id: Option<SchemaId>,
    ) -> Self {
        MessageRef {
            msg,
            topic,
            value,
            schema_id,
        }
    }

    /// Topic.
    pub fn topic(&self) -> &'a str {
        self.topic
    }

    /// Partition.
    pub fn partition(&self) -> i32 {
        self.msg.partition()
    }

    /// Offset.
    pub fn offset(&self) -> i64 {
        self.msg.offset()
    }

    /// Key bytes.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.msg.key()
    }

    /// The value; `None` for a tombstone (a null payload).
    pub fn value(&self) -> Option<&'a V> {
        self.value
    }

    /// The writer schema id (`None` for a tombstone).
    pub fn schema_id(&self) -> Option<SchemaId> {
        self.schema_id
    }

    /// Timestamp, ms since the epoch.
    pub fn timestamp(&self) -> Option<i64> {
        self.msg.timestamp().to_millis()
    }

    /// The payload as it came (the frame the value was decoded from, or without a frame
    /// prefix when the schema id came in a header); `None` for a tombstone.
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.msg.payload()
    }

    /// Headers, in order: (key, value).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, Option<&'a [u8]>)> + 'a {
        self.msg
            .headers()
            .into_iter()
            .flat_map(|h| h.iter().map(|h| (h.key, h.value)))
    }

    /// The owned [`Message`] of this record: the value cloned, key and headers copied.
    pub fn to_message(&self) -> Message<V>
    where
        V: Clone,
    {
        Message {
            topic: self.topic.clone(),
            partition: self.partition(),
            offset: self.offset(),
            key: self.key().map(Bytes::copy_from_slice),
            value: self.value.cloned(),
            headers: self
                .headers()
                .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
                .collect(),
            schema_id: self.schema_id,
            timestamp: self.timestamp(),
        }
    }
}
