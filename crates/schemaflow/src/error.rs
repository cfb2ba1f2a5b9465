//! The crate's error type: one variant per failed operation, each saying what failed and on
//! what, so a log line is enough to act on.
//!
//! A consumer must also know *whose* fault an error is, because that decides what happens to
//! the record: [`Error::fault`] answers it once for every place that dead-letters.
//!
//! - [`Fault::Record`]: the bytes themselves are bad (wrong magic, corrupt payload, an id the
//!   registry does not know, a message of another type). Retrying cannot help; the record goes
//!   to the dead-letter topic (or stops the consumer, by policy).
//! - [`Fault::Transient`]: the environment failed (registry unreachable, HTTP 5xx/429/408,
//!   timeouts, a broker away). The record is fine: retry with backoff while holding the
//!   partition's position, never dead-letter it, never commit past it.
//! - [`Fault::Fatal`]: the environment refuses us (401/403, a fenced producer, a bad
//!   configuration). Retrying cannot help either, but the record is still fine: stop at once,
//!   nothing dead-lettered or committed past it.
//!
//! Kafka errors keep librdkafka's own [`KafkaError`]: [`Error::is_retriable`],
//! [`Error::is_fatal`] and [`Error::requires_abort`] read librdkafka's answer rather than a
//! copy of it.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::registry::{ErrorCode, RegistryError};
use crate::SchemaError;

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything schemaflow can fail at.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema did not parse, or a frame did not encode or decode with its schema: the
    /// record's or the schema's fault (see [`SchemaError`]).
    #[error(transparent)]
    Schema(#[from] SchemaError),

    /// A data-contract rule: a schema's rules cannot be used ([`Fault::Fatal`]: fix the
    /// contract), or a rule refused a record ([`Fault::Record`]: dead-lettered by a consumer,
    /// never retried).
    #[error(transparent)]
    Rule(#[from] crate::rules::RuleError),

    /// A schema registry call failed.
    #[error("schema registry: {0}")]
    Registry(#[from] crate::registry::RegistryError),

    /// A Kafka operation failed.
    #[error("{operation}: {source}")]
    Kafka {
        /// What was being done (`producing to user-events`, `committing offsets`…).
        operation: String,
        /// librdkafka's error, as it gave it.
        source: KafkaError,
    },

    /// A record could not be decoded and the dead-letter policy is to stop: the consumer
    /// stopped at it, its offset not committed.
    #[error("{topic}/{partition}@{offset} cannot be decoded (stopped there, nothing committed past it): {source}")]
    Undecodable {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// Why it cannot be decoded (a [`Fault::Record`] error).
        source: Box<Error>,
    },

    /// The environment (registry, broker) failed while a record was in hand, and retrying
    /// within the budget did not help (or cannot: 401/403). The record was neither handled nor
    /// dead-lettered, and no offset was committed past it.
    #[error("{topic}/{partition}@{offset}: gave up after {waited:?} (nothing dead-lettered or committed past this record): {source}")]
    Environment {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// How long it was retried.
        waited: Duration,
        /// The last error (a [`Fault::Transient`] or [`Fault::Fatal`] one).
        source: Box<Error>,
    },

    /// A handler failed on a record and the consumer stopped there, its offset not committed:
    /// the handler said stop ([`Verdict::Stop`](crate::consumer::Verdict::Stop)), or it kept
    /// failing (or gave the record up) and the dead-letter policy is to stop. Also the
    /// exactly-once processor's transform failing on a record.
    #[error("handler failed on {topic}/{partition}@{offset} {}: {source}", handler_outcome(*verdict))]
    Handler {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// What the handler's failure asked for.
        verdict: crate::consumer::verdict::Verdict,
        /// The handler's error, whole (its own source chain included).
        source: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    },
}

/// How [`Error::Handler`] came about, for its message.
fn handler_outcome(verdict: crate::consumer::verdict::Verdict) -> &'static str {
    use crate::consumer::verdict::Verdict;
    match verdict {
        Verdict::Stop => "and stopped the consumer (nothing committed past it)",
        Verdict::DeadLetter => "and gave the record up (no dead-letter topic configured)",
        _ => "after its retries (no dead-letter topic configured)",
    }
}

/// A frame that is not a Confluent frame is a schema-layer error like any other.
impl From<crate::wire::WireError> for Error {
    fn from(e: crate::wire::WireError) -> Self {
        Error::Schema(SchemaError::Frame(e))
    }
}

/// Whose fault an error is, which decides what a consumer does with the record in hand (see
/// the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The record is bad: dead-letter it (or stop, by policy).
    Record,
    /// The environment failed and may recover: retry, holding the position.
    Transient,
    /// The environment refuses and will not recover by retrying: stop, holding the position.
    Fatal,
}

impl Error {
    /// Whose fault this error is, when it happened while decoding or handling a record.
    pub fn fault(&self) -> Fault {
        match self {
            Error::Registry(r) => registry_fault(r),
            Error::Kafka { .. } if self.is_fatal() => Fault::Fatal,
            Error::Kafka { .. } => Fault::Transient,
            Error::Environment { source, .. } => match source.fault() {
                Fault::Record => Fault::Fatal,
                f => f,
            },
            Error::Undecodable { .. } | Error::Schema(_) | Error::Handler { .. } => Fault::Record,
            Error::Rule(
                crate::rules::RuleError::Failed(_) | crate::rules::RuleError::NoMigration { .. },
            ) => Fault::Record,
            Error::Rule(crate::rules::RuleError::Invalid { .. }) => Fault::Fatal,
        }
    }

    /// Whether librdkafka (or the registry) says retrying the operation may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Kafka { source, .. } => kafka_is_retriable(source),
            Error::Registry(r) => r.is_transient(),
            Error::Environment { source, .. } => source.is_retriable(),
            _ => false,
        }
    }

    /// Whether the Kafka client is unusable from now on (a fatal librdkafka error, e.g. a
    /// fenced transactional producer): make a new client, do not retry with this one.
    pub fn is_fatal(&self) -> bool {
        match self {
            Error::Kafka { source, .. } => kafka_is_fatal(source),
            Error::Environment { source, .. } => source.is_fatal(),
            _ => false,
        }
    }

    /// Whether the current transaction must be aborted before going on (librdkafka's
    /// `txn_requires_abort`): abort, rewind, and retry the batch.
    pub fn requires_abort(&self) -> bool {
        match self {
            Error::Kafka {
                source: KafkaError::Transaction(e),
                ..
            } => e.txn_requires_abort(),
            _ => false,
        }
    }
}

fn registry_fault(r: &RegistryError) -> Fault {
    if r.is_transient() {
        return Fault::Transient;
    }
    match r {
        // The id (or GUID) in the record is one the registry does not know: the record's fault.
        RegistryError::Response {
            code: ErrorCode::SchemaNotFound,
            ..
        } => Fault::Record,
        // The registry answered something that is not JSON we know: a proxy page, a wrong URL
        // under load. It may pass; it is not the record's fault.
        RegistryError::BadResponse { .. } => Fault::Transient,
        // 401/403, other 4xx (a wrong URL answers 404 for everything), a bad configuration:
        // retrying will not help and the record is not to blame.
        _ => Fault::Fatal,
    }
}

fn kafka_is_fatal(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => t.is_fatal(),
        other => matches!(
            other.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::Fatal
                    | RDKafkaErrorCode::Fenced
                    | RDKafkaErrorCode::ProducerFenced
                    | RDKafkaErrorCode::InvalidProducerEpoch
                    | RDKafkaErrorCode::TransactionalIdAuthorizationFailed
                    | RDKafkaErrorCode::ClusterAuthorizationFailed
                    | RDKafkaErrorCode::InvalidConfig
            )
        ),
    }
}

fn kafka_is_retriable(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => t.is_retriable(),
        other => matches!(
            other.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::QueueFull
                    | RDKafkaErrorCode::MessageTimedOut
                    | RDKafkaErrorCode::RequestTimedOut
                    | RDKafkaErrorCode::OperationTimedOut
                    | RDKafkaErrorCode::NotEnoughReplicas
                    | RDKafkaErrorCode::NotEnoughReplicasAfterAppend
                    | RDKafkaErrorCode::LeaderNotAvailable
                    | RDKafkaErrorCode::NotLeaderForPartition
                    | RDKafkaErrorCode::BrokerTransportFailure
                    | RDKafkaErrorCode::AllBrokersDown
                    | RDKafkaErrorCode::NetworkException
                    | RDKafkaErrorCode::CoordinatorLoadInProgress
                    | RDKafkaErrorCode::CoordinatorNotAvailable
                    | RDKafkaErrorCode::NotCoordinator
                    | RDKafkaErrorCode::UnknownTopicOrPartition
            )
        ),
    }
}

/// The crate's error for a failed Kafka operation: what was being done, and librdkafka's error.
pub(crate) fn kafka_error(operation: &str, source: KafkaError) -> Error {
    Error::Kafka {
        operation: operation.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireError;

    fn response(status: u16, code: i32) -> RegistryError {
        RegistryError::Response {
            method: "GET".into(),
            url: "http://r/schemas/ids/1".into(),
            status,
            code: ErrorCode::from_code(code),
            message: "m".into(),
            credentials_sent: false,
        }
    }

    #[test]
    fn whose_fault() {
        let unknown_id = Error::Registry(response(404, 40403));
        assert_eq!(unknown_id.fault(), Fault::Record);
        let down = Error::Registry(RegistryError::Transport {
            method: "GET".into(),
            url: "http://r".into(),
            reason: "Connection refused".into(),
        });
        assert_eq!(down.fault(), Fault::Transient);
        for status in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                Error::Registry(response(status, i32::from(status))).fault(),
                Fault::Transient
            );
        }
        assert_eq!(Error::Registry(response(401, 40101)).fault(), Fault::Fatal);
        assert_eq!(Error::Registry(response(403, 40301)).fault(), Fault::Fatal);
        assert_eq!(Error::Registry(response(404, 404)).fault(), Fault::Fatal);
        assert_eq!(
            Error::from(SchemaError::Frame(WireError::BadMagic { found: 7 })).fault(),
            Fault::Record
        );
        let fenced = kafka_error(
            "producing",
            KafkaError::MessageProduction(RDKafkaErrorCode::ProducerFenced),
        );
        assert!(fenced.is_fatal());
        assert_eq!(fenced.fault(), Fault::Fatal);
        let timed_out = kafka_error(
            "producing",
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut),
        );
        assert!(timed_out.is_retriable() && !timed_out.is_fatal());
        assert_eq!(timed_out.fault(), Fault::Transient);
    }
}
