//! The schema ids a producer resolved, read without a lock on the hot path.
//!
//! A producer sends a handful of (Rust type, topic) pairs, each resolved once (registry round
//! trip) and then read for every record. The table is a fixed row of write-once slots filled in
//! order: a read is a scan of the filled slots (one atomic load and a comparison each), a write
//! happens once per pair. Past [`SLOTS`] pairs nothing more is kept here; those records
//! resolve through the registry client's own cache (slower, still correct).

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use crate::codec::json_schema::JsonWriterSchema;
use crate::wire::SchemaId;

/// Pairs kept, at most.
pub const SLOTS: usize = 64;

/// What a (type, topic) pair resolved to.
#[derive(Debug, Clone)]
pub(super) struct ResolvedId {
    /// The value's schema id.
    pub id: SchemaId,
    /// `__value_schema_id` header value (magic 1 + GUID), when ids travel in headers (shared:
    /// a copy per record is a reference count, not an allocation).
    pub guid_header: Option<Arc<[u8]>>,
    /// JSON Schema written under an id the producer did not register its type's schema for
    /// (the latest version, a fixed id): the schema the registry has under `id`, which values
    /// are validated against instead of the type's own.
    pub json_writer: Option<Arc<JsonWriterSchema>>,
    /// The WRITE rules of the schema, when it has some (`None`: nothing runs, nothing is
    /// converted).
    pub rules: Option<Arc<super::rules::WriteRules>>,
}

/// Equal ids, header values, and the same JSON writer schema and compiled rules (by identity:
/// each is resolved once per pair).
impl PartialEq for ResolvedId {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.guid_header == other.guid_header
            && match (&self.json_writer, &other.json_writer) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
            && match (&self.rules, &other.rules) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for ResolvedId {}

#[derive(Debug)]
struct Slot {
    ty: TypeId,
    topic: Box<str>,
    resolved: ResolvedId,
}

/// Resolved schema ids by Rust type (two versions of a schema share a full name but not a
/// type) and topic.
#[derive(Debug)]
pub(super) struct SchemaIds {
    slots: Box<[OnceLock<Slot>]>,
}

impl Default for SchemaIds {
    fn default() -> Self {
        SchemaIds {
            slots: (0..SLOTS).map(|_| OnceLock::new()).collect(),
        }
    }
}

impl SchemaIds {
    /// The pair's resolution, if kept.
    pub fn get(&self, ty: TypeId, topic: &str) -> Option<&ResolvedId> {
        for slot in self.slots.iter() {
            // Slots fill in order: the first empty one ends the filled ones.
            let s = slot.get()?;
            if s.ty == ty && *s.topic == *topic {
                return Some(&s.resolved);
            }
        }
        None
    }

    /// Keep the pair's resolution (in the first free slot; nowhere when all are taken).
    pub fn insert(&self, ty: TypeId, topic: &str, resolved: ResolvedId) {
        let mut slot_value = Slot {
            ty,
            topic: topic.into(),
            resolved,
        };
        for slot in self.slots.iter() {
            if let Some(s) = slot.get() {
                if s.ty == ty && *s.topic == *topic {
                    return; // another task resolved it meanwhile
                }
                continue;
            }
            match slot.set(slot_value) {
                Ok(()) => return,
                // Another pair took this slot first: try the next one.
                Err(back) => slot_value = back,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(id: u32) -> ResolvedId {
        ResolvedId {
            id: SchemaId(id),
            guid_header: None,
            json_writer: None,
            rules: None,
        }
    }

    #[test]
    fn pairs_are_kept_by_type_and_topic() {
        let ids = SchemaIds::default();
        let (a, b) = (TypeId::of::<u8>(), TypeId::of::<u16>());
        assert_eq!(ids.get(a, "t"), None);
        ids.insert(a, "t", resolved(1));
        ids.insert(b, "t", resolved(2));
        ids.insert(a, "u", resolved(3));
        ids.insert(a, "t", resolved(9)); // already kept: the first answer stays
        assert_eq!(ids.get(a, "t"), Some(&resolved(1)));
        assert_eq!(ids.get(b, "t"), Some(&resolved(2)));
        assert_eq!(ids.get(a, "u"), Some(&resolved(3)));
        assert_eq!(ids.get(b, "u"), None);
    }

    #[test]
    fn a_full_table_keeps_no_more_and_still_answers_the_kept() {
        let ids = SchemaIds::default();
        let ty = TypeId::of::<u8>();
        for n in 0..SLOTS + 3 {
            ids.insert(ty, &format!("t{n}"), resolved(n as u32));
        }
        assert_eq!(ids.get(ty, "t0"), Some(&resolved(0)));
        assert_eq!(
            ids.get(ty, &format!("t{}", SLOTS - 1)),
            Some(&resolved(SLOTS as u32 - 1))
        );
        assert_eq!(ids.get(ty, &format!("t{SLOTS}")), None);
    }
}
