//! Dead letters: where a record goes when it cannot be decoded (the record's fault, see
//! [`Fault::Record`](crate::error::Fault)) or its handler keeps failing.
//!
//! A dead letter keeps the original key, value and headers, plus error headers modelled on
//! Kafka Connect's (`errors.deadletterqueue.context.headers.enable`):
//! `__connect.errors.topic`, `.partition`, `.offset`, `.stage` (`VALUE_CONVERTER` for decode
//! errors, `TASK_PUT` for handler failures), `.exception.class.name`, `.exception.message`,
//! and `__schemaflow.errors.schema.id` when the frame had one. One builder,
//! [`dead_letter_record`], serves every writer of dead letters (the consumer, the
//! exactly-once processor, the CLI), and `schemaflow dlq` reads these same names.
//!
//! The environment's faults (registry unreachable, 5xx, 401) never make a dead letter: the
//! record is fine, and the consumer retries or stops holding its position instead.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::{BorrowedMessage, Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::FutureRecord;

use super::events::{ConsumerEvent, Counters, Position};
use super::verdict::Verdict;
use super::TypedConsumer;
use crate::codec::FromFrame;
use crate::error::{kafka_error, Error, Result};
use crate::rules::{Action, RuleError, RuleFailure};
use crate::wire::SchemaId;
use crate::SchemaError;

/// Header: the topic the record was read from.
pub const HEADER_TOPIC: &str = "__connect.errors.topic";
/// Header: its partition (decimal text).
pub const HEADER_PARTITION: &str = "__connect.errors.partition";
/// Header: its offset (decimal text).
pub const HEADER_OFFSET: &str = "__connect.errors.offset";
/// Header: `VALUE_CONVERTER` (could not decode) or `TASK_PUT` (the handler failed).
pub const HEADER_STAGE: &str = "__connect.errors.stage";
/// Header: the error kind ([`error_kind`], or `HandlerError`).
pub const HEADER_CLASS: &str = "__connect.errors.exception.class.name";
/// Header: the error message.
pub const HEADER_MESSAGE: &str = "__connect.errors.exception.message";
/// Header: the writer schema id of the frame, when it had one.
pub const HEADER_SCHEMA_ID: &str = "__schemaflow.errors.schema.id";

/// Whether a header is one of the error headers a dead letter adds (what `dlq replay` strips).
pub fn is_error_header(key: &str) -> bool {
    key.starts_with("__connect.errors.") || key.starts_with("__schemaflow.errors.")
}

/// Stage of a record that could not be decoded.
pub const STAGE_DECODE: &str = "VALUE_CONVERTER";
/// Stage of a record whose handler kept failing.
pub const STAGE_HANDLER: &str = "TASK_PUT";

/// What happens to a record that cannot be decoded or handled (the record's fault).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeadLetter {
    /// Stop the consumer with the error; the record's offset is not committed. Default.
    #[default]
    Stop,
    /// Send it to this topic.
    Topic(String),
    /// Send it to `<source topic>.dlq` (the default dead-letter name).
    PerTopic,
    /// Report it (a `tracing` warning and [`ConsumerEvent::Skipped`])
    /// and go on: the record is passed over for good. For tools that only look at a topic.
    Skip,
}

impl DeadLetter {
    /// The dead-letter topic for records of `source`, if the policy writes dead letters.
    pub fn topic_for(&self, source: &str) -> Option<String> {
        match self {
            DeadLetter::Stop | DeadLetter::Skip => None,
            DeadLetter::Topic(t) => Some(t.clone()),
            DeadLetter::PerTopic => Some(format!("{source}.dlq")),
        }
    }
}

/// Why a record is dead-lettered: what goes into its error headers.
#[derive(Debug, Clone, Copy)]
pub struct DeadLetterCause<'a> {
    /// [`STAGE_DECODE`] or [`STAGE_HANDLER`].
    pub stage: &'a str,
    /// The error kind (`FrameError`, `AvroDecodeError`, `HandlerError`…).
    pub class: &'a str,
    /// The error message.
    pub message: &'a str,
    /// The frame's schema id, when it had one.
    pub schema_id: Option<SchemaId>,
    /// The data-contract rule whose `DLQ` action sent it here ([`dlq_rule`]): its `__rule.*`
    /// headers are added, as Confluent's DLQ action adds them.
    pub rule: Option<&'a RuleFailure>,
}

/// The rule failure of `e` when the rule's action is `DLQ` (Confluent's DLQ action: the
/// record goes to the dead-letter topic with `__rule.*` headers).
pub fn dlq_rule(e: &Error) -> Option<&RuleFailure> {
    match e {
        Error::Rule(RuleError::Failed(f)) if f.action == Action::Dlq => Some(f),
        _ => None,
    }
}

/// The dead letter of `msg` for `topic`: its key, value and headers unchanged, plus the error
/// headers (see the module docs).
pub fn dead_letter_record<'m>(
    msg: &'m BorrowedMessage<'_>,
    topic: &'m str,
    cause: &DeadLetterCause<'_>,
) -> FutureRecord<'m, [u8], [u8]> {
    let mut headers = OwnedHeaders::new();
    if let Some(h) = msg.headers() {
        for h in h.iter() {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    let partition = msg.partition().to_string();
    let offset = msg.offset().to_string();
    let id_text = cause.schema_id.map(|i| i.to_string());
    let mut extra: Vec<(&str, &[u8])> = vec![
        (HEADER_TOPIC, msg.topic().as_bytes()),
        (HEADER_PARTITION, partition.as_bytes()),
        (HEADER_OFFSET, offset.as_bytes()),
        (HEADER_STAGE, cause.stage.as_bytes()),
        (HEADER_CLASS, cause.class.as_bytes()),
        (HEADER_MESSAGE, cause.message.as_bytes()),
    ];
    if let Some(t) = &id_text {
        extra.push((HEADER_SCHEMA_ID, t.as_bytes()));
    }
    if let Some(rule) = cause.rule {
        extra.extend(rule.headers());
    }
    for (k, v) in extra {
        headers = headers.insert(Header {
            key: k,
            value: Some(v),
        });
    }
    let mut record: FutureRecord<'m, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
    if let Some(k) = msg.key() {
        record = record.key(k);
    }
    if let Some(p) = msg.payload() {
        record = record.payload(p);
    }
    record
}

/// The error kind written to [`HEADER_CLASS`] for a decode error.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Registry(_) => "RegistryError",
        Error::Rule(_) => "RuleError",
        Error::Schema(s) => match s {
            SchemaError::Frame(_) => "FrameError",
            SchemaError::DecodeAvro { .. } | SchemaError::ResolveAvroSchema { .. } => {
                "AvroDecodeError"
            }
            SchemaError::DecodeProtobuf { .. } => "ProtobufDecodeError",
            SchemaError::MessageIndexMismatch { .. } | SchemaError::SchemaTypeMismatch { .. } => {
                "SchemaMismatch"
            }
            SchemaError::ParseAvroSchema { .. } | SchemaError::ParseProtobufSchema { .. } => {
                "SchemaParseError"
            }
            _ => "DecodeError",
        },
        _ => "DecodeError",
    }
}

/// Why a record is rejected (dead-lettered, skipped, or stops the consumer, by policy).
pub(crate) enum Rejected {
    /// It cannot be decoded (the record's fault); the schema id if known.
    Decode(Error, Option<SchemaId>),
    /// Its handler failed for good: the error, its verdict, the schema id if known.
    Handler(
        Arc<dyn std::error::Error + Send + Sync>,
        Verdict,
        Option<SchemaId>,
    ),
}

impl<V: FromFrame> TypedConsumer<V> {
    /// A record's own fault: dead-letter it, skip it, or stop at it, by policy.
    pub(crate) async fn reject(&self, msg: &BorrowedMessage<'_>, rejected: Rejected) -> Result<()> {
        let (stage, class, message, id) = match &rejected {
            Rejected::Decode(e, id) => (STAGE_DECODE, error_kind(e), e.to_string(), *id),
            Rejected::Handler(e, _, id) => (STAGE_HANDLER, "HandlerError", e.to_string(), *id),
        };
        let at = Position {
            topic: msg.topic(),
            partition: msg.partition(),
            offset: msg.offset(),
        };
        if self.config.dead_letter == DeadLetter::Skip {
            tracing::warn!(record = %at, reason = %message, "skipped");
            Counters::add(&self.counters.skipped, 1);
            self.emit(ConsumerEvent::Skipped {
                at,
                reason: &message,
            });
            return Ok(());
        }
        let rule = match &rejected {
            Rejected::Decode(e, _) => dlq_rule(e),
            Rejected::Handler(..) => None,
        };
        // A DLQ rule's own `dlq.topic` parameter wins over the consumer's dead-letter topic,
        // as Python's DLQ action takes it (the policy still decides whether to dead-letter).
        let policy_topic = self.config.dead_letter.topic_for(msg.topic());
        let topic = match (rule.and_then(|r| r.dlq_topic.clone()), &policy_topic) {
            (Some(t), Some(_)) => Some(t),
            _ => policy_topic,
        };
        let (Some(topic), Some(producer)) = (topic, &self.dead_letters) else {
            return Err(match rejected {
                Rejected::Decode(e, _) => Error::Undecodable {
                    topic: at.topic.to_string(),
                    partition: at.partition,
                    offset: at.offset,
                    source: Box::new(e),
                },
                Rejected::Handler(source, verdict, _) => Error::Handler {
                    topic: at.topic.to_string(),
                    partition: at.partition,
                    offset: at.offset,
                    verdict,
                    source,
                },
            });
        };
        self.ensure_topic(&topic).await?;
        let cause = DeadLetterCause {
            stage,
            class,
            message: &message,
            schema_id: id,
            rule,
        };
        let record = dead_letter_record(msg, &topic, &cause);
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| kafka_error(&format!("writing a dead letter to {topic}"), e))?;
        tracing::warn!(record = %at, dlq = %topic, reason = %message, "dead-lettered");
        Counters::add(&self.counters.dead_lettered, 1);
        self.emit(ConsumerEvent::DeadLettered {
            at,
            topic: &topic,
            reason: &message,
        });
        Ok(())
    }

    /// Create the dead-letter topic once (some brokers never auto-create).
    async fn ensure_topic(&self, topic: &str) -> Result<()> {
        if self
            .created_dlq
            .lock()
            .is_ok_and(|c| c.iter().any(|t| t == topic))
        {
            return Ok(());
        }
        crate::admin::create_topic(&self.config.brokers, topic, 1).await?;
        if let Ok(mut c) = self.created_dlq.lock() {
            c.push(topic.to_string());
        }
        Ok(())
    }
}
