//! The registry's store: the [`State`] behind a lock, and the [`Log`] that makes it durable —
//! a local file (`crate::log::file`), a Kafka topic in Confluent's format (`crate::log::kafka`)
//! or memory (`crate::log::memory`). Writers take turns ([`Store::begin`]); readers read the
//! state at any time.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use crate::data_lock::DataDirLock;
use crate::event::Event;
use crate::log::error::LogError;
use crate::log::file::FileLog;
use crate::log::kafka::{KafkaLog, KafkaStoreConfig, KafkaStoreError};
use crate::log::memory::MemoryLog;
use crate::log::Log;
use crate::schemas_topic::leader::Leadership;
use crate::state::State;

/// The store: state behind a lock, and the log that makes it durable.
#[derive(Debug)]
pub struct Store {
    // Shared with the Kafka reader thread, which is what changes it in that backend.
    state: Arc<RwLock<State>>,
    log: Box<dyn Log>,
    /// One writer at a time: read the state, decide, commit.
    turn: Mutex<()>,
}

/// Holding this serializes writers: read the state, decide, then [`WriteGuard::commit`].
pub struct WriteGuard<'a> {
    _turn: MutexGuard<'a, ()>,
    store: &'a Store,
}

impl Store {
    fn with(state: State, log: Box<dyn Log>) -> Self {
        Store::shared(Arc::new(RwLock::new(state)), log)
    }

    fn shared(state: Arc<RwLock<State>>, log: Box<dyn Log>) -> Self {
        Store {
            state,
            log,
            turn: Mutex::new(()),
        }
    }

    /// A store kept in memory only.
    pub fn in_memory() -> Self {
        Store::with(State::default(), Box::new(MemoryLog::new()))
    }

    /// A store whose log is a Kafka topic: checks (or creates) the topic, reads it to its end,
    /// then returns. Blocking (call it off the async workers). Writes are acknowledged once
    /// this instance's reader has applied them.
    pub fn kafka(
        config: KafkaStoreConfig,
        advertised_url: String,
    ) -> Result<Self, KafkaStoreError> {
        let state = Arc::new(RwLock::new(State::default()));
        let log = KafkaLog::start(config, Arc::clone(&state), advertised_url)?;
        Ok(Store::shared(state, Box::new(log)))
    }

    /// Open (or create) the store in `dir`, replaying its log (see `crate::log::file` for what
    /// is dropped and what is refused). On a [`LogError`] other than `Io` the file is
    /// untouched. The folder stays locked until the store is dropped or
    /// [closed](Store::close): a folder another store has open is [`LogError::Locked`].
    pub fn open(dir: &Path) -> Result<Self, LogError> {
        Self::open_locked(DataDirLock::acquire(dir)?)
    }

    /// [`Store::open`] on a folder already locked (the server locks before it listens).
    pub(crate) fn open_locked(lock: DataDirLock) -> Result<Self, LogError> {
        let (log, state) = FileLog::open_locked(lock)?;
        Ok(Store::with(state, Box::new(log)))
    }

    /// Close the local log and release the data folder (after a write in progress ends), so a
    /// new store may open it at once even while something still holds this one (a connection
    /// of a stopped server). Later writes fail; reads still answer. Nothing to do elsewhere.
    pub fn close(&self) {
        self.log.close();
    }

    /// Who leads, when the log is a Kafka topic shared by several instances.
    pub fn leadership(&self) -> Option<Arc<Leadership>> {
        self.log.leadership()
    }

    /// On a Kafka store, wait until this instance has read everything written so far (see
    /// `KafkaLog::sync`); nothing to do elsewhere.
    pub fn sync(&self) -> std::io::Result<()> {
        self.log.sync()
    }

    /// How far the Kafka reader is behind its topic's end (records), on a Kafka store.
    pub fn reader_lag(&self) -> Option<i64> {
        self.log.reader_lag()
    }

    /// The Kafka cluster's id and the registry group's, on a Kafka store
    /// (for `/v1/metadata/id`).
    pub fn cluster_ids(&self) -> Option<(Option<String>, String)> {
        self.log.cluster_ids()
    }

    /// The log file, if durable.
    pub fn path(&self) -> Option<&Path> {
        self.log.path()
    }

    /// Read the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a write: one writer at a time.
    pub fn begin(&self) -> WriteGuard<'_> {
        WriteGuard {
            _turn: self.turn.lock().unwrap_or_else(|e| e.into_inner()),
            store: self,
        }
    }
}

impl WriteGuard<'_> {
    /// Read the state while holding the write turn.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.store.read()
    }

    /// Make `events` durable, then apply them (see [`Log::append`]). On Kafka: write the
    /// records Confluent writes for them, and return once this instance's reader applied them.
    pub fn commit(&mut self, events: &[Event]) -> std::io::Result<()> {
        self.store.log.append(&self.store.state, events)
    }
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io::{ErrorKind, Write};
    use std::path::PathBuf;

    use super::*;
    use crate::event::StoredSchema;
    use crate::log::error::LogError;
    use crate::log::file::LOG_FILE;
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

    fn line(e: &Event) -> Vec<u8> {
        let mut v = serde_json::to_vec(e).unwrap();
        v.push(b'\n');
        v
    }

    /// A data folder whose log holds exactly `bytes`.
    fn dir_with(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(LOG_FILE);
        std::fs::write(&log, bytes).unwrap();
        (dir, log)
    }

    #[test]
    fn replay_restores_state_and_drops_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let mut w = store.begin();
            w.commit(&[schema(1), Event::version("s", 1, 1)]).unwrap();
            w.commit(&[Event::Config {
                subject: None,
                level: Some(CompatibilityLevel::Full),
                policy: None,
                contract: Default::default(),
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
        drop(store);
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.read().schemas.len(), 2);
    }

    #[test]
    fn one_store_per_folder_until_it_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        first.begin().commit(&[schema(1)]).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, LogError::Locked { .. }), "{err:?}");
        assert_eq!(
            std::io::Error::from(err).kind(),
            ErrorKind::ResourceBusy,
            "for callers that speak io::Error"
        );
        // Closed: the folder is free although `first` still exists, which writes no more.
        first.close();
        let second = Store::open(dir.path()).unwrap();
        assert!(first.begin().commit(&[schema(2)]).is_err());
        assert_eq!(first.read().schemas.len(), 1, "reads still answer");
        second.begin().commit(&[schema(2)]).unwrap();
        drop(second);
        let ids: Vec<u32> = Store::open(dir.path())
            .unwrap()
            .read()
            .schemas
            .keys()
            .copied()
            .collect();
        assert_eq!(ids, [1, 2]);
    }

    #[test]
    fn a_parsable_last_line_without_newline_is_dropped_and_nothing_is_padded() {
        let mut bytes = line(&schema(1));
        let good = bytes.len() as u64;
        let mut torn = line(&schema(2));
        torn.pop(); // the crash came just before the newline
        bytes.extend_from_slice(&torn);
        let (dir, log) = dir_with(&bytes);

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.read().schemas.len(),
            1,
            "the unacknowledged line is not applied"
        );
        assert_eq!(std::fs::metadata(&log).unwrap().len(), good);
        store.begin().commit(&[schema(2), schema(3)]).unwrap();
        drop(store);

        let bytes = std::fs::read(&log).unwrap();
        assert!(!bytes.contains(&0), "no NUL padding in {bytes:?}");
        let reopened = Store::open(dir.path()).unwrap();
        let ids: Vec<u32> = reopened.read().schemas.keys().copied().collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn torn_tails_of_whitespace_or_partial_json_are_dropped() {
        for tail in [&b"   "[..], b"\r", b"{", b"{\"event\":\"sch", b"\0\0\0\0"] {
            let mut bytes = line(&schema(1));
            let good = bytes.len() as u64;
            bytes.extend_from_slice(tail);
            let (dir, log) = dir_with(&bytes);
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.read().schemas.len(), 1, "tail {tail:?}");
            assert_eq!(
                std::fs::metadata(&log).unwrap().len(),
                good,
                "tail {tail:?}"
            );
        }
    }

    #[test]
    fn an_empty_or_missing_log_opens_empty() {
        let (dir, log) = dir_with(b"");
        let store = Store::open(dir.path()).unwrap();
        assert!(store.read().schemas.is_empty());
        assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);

        let fresh = tempfile::tempdir().unwrap();
        let sub = fresh.path().join("new");
        let store = Store::open(&sub).unwrap();
        assert_eq!(store.path(), Some(sub.join(LOG_FILE).as_path()));
        assert!(store.read().schemas.is_empty());
    }

    #[test]
    fn a_complete_last_line_and_blank_lines_are_kept() {
        let mut bytes = line(&schema(1));
        bytes.extend_from_slice(b"\n  \n");
        bytes.extend_from_slice(&line(&schema(2)));
        let (dir, log) = dir_with(&bytes);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.read().schemas.len(), 2);
        assert_eq!(std::fs::read(&log).unwrap(), bytes, "nothing cut");
    }

    #[test]
    fn crlf_line_endings_read_the_same_and_appends_use_lf() {
        let mut bytes = Vec::new();
        for id in [1, 2] {
            let mut l = line(&schema(id));
            l.insert(l.len() - 1, b'\r');
            bytes.extend_from_slice(&l);
        }
        let (dir, log) = dir_with(&bytes);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.read().schemas.len(), 2);
        store.begin().commit(&[schema(3)]).unwrap();
        drop(store);
        assert!(std::fs::read(&log).unwrap().ends_with(b"}\n"));
        assert_eq!(Store::open(dir.path()).unwrap().read().schemas.len(), 3);
    }

    #[test]
    fn a_corrupt_middle_line_is_refused_and_the_file_left_alone() {
        let mut bytes = line(&schema(1));
        bytes.extend_from_slice(b"{\"event\":\"schema\",\"id\":2 garbage\n");
        bytes.extend_from_slice(&line(&schema(3)));
        let (dir, log) = dir_with(&bytes);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(&err, LogError::Corrupt { line: 2, path, .. } if *path == log),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&log.display().to_string()), "{msg}");
        assert!(msg.contains("line 2 cannot be read"), "{msg}");
        assert!(msg.contains("at column"), "{msg}");
        assert!(msg.contains("backup"), "{msg}");
        assert_eq!(std::fs::read(&log).unwrap(), bytes);
    }

    #[test]
    fn a_corrupt_last_complete_line_is_refused_too() {
        let mut bytes = line(&schema(1));
        bytes.extend_from_slice(b"not json\n");
        let (dir, log) = dir_with(&bytes);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, LogError::Corrupt { line: 2, .. }), "{err:?}");
        assert_eq!(std::fs::read(&log).unwrap(), bytes);
    }

    #[test]
    fn an_event_kind_from_a_newer_version_is_refused() {
        let mut bytes = line(&schema(1));
        bytes.extend_from_slice(b"{\"event\":\"tag_subject\",\"subject\":\"s\"}\n");
        bytes.extend_from_slice(&line(&schema(2)));
        let (dir, log) = dir_with(&bytes);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(&err, LogError::NewerEvent { line: 2, kind, .. } if kind == "tag_subject"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("\"tag_subject\" event"), "{msg}");
        assert!(msg.contains("written by a newer schemaflow?"), "{msg}");
        assert_eq!(std::fs::read(&log).unwrap(), bytes);
    }

    #[test]
    fn a_known_kind_with_a_value_this_version_cannot_read_is_refused() {
        let mut bytes = line(&schema(1));
        bytes
            .extend_from_slice(b"{\"event\":\"config\",\"subject\":null,\"level\":\"SIDEWAYS\"}\n");
        let (dir, _log) = dir_with(&bytes);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, LogError::Corrupt { line: 2, .. }), "{err:?}");
        assert!(err.to_string().contains("SIDEWAYS"), "{err}");
    }

    #[test]
    fn extra_fields_from_a_newer_version_are_ignored() {
        let mut bytes = line(&schema(1));
        bytes.extend_from_slice(
            b"{\"event\":\"version\",\"subject\":\"s\",\"version\":1,\"id\":1,\"note\":\"x\"}\n",
        );
        let (dir, _log) = dir_with(&bytes);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.read().live_versions("s").len(), 1);
    }

    #[test]
    fn a_pair_joined_by_an_older_versions_nul_pad_is_read_as_two_events() {
        // What the old replay left: a parsable torn line padded with a NUL, then an append.
        let mut bytes = line(&schema(1));
        let mut torn = line(&schema(2));
        torn.pop();
        bytes.extend_from_slice(&torn);
        bytes.push(0);
        bytes.extend_from_slice(&line(&schema(3)));
        let (dir, log) = dir_with(&bytes);
        let store = Store::open(dir.path()).unwrap();
        let ids: Vec<u32> = store.read().schemas.keys().copied().collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(std::fs::read(&log).unwrap(), bytes);

        // A NUL anywhere else is damage.
        let (dir, _log) = dir_with(b"{\"event\":\0\"schema\"}\n");
        assert!(matches!(
            Store::open(dir.path()),
            Err(LogError::Corrupt { line: 1, .. })
        ));
    }

    #[test]
    fn log_errors_convert_to_invalid_data_io_errors() {
        let (dir, _log) = dir_with(b"oops\n");
        let err: std::io::Error = Store::open(dir.path()).unwrap_err().into();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<LogError>());
        assert!(matches!(inner, Some(LogError::Corrupt { line: 1, .. })));
    }
}
