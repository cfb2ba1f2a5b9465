//! The registry's state and its durable log.
//!
//! Every change is an [`Event`], appended as one JSON line to `registry.log` in the data folder
//! and fsynced before the change is applied and answered, so every acknowledged write survives
//! `kill -9`. Start-up replays the log; a torn last line (a write cut by a crash, never
//! acknowledged) is dropped. Without a data folder the store lives in memory only.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};

use crate::registry::types::{CompatibilityLevel, Mode, SchemaReference};
use crate::SchemaType;

/// A schema known to the registry, under its global id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchema {
    /// Global id.
    pub id: u32,
    /// Language.
    #[serde(with = "crate::registry::types::schema_type_serde")]
    pub schema_type: SchemaType,
    /// The text as registered.
    pub schema: String,
    /// Dependencies.
    pub references: Vec<SchemaReference>,
    /// GUID (Confluent 8.x).
    pub guid: String,
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version number.
    pub version: i32,
    /// The schema id.
    pub id: u32,
    /// Soft-deleted.
    pub deleted: bool,
}

/// One change, as written to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A new schema id.
    Schema(StoredSchema),
    /// A new version of a subject.
    Version {
        /// Subject.
        subject: String,
        /// Version number.
        version: i32,
        /// Schema id.
        id: u32,
    },
    /// A version deleted (soft, or permanently after a soft delete).
    DeleteVersion {
        /// Subject.
        subject: String,
        /// Version number.
        version: i32,
        /// Permanent.
        permanent: bool,
    },
    /// Compatibility level set (`None` subject: global) or removed (`None` level).
    Config {
        /// Subject, or global.
        subject: Option<String>,
        /// The level, or removed.
        level: Option<CompatibilityLevel>,
    },
    /// Mode set or removed.
    Mode {
        /// Subject, or global.
        subject: Option<String>,
        /// The mode, or removed.
        mode: Option<Mode>,
    },
}

/// The registry's state: what replaying the log gives.
#[derive(Debug, Default)]
pub struct State {
    /// Schemas by id.
    pub schemas: BTreeMap<u32, StoredSchema>,
    /// Versions by subject, in version order.
    pub subjects: BTreeMap<String, Vec<VersionEntry>>,
    /// Global compatibility level (default BACKWARD).
    pub global_level: Option<CompatibilityLevel>,
    /// Per-subject levels.
    pub subject_levels: HashMap<String, CompatibilityLevel>,
    /// Global mode.
    pub global_mode: Option<Mode>,
    /// Per-subject modes.
    pub subject_modes: HashMap<String, Mode>,
    /// GUID → id.
    pub guids: HashMap<String, u32>,
}

impl State {
    fn apply(&mut self, event: &Event) {
        match event {
            Event::Schema(s) => {
                self.guids.insert(s.guid.clone(), s.id);
                self.schemas.insert(s.id, s.clone());
            }
            Event::Version {
                subject,
                version,
                id,
            } => {
                let versions = self.subjects.entry(subject.clone()).or_default();
                versions.push(VersionEntry {
                    version: *version,
                    id: *id,
                    deleted: false,
                });
                versions.sort_by_key(|v| v.version);
            }
            Event::DeleteVersion {
                subject,
                version,
                permanent,
            } => {
                if let Some(versions) = self.subjects.get_mut(subject) {
                    if *permanent {
                        versions.retain(|v| v.version != *version);
                    } else if let Some(v) = versions.iter_mut().find(|v| v.version == *version) {
                        v.deleted = true;
                    }
                    if versions.is_empty() {
                        self.subjects.remove(subject);
                    }
                }
            }
            Event::Config { subject, level } => match (subject, level) {
                (None, l) => self.global_level = *l,
                (Some(s), Some(l)) => {
                    self.subject_levels.insert(s.clone(), *l);
                }
                (Some(s), None) => {
                    self.subject_levels.remove(s);
                }
            },
            Event::Mode { subject, mode } => match (subject, mode) {
                (None, m) => self.global_mode = *m,
                (Some(s), Some(m)) => {
                    self.subject_modes.insert(s.clone(), *m);
                }
                (Some(s), None) => {
                    self.subject_modes.remove(s);
                }
            },
        }
    }

    /// The next free schema id.
    pub fn next_id(&self) -> u32 {
        self.schemas.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Live (not soft-deleted) versions of a subject.
    pub fn live_versions(&self, subject: &str) -> Vec<VersionEntry> {
        self.subjects
            .get(subject)
            .map(|v| v.iter().filter(|e| !e.deleted).copied().collect())
            .unwrap_or_default()
    }

    /// The level in force for a subject.
    pub fn level_for(&self, subject: &str) -> CompatibilityLevel {
        self.subject_levels
            .get(subject)
            .copied()
            .or(self.global_level)
            .unwrap_or_default()
    }

    /// The mode in force for a subject.
    pub fn mode_for(&self, subject: &str) -> Mode {
        self.subject_modes
            .get(subject)
            .copied()
            .or(self.global_mode)
            .unwrap_or_default()
    }
}

/// The store: state behind a lock, and the log that makes it durable.
#[derive(Debug)]
pub struct Store {
    state: RwLock<State>,
    log: Mutex<Option<File>>,
    path: Option<PathBuf>,
}

/// Holding this serializes writers: read the state, decide, then [`Store::commit`].
pub struct WriteGuard<'a> {
    log: MutexGuard<'a, Option<File>>,
    store: &'a Store,
}

impl Store {
    /// A store kept in memory only.
    pub fn in_memory() -> Self {
        Store {
            state: RwLock::new(State::default()),
            log: Mutex::new(None),
            path: None,
        }
    }

    /// Open (or create) the store in `dir`, replaying its log.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("registry.log");
        let mut state = State::default();
        let mut good_len: u64 = 0;
        if path.exists() {
            let reader = BufReader::new(File::open(&path)?);
            for line in reader.split(b'\n') {
                let line = line?;
                match serde_json::from_slice::<Event>(&line) {
                    Ok(event) => {
                        state.apply(&event);
                        good_len += line.len() as u64 + 1;
                    }
                    // A torn last write: it was never acknowledged. Drop it and what follows.
                    Err(_) => break,
                }
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        if file.metadata()?.len() != good_len {
            file.set_len(good_len)?;
            file.sync_all()?;
        }
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Store {
            state: RwLock::new(state),
            log: Mutex::new(Some(file)),
            path: Some(path),
        })
    }

    /// The log file, if durable.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Read the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a write: one writer at a time.
    pub fn begin(&self) -> WriteGuard<'_> {
        WriteGuard {
            log: self.log.lock().unwrap_or_else(|e| e.into_inner()),
            store: self,
        }
    }
}

impl WriteGuard<'_> {
    /// Read the state while holding the write turn.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.store.read()
    }

    /// Make `events` durable (append + fsync), then apply them.
    pub fn commit(&mut self, events: &[Event]) -> std::io::Result<()> {
        if let Some(file) = self.log.as_mut() {
            let mut buf = Vec::new();
            for e in events {
                serde_json::to_writer(&mut buf, e).map_err(std::io::Error::other)?;
                buf.push(b'\n');
            }
            file.write_all(&buf)?;
            file.sync_data()?;
        }
        let mut state = self.store.state.write().unwrap_or_else(|e| e.into_inner());
        for e in events {
            state.apply(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(id: u32) -> Event {
        Event::Schema(StoredSchema {
            id,
            schema_type: SchemaType::Avro,
            schema: format!("{{\"type\":\"fixed\",\"name\":\"F{id}\",\"size\":1}}"),
            references: vec![],
            guid: format!("g{id}"),
        })
    }

    #[test]
    fn replay_restores_state_and_drops_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let mut w = store.begin();
            w.commit(&[
                schema(1),
                Event::Version {
                    subject: "s".into(),
                    version: 1,
                    id: 1,
                },
            ])
            .unwrap();
            w.commit(&[Event::Config {
                subject: None,
                level: Some(CompatibilityLevel::Full),
            }])
            .unwrap();
        }
        // A crash mid-write leaves half a line.
        let log = dir.path().join("registry.log");
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(b"{\"event\":\"schema\",\"id\":2,").unwrap();
        drop(f);
        let store = Store::open(dir.path()).unwrap();
        {
            let s = store.read();
            assert_eq!(s.schemas.len(), 1);
            assert_eq!(s.live_versions("s").len(), 1);
            assert_eq!(s.level_for("s"), CompatibilityLevel::Full);
            assert_eq!(s.next_id(), 2);
        }
        // The torn tail is gone, and new writes land on a clean line.
        store.begin().commit(&[schema(2)]).unwrap();
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.read().schemas.len(), 2);
    }
}
