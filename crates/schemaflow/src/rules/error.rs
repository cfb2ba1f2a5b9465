//! The rule engine's errors: a data contract that cannot be used (found when its rules are
//! compiled: at a producer's start-up or a consumer's first record of a schema id), and a
//! record a rule refused (the record's fault), with what Confluent's DLQ action writes in its
//! `__rule.*` headers.

use super::action::Action;

/// Header of a rule's dead letter: the rule's name (Confluent's `DLQ_RULE_NAME_HEADER`).
pub const HEADER_RULE_NAME: &str = "__rule.name";
/// Header: the mode the rule ran in (`WRITE`, `READ`).
pub const HEADER_RULE_MODE: &str = "__rule.mode";
/// Header: the subject whose rule it was.
pub const HEADER_RULE_SUBJECT: &str = "__rule.subject";
/// Header: the topic of the record.
pub const HEADER_RULE_TOPIC: &str = "__rule.topic";
/// Header: why the rule failed.
pub const HEADER_RULE_EXCEPTION: &str = "__rule.exception";

/// A data-contract rule error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A rule of a schema cannot be used: its expression does not compile, or it names an
    /// action that does not exist. Found before any record is handled with that schema.
    #[error("data contract of {schema}: rule {rule:?} cannot be used: {reason}")]
    Invalid {
        /// Which schema (`subject user-events-value`, `schema id 3`).
        schema: String,
        /// The rule's name.
        rule: String,
        /// Why.
        reason: String,
    },
    /// The record's writer schema is not a version of the subject the consumer reads it as,
    /// so no chain of migrations leads from it to the reader version: the record's fault.
    #[error("schema id {writer} is not a version of subject {subject}: no migration path to the reader version")]
    NoMigration {
        /// The writer schema id.
        writer: u32,
        /// The subject.
        subject: String,
    },
    /// A rule refused the record (a `CONDITION` was false, or the rule could not run) and its
    /// `onFailure` action is `ERROR` or `DLQ`: the record's fault.
    #[error("{}", .0)]
    Failed(Box<RuleFailure>),
}

/// A record a rule refused: what Confluent's DLQ action records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFailure {
    /// The rule's name.
    pub rule: String,
    /// The mode it ran in: `WRITE` or `READ`.
    pub mode: &'static str,
    /// The subject.
    pub subject: String,
    /// The record's topic.
    pub topic: String,
    /// Why it failed (Python's `str(ex)`: the rule's `doc`, else `Rule expr failed: <expr>`,
    /// else the executor's error).
    pub exception: String,
    /// The action taken: [`Action::Error`] or [`Action::Dlq`].
    pub action: Action,
    /// The rule's `dlq.topic` parameter, when it names one.
    pub dlq_topic: Option<String>,
}

impl std::fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule {:?} ({} of {}) refused the record on {}: {}",
            self.rule, self.mode, self.subject, self.topic, self.exception
        )?;
        if self.action == Action::Dlq {
            f.write_str(" (onFailure: DLQ)")?;
        }
        Ok(())
    }
}

impl RuleFailure {
    /// The `__rule.*` headers Confluent's DLQ action adds, in its order.
    pub fn headers(&self) -> [(&'static str, &[u8]); 5] {
        [
            (HEADER_RULE_NAME, self.rule.as_bytes()),
            (HEADER_RULE_MODE, self.mode.as_bytes()),
            (HEADER_RULE_SUBJECT, self.subject.as_bytes()),
            (HEADER_RULE_TOPIC, self.topic.as_bytes()),
            (HEADER_RULE_EXCEPTION, self.exception.as_bytes()),
        ]
    }
}
