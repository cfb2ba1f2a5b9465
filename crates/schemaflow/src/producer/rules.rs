//! A producer's data-contract rules: the WRITE domain rules of the schema it writes with,
//! run on each record's frame (decoded to JSON with the same schema, re-encoded only when a
//! `TRANSFORM` ran). A schema without WRITE rules has none of this: the producer keeps `None`
//! and its hot path is one branch.

use std::sync::Arc;

use crate::codec::WriterSchema;
use crate::error::Result;
use crate::rules::{encode, DomainRules};

/// The WRITE rules of one (type, topic) pair's schema, with what running them needs.
#[derive(Debug)]
pub(super) struct WriteRules {
    /// The subject the schema is registered under (the `__rule.subject` of a failure).
    pub subject: String,
    /// The compiled rules.
    pub rules: Arc<DomainRules>,
    /// The schema, parsed: frames to JSON and back.
    pub writer: WriterSchema,
}

impl WriteRules {
    /// Run the rules on `frame`, a record for `topic`: `frame` is left as the rules leave it.
    pub fn apply(&self, topic: &str, frame: &mut Vec<u8>) -> Result<()> {
        encode::apply_to_frame(&self.rules, &self.writer, &self.subject, topic, frame)
    }
}
