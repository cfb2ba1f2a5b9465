//! Reading a record as another version than its writer's: the chain of migration rules
//! between the two, as confluent-kafka-python's `_get_migrations` / `_execute_migrations`
//! build and run it.
//!
//! ```text
//! reader version: the subject's latest (use.latest.version), or its latest with given
//!   metadata properties (use.latest.with.metadata, e.g. major_version=1)
//! writer version: the subject's version holding the record's schema id
//! same version → read as today (no migration, no conversion)
//! writer < reader → UPGRADE: for each version v after the writer's up to the reader's that
//!   has UPGRADE/UPDOWN migration rules, one step running v's rules (in order)
//! writer > reader → DOWNGRADE: for each version v after the reader's up to the writer's with
//!   DOWNGRADE/UPDOWN rules, one step running v's rules in reverse; steps from the writer down
//! per record: frame → JSON (writer schema) → each step → the reader version's READ rules →
//!   frame of the reader version → the typed value
//! ```
//!
//! The chain is found once per (writer id, subject) and kept for the consumer's life: a
//! version registered later is not seen until restart (Python caches the latest version too).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::readable_schema::ReadableSchema;
use super::types::Version;
use super::CachedRegistry;
use crate::codec::WriterSchema;
use crate::error::Result;
use crate::rules::{encode, Direction, DomainRules, RuleError};
use crate::wire::SchemaId;

/// Which version of the subject a consumer reads records as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReaderVersion {
    /// Each record's own writer version: no migration. Default.
    #[default]
    Writer,
    /// The subject's latest version (Confluent's `use.latest.version`).
    Latest,
    /// The subject's latest version whose metadata properties hold all of these (Confluent's
    /// `use.latest.with.metadata`, e.g. `major_version` → `1` to stay on a compatibility
    /// group).
    LatestWithMetadata(BTreeMap<String, String>),
}

/// How records of one writer version are read as the reader version.
#[derive(Debug)]
pub struct Migration {
    /// The reader version's schema id (the frame handed to the typed decoder carries it).
    pub reader_id: SchemaId,
    /// The reader version's schema, with its READ rules.
    pub reader: ReadableSchema,
    /// The migration steps, in the order they run.
    pub steps: Vec<Arc<DomainRules>>,
}

impl Migration {
    /// Migrate `frame` (written with `writer`), a record of `topic` under `subject`: the frame
    /// of the same record as the reader version.
    pub fn apply(
        &self,
        writer: &WriterSchema,
        subject: &str,
        topic: &str,
        frame: &[u8],
    ) -> Result<Vec<u8>> {
        let (_, mut json) = writer.frame_to_json(frame)?;
        for step in &self.steps {
            json = step.run(subject, topic, json)?;
        }
        if let Some(rules) = &self.reader.read_rules {
            json = rules.run(subject, topic, json)?;
        }
        let mut out = Vec::with_capacity(frame.len());
        encode::json_to_frame(&self.reader.schema, self.reader_id, &json, &mut out)?;
        Ok(out)
    }
}

/// What planning a migration looks up: the registry, and a schema ready to read by its id.
/// The consumer's schema resolver is one; a trait so that this file and the resolver's (which
/// keeps the planned migrations) do not depend on each other.
pub(crate) trait SchemaLookup {
    /// The registry the versions are read from.
    fn registry(&self) -> &CachedRegistry;
    /// The parsed schema of `id` with its READ rules.
    fn readable(&self, id: SchemaId) -> impl std::future::Future<Output = Result<ReadableSchema>>;
}

/// The migration for records of schema `writer` read as `reader` under `subject`; `None`
/// when the writer's version is the reader's (or no reader version is asked for).
pub(super) async fn plan(
    resolver: &impl SchemaLookup,
    subject: &str,
    writer: SchemaId,
    reader: &ReaderVersion,
) -> Result<Option<Arc<Migration>>> {
    let registry = resolver.registry();
    let target = match reader {
        ReaderVersion::Writer => return Ok(None),
        ReaderVersion::Latest => registry.version(subject, Version::Latest).await?,
        ReaderVersion::LatestWithMetadata(properties) => Arc::new(
            registry
                .client()
                .latest_with_metadata(subject, properties)
                .await?,
        ),
    };
    if target.id == writer {
        return Ok(None);
    }
    let source = registry
        .client()
        .versions_for_id(writer)
        .await?
        .into_iter()
        .filter(|(s, _)| s == subject)
        .map(|(_, v)| v)
        .max()
        .ok_or_else(|| RuleError::NoMigration {
            writer: writer.0,
            subject: subject.to_string(),
        })?;
    let (direction, first, last) = match source.cmp(&target.version) {
        std::cmp::Ordering::Equal => return Ok(None),
        std::cmp::Ordering::Less => (Direction::Upgrade, source, target.version),
        std::cmp::Ordering::Greater => (Direction::Downgrade, target.version, source),
    };
    // Each version after the first brings its own rules (Python's Migration pairs: for
    // UPGRADE (previous → version) runs the target's, for DOWNGRADE (version → previous)
    // runs the source's — the later version of the pair either way).
    let mut steps = Vec::new();
    for v in first + 1..=last {
        let version = registry.version(subject, Version::Number(v)).await?;
        let fetched = registry.schema_by_id(version.id).await?;
        if let Some(step) = DomainRules::compile(
            fetched.rule_set.as_ref(),
            direction,
            &format!("subject {subject} version {v}"),
        )? {
            steps.push(step);
        }
    }
    if steps.is_empty() {
        // No rule on the way: Python then reads with Avro's own resolution from the writer
        // schema, which is what the typed decoder does without a migration.
        return Ok(None);
    }
    if direction == Direction::Downgrade {
        steps.reverse();
    }
    let reader = resolver.readable(target.id).await?;
    Ok(Some(Arc::new(Migration {
        reader_id: target.id,
        reader,
        steps,
    })))
}
