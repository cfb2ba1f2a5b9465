//! [`ReadableSchema`]: a writer schema as the consumer reads with it. A file of its own
//! because both the resolver (`schemas.rs`) and the migrations (`migrations.rs`) hand it out.

use std::sync::Arc;

use crate::codec::WriterSchema;
use crate::rules::DomainRules;

/// A writer schema ready to read with: parsed, and its data contract's READ rules compiled
/// (`None` when no rule runs on read: then nothing is converted).
#[derive(Debug, Clone)]
pub struct ReadableSchema {
    /// The parsed schema.
    pub schema: WriterSchema,
    /// Its domain rules that run on read, in the order they run.
    pub read_rules: Option<Arc<DomainRules>>,
}
