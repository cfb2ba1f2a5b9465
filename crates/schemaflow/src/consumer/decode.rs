//! The one decode path of a record's value, for the consumer and the exactly-once processor
//! alike:
//!
//! ```text
//! schema id ← the __value_schema_id header (Confluent 8: magic 0 + id, or magic 1 + GUID,
//!             the payload then without magic and id), else the payload's frame prefix
//!   → writer schema (cached) → V (Avro resolution / Protobuf message check)
//! ```
//!
//! and, for the consumer, the environment rule around it ([`TypedConsumer`]'s
//! `decode_holding_position`): an error that is the environment's (registry unreachable,
//! 5xx, 429, timeouts; see [`Error::fault`]) is retried with backoff for
//! [`ConsumerConfig::environment_retry_timeout`](super::ConsumerConfig::environment_retry_timeout)
//! without giving the record up — no offset stored, nothing dead-lettered — then the
//! consumer stops with [`Error::Environment`]; a refusal (401/403) stops it at once. The
//! exactly-once processor's own environment rule is its transaction: abort, rewind, retry
//! the batch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use rdkafka::message::{BorrowedHeaders, BorrowedMessage, Headers, Message as _};

use super::backoff::Backoff;
use super::events::{ConsumerEvent, Counters, Position};
use super::TypedConsumer;
use crate::codec::FromFrame;
use crate::error::{Error, Fault, Result};
use crate::registry::schemas::{SchemaMemo, SchemaResolver};
use crate::wire::{HeaderSchemaId, SchemaId, VALUE_SCHEMA_ID_HEADER};

/// Longest pause between two retries of an environment fault.
const MAX_ENVIRONMENT_BACKOFF: Duration = Duration::from_secs(5);

/// A decoded record.
///
/// What it costs besides the value: the topic is the partition's name shared by every
/// record of it (a reference count, not a copy); the key is a [`Bytes`] (its `Deref` gives
/// the `&[u8]`, `.to_vec()` an owned copy when you need one); headers are copied only when
/// the record has any.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<V> {
    /// Topic (shared by the records of a partition; `&*m.topic` or `m.topic.as_ref()` is the
    /// `&str`).
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key bytes.
    pub key: Option<Bytes>,
    /// The value; `None` for a tombstone (a null payload).
    pub value: Option<V>,
    /// Headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The writer schema id (`None` for a tombstone).
    pub schema_id: Option<SchemaId>,
    /// Timestamp, ms since the epoch.
    pub timestamp: Option<i64>,
}

/// A decode failure: the error, and the writer schema id when it was known by then (for the
/// dead letter's headers).
pub(crate) type DecodeFailure = (Error, Option<SchemaId>);

/// The value of the record's `__value_schema_id` header, if it has one.
pub(crate) fn value_schema_id_header<'m>(msg: &'m BorrowedMessage<'_>) -> Option<&'m [u8]> {
    schema_id_header(msg.headers()?)
}

/// The value of the `__value_schema_id` header among `headers`.
fn schema_id_header(headers: &BorrowedHeaders) -> Option<&[u8]> {
    headers
        .iter()
        .find(|h| h.key == VALUE_SCHEMA_ID_HEADER)?
        .value
}

/// Where [`decode_value_to`] puts the decoded value: a new value, or one decoded into in
/// place.
pub(crate) trait Destination<V> {
    /// What the caller gets.
    type Out;
    /// The value straight from a frame written with `writer` (no rules, no migration).
    fn frame(self, frame: &[u8], writer: &crate::codec::WriterSchema) -> Result<Self::Out>;
    /// A value decoded otherwise (through rules or a migration).
    fn put(self, value: V) -> Self::Out;
}

/// A new value.
pub(crate) struct NewValue;

impl<V: FromFrame> Destination<V> for NewValue {
    type Out = V;
    fn frame(self, frame: &[u8], writer: &crate::codec::WriterSchema) -> Result<V> {
        Ok(V::from_frame(frame, writer)?)
    }
    fn put(self, value: V) -> V {
        value
    }
}

/// Into a value kept from an earlier record ([`FromFrame::set_from_frame`]: its string
/// buffers, vectors and map entries are reused), or a new one the first time.
impl<V: FromFrame> Destination<V> for &mut Option<V> {
    type Out = ();
    fn frame(self, frame: &[u8], writer: &crate::codec::WriterSchema) -> Result<()> {
        match self {
            Some(v) => v.set_from_frame(frame, writer)?,
            None => *self = Some(V::from_frame(frame, writer)?),
        }
        Ok(())
    }
    fn put(self, value: V) {
        *self = Some(value);
    }
}

/// Decode a value `payload` of `topic` whose schema id is in `header` (the `__value_schema_id`
/// header's value) or, without one, in the payload's frame prefix; the writer schema's READ
/// rules run on it when it has some. One try: the caller
/// decides what an environment fault ([`Error::fault`]) means.
pub(crate) async fn decode_value<V: FromFrame>(
    resolver: &SchemaResolver,
    memo: &mut SchemaMemo,
    payload: &[u8],
    header: Option<&[u8]>,
    topic: &str,
) -> std::result::Result<(SchemaId, V), DecodeFailure> {
    decode_value_to(resolver, memo, payload, header, topic, NewValue).await
}

/// [`decode_value`] into `to`.
pub(crate) async fn decode_value_to<V: FromFrame, D: Destination<V>>(
    resolver: &SchemaResolver,
    memo: &mut SchemaMemo,
    payload: &[u8],
    header: Option<&[u8]>,
    topic: &str,
    to: D,
) -> std::result::Result<(SchemaId, D::Out), DecodeFailure> {
    // The header form (Confluent 8): the payload has no magic and id; put them in front so
    // one decoder reads both forms.
    let framed;
    let frame: &[u8] = match header {
        None => payload,
        Some(h) => {
            let h = HeaderSchemaId::parse(h).map_err(|e| (e.into(), None))?;
            let id = resolver.header_schema_id(h).await.map_err(|e| (e, None))?;
            let mut f = Vec::with_capacity(payload.len() + crate::wire::HEADER_LEN);
            crate::wire::write_header(id, &mut f);
            f.extend_from_slice(payload);
            framed = f;
            &framed
        }
    };
    let (id, _) = crate::wire::read_header(frame).map_err(|e| (e.into(), None))?;
    let writer = memo
        .readable(resolver, id)
        .await
        .map_err(|e| (e, Some(id)))?;
    if resolver.migrates() {
        // Python's default subject (TopicNameStrategy), as for the rules' `__rule.subject`.
        let subject = format!("{topic}-value");
        let migration = resolver
            .migration(id, &subject)
            .await
            .map_err(|e| (e, Some(id)))?;
        if let Some(m) = migration {
            let value = m
                .apply(&writer.schema, &subject, topic, frame)
                .and_then(|migrated| Ok(V::from_frame(&migrated, &m.reader.schema)?))
                .map_err(|e| (e, Some(id)))?;
            return Ok((id, to.put(value)));
        }
    }
    let out = match &writer.read_rules {
        // No READ rules: the frame goes straight into V, nothing converted.
        None => to.frame(frame, &writer.schema),
        Some(rules) => read_with_rules(frame, &writer.schema, rules, topic).map(|v| to.put(v)),
    }
    .map_err(|e| (e, Some(id)))?;
    Ok((id, out))
}

/// Decode through the writer's READ rules: the frame as JSON, the rules run on it (a refusal
/// is the record's fault), then into `V` — from the same frame, or from the transformed value
/// re-encoded with the writer schema.
fn read_with_rules<V: FromFrame>(
    frame: &[u8],
    writer: &crate::codec::WriterSchema,
    rules: &crate::rules::DomainRules,
    topic: &str,
) -> Result<V> {
    let (id, json) = writer.frame_to_json(frame)?;
    // Python's default subject (TopicNameStrategy): what `__rule.subject` names.
    let after = rules.run(&format!("{topic}-value"), topic, json)?;
    if !rules.transforms() {
        return Ok(V::from_frame(frame, writer)?);
    }
    let mut changed = Vec::with_capacity(frame.len());
    crate::rules::encode::json_to_frame(writer, id, &after, &mut changed)?;
    Ok(V::from_frame(&changed, writer)?)
}

/// The writer schema id of a record, from its header or its frame prefix, if it can be read
/// (for a dead letter's headers).
pub(crate) async fn schema_id(
    resolver: &SchemaResolver,
    msg: &BorrowedMessage<'_>,
) -> Option<SchemaId> {
    match value_schema_id_header(msg) {
        Some(h) => resolver
            .header_schema_id(HeaderSchemaId::parse(h).ok()?)
            .await
            .ok(),
        None => crate::wire::read_header(msg.payload()?)
            .ok()
            .map(|(id, _)| id),
    }
}

/// One try at decoding a record.
pub(crate) trait Decode<V> {
    /// What a decode gives.
    type Decoded;

    /// Decode `m` once (the caller retries the environment's faults).
    async fn decode(
        &mut self,
        consumer: &TypedConsumer<V>,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        memo: &mut SchemaMemo,
    ) -> Result<Self::Decoded, DecodeFailure>;
}

/// A record decoded into a new [`Message`] (`run`, and each record of a batch).
pub(crate) struct NewMessage;

impl<V: FromFrame> Decode<V> for NewMessage {
    type Decoded = Message<V>;

    async fn decode(
        &mut self,
        consumer: &TypedConsumer<V>,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        memo: &mut SchemaMemo,
    ) -> Result<Message<V>, DecodeFailure> {
        consumer.decode(m, topic, memo).await
    }
}

impl<V: FromFrame> TypedConsumer<V> {
    /// Decode, retrying the environment's faults within the budget without giving up the
    /// record. `Err` = stop the consumer (budget spent, or a fault retrying cannot fix);
    /// `Ok(Err)` = the record's own fault. The budget counts from `started`: when the job
    /// holding the record started (read once per job, not per record; a run is cut to ~50 ms
    /// of handling, so a record's budget is at most that much shorter).
    /// `to` makes one try (the record into a new [`Message`], or into a kept value).
    pub(crate) async fn decode_holding_position<D: Decode<V>>(
        &self,
        msg: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        started: Instant,
        memo: &mut SchemaMemo,
        to: &mut D,
    ) -> Result<std::result::Result<D::Decoded, DecodeFailure>> {
        // The first try builds no retry state: nearly every record decodes.
        let (error, id) = match to.decode(self, msg, topic, memo).await {
            Ok(m) => return Ok(Ok(m)),
            Err(failed) => failed,
        };
        if error.fault() == Fault::Record {
            return Ok(Err((error, id)));
        }
        let mut failed = Some((error, id));
        let budget = self.config.environment_retry_timeout;
        let mut backoff = Backoff::new(
            self.config.retry_backoff.max(Duration::from_millis(1)),
            MAX_ENVIRONMENT_BACKOFF,
        );
        let mut attempt = 0u32;
        let at = Position {
            topic: msg.topic(),
            partition: msg.partition(),
            offset: msg.offset(),
        };
        let gave_up = |error: Error, waited: Duration| Error::Environment {
            topic: at.topic.to_string(),
            partition: at.partition,
            offset: at.offset,
            waited,
            source: Box::new(error),
        };
        loop {
            let (error, id) = match failed.take() {
                Some(failed) => failed,
                None => match to.decode(self, msg, topic, memo).await {
                    Ok(m) => return Ok(Ok(m)),
                    Err(failed) => failed,
                },
            };
            let waited = started.elapsed();
            match error.fault() {
                Fault::Record => return Ok(Err((error, id))),
                Fault::Transient if waited < budget => {}
                Fault::Transient | Fault::Fatal => return Err(gave_up(error, waited)),
            }
            attempt += 1;
            Counters::add(&self.counters.environment_retries, 1);
            tracing::warn!(record = %at, attempt, ?waited, error = %error, "environment fault; retrying, holding the position");
            self.emit(ConsumerEvent::Retrying {
                at,
                attempt,
                waited,
                budget,
                error: &error,
            });
            self.stop
                .sleep(backoff.next().min(budget.saturating_sub(waited)))
                .await;
            if self.stop.is_fired() {
                return Err(gave_up(error, started.elapsed()));
            }
        }
    }

    /// One try at a record: its value through [`decode_value`], with its metadata.
    pub(crate) async fn decode(
        &self,
        msg: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        memo: &mut SchemaMemo,
    ) -> std::result::Result<Message<V>, DecodeFailure> {
        // One look at the headers (a call into librdkafka) for both their copy and the
        // schema id header.
        let native = msg.headers();
        let headers: Vec<(String, Option<Vec<u8>>)> = native
            .map(|h| {
                h.iter()
                    .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        let (value, schema_id) = match msg.payload() {
            None => (None, None),
            Some(payload) => {
                let header = native.and_then(schema_id_header);
                let (id, value) =
                    decode_value(&self.resolver, memo, payload, header, topic).await?;
                (Some(value), Some(id))
            }
        };
        Ok(Message {
            topic: topic.clone(),
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(Bytes::copy_from_slice),
            value,
            headers,
            schema_id,
            timestamp: msg.timestamp().to_millis(),
        })
    }

    /// One try at a record's value, into `slot` (kept from the record before: see
    /// [`Destination`]); its writer schema id, `None` for a tombstone (`slot` untouched).
    pub(crate) async fn decode_into(
        &self,
        msg: &BorrowedMessage<'_>,
        topic: &str,
        memo: &mut SchemaMemo,
        slot: &mut Option<V>,
    ) -> std::result::Result<Option<SchemaId>, DecodeFailure> {
        let Some(payload) = msg.payload() else {
            return Ok(None);
        };
        let header = msg.headers().and_then(schema_id_header);
        let (id, ()) = decode_value_to(&self.resolver, memo, payload, header, topic, slot).await?;
        Ok(Some(id))
    }

    /// The writer schema id of a record, if it can be read.
    pub(crate) async fn schema_id_of(&self, msg: &BorrowedMessage<'_>) -> Option<SchemaId> {
        schema_id(&self.resolver, msg).await
    }
}
