//! A log kept in memory only: the registry of a test, or of a demo. Nothing survives the
//! process; the events are kept so that the log can be replayed like the others.

use std::sync::{Mutex, RwLock};

use super::{apply_all, Log};
use crate::event::Event;
use crate::state::State;

/// The events appended so far, in order.
#[derive(Debug, Default)]
pub struct MemoryLog {
    events: Mutex<Vec<Event>>,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        MemoryLog::default()
    }

    // Only tests replay: a memory registry never restarts.
    #[cfg(test)]
    /// The state the log holds: every event appended so far, applied to an empty state.
    pub fn replay(&self) -> State {
        let mut state = State::default();
        for e in self.events.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            state.apply(e);
        }
        state
    }

    #[cfg(test)]
    /// How many events were appended.
    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    #[cfg(test)]
    /// Nothing appended yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Log for MemoryLog {
    fn append(&self, state: &RwLock<State>, events: &[Event]) -> std::io::Result<()> {
        let mut log = self.events.lock().unwrap_or_else(|e| e.into_inner());
        log.extend_from_slice(events);
        apply_all(state, events);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::StoredSchema;
    use schemaflow::registry::types::CompatibilityLevel;
    use schemaflow::SchemaType;

    fn schema(id: u32) -> Event {
        Event::Schema(StoredSchema {
            id,
            schema_type: SchemaType::Avro,
            schema: format!("{{\"type\":\"fixed\",\"name\":\"F{id}\",\"size\":1}}"),
            references: vec![],
            guid: format!("g{id}"),
            metadata: None,
            rule_set: None,
        })
    }

    #[test]
    fn an_append_is_applied_at_once_and_kept_in_order() {
        let log = MemoryLog::new();
        let state = RwLock::new(State::default());
        assert!(log.is_empty());
        log.append(&state, &[schema(1), Event::version("s", 1, 1)])
            .unwrap();
        log.append(
            &state,
            &[Event::DeleteVersion {
                subject: "s".into(),
                version: 1,
                permanent: false,
            }],
        )
        .unwrap();
        assert_eq!(log.len(), 3);
        let s = state.read().unwrap();
        assert_eq!(s.schemas.len(), 1);
        assert!(s.live_versions("s").is_empty(), "applied in order");
        assert_eq!(s.subjects["s"].len(), 1);
    }

    #[test]
    fn replay_gives_the_state_the_appends_built() {
        let log = MemoryLog::new();
        let state = RwLock::new(State::default());
        log.append(&state, &[schema(1), Event::version("s", 1, 1)])
            .unwrap();
        log.append(
            &state,
            &[Event::Config {
                subject: Some("s".into()),
                level: Some(CompatibilityLevel::Full),
                policy: None,
                contract: Default::default(),
            }],
        )
        .unwrap();
        log.append(&state, &[schema(2), Event::version("s", 2, 2)])
            .unwrap();
        let replayed = log.replay();
        let live = state.read().unwrap();
        assert_eq!(replayed.schemas, live.schemas);
        assert_eq!(replayed.subjects, live.subjects);
        assert_eq!(replayed.subject_levels, live.subject_levels);
        assert_eq!(replayed.guids, live.guids);
        assert_eq!(replayed.next_id(), 3);
        assert!(
            log.sync().is_ok(),
            "the only writer: nothing to catch up on"
        );
        assert_eq!(log.path(), None);
    }
}
