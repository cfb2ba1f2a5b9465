//! The registry's state and its durable log.
//!
//! Every change is an [`Event`], appended as one JSON line to `registry.log` in the data folder
//! and fsynced before the change is applied and answered, so every acknowledged write survives
//! `kill -9`. A line counts as written only once its newline is on disk: a write is acknowledged
//! after the fsync that covers its newline. Without a data folder the store lives in memory only.
//! One store at a time uses a folder: it holds an OS lock on `registry.lock` there for as long
//! as it is open (`data_lock.rs`); a second one is refused with [`LogError::Locked`].
//!
//! Start-up ([`Store::open`]) replays the log line by line:
//!
//! - **A final line without its newline** is a torn write (a crash cut the append, so it was
//!   never acknowledged). It is dropped and the file cut back to the last newline, even when
//!   the bytes happen to parse, so the next append starts on a fresh line. (A commit of several
//!   events cut between its lines keeps its complete lines: never acknowledged, but each event
//!   stands on its own, e.g. a schema id without its subject version.)
//! - **Any other line that cannot be read** — damaged bytes in the middle, or an event kind this
//!   version does not know (a log written by a newer schemaflow, then downgraded) — stops
//!   start-up with a [`LogError`] naming the file and the line, and the file is left byte for
//!   byte as it was. Skipping or cutting there would silently lose every acknowledged change
//!   after it; a person has to decide (restore a backup, run the newer version, or remove the
//!   line by hand after checking it).
//! - A blank line (only whitespace) holds no event and is skipped. Line endings: this version
//!   writes `\n` only; a `\r\n` ending (a file saved by a Windows editor) reads the same, since
//!   `\r` is JSON whitespace, and later appends use `\n`. A lone `\r` does not end a line.
//! - A line holding two events joined by one NUL byte is read as those two events: versions
//!   before this one padded a parsable torn last line with a NUL, and the next acknowledged
//!   append stuck to it. Serialized JSON never holds a raw NUL, so nothing else reads that way.
//!
//! Extra fields that a newer version adds to a known kind are ignored (serde's default), so
//! only a new kind, or a value this version cannot read, is refused.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};

use super::data_lock::DataDirLock;
use super::schemas_topic::apply::records_for;
use super::schemas_topic::kafka_log::{KafkaLog, KafkaStoreConfig, KafkaStoreError};
use super::schemas_topic::leader::Leadership;
use schemaflow::registry::types::{CompatibilityLevel, Mode, SchemaReference};
use schemaflow::SchemaType;

/// A schema known to the registry, under its global id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchema {
    /// Global id.
    pub id: u32,
    /// Language.
    #[serde(with = "schemaflow::registry::types::schema_type_serde")]
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
    /// A subject soft-deleted as a whole: every version up to `version` (the highest live one)
    /// is deleted — Confluent's `DELETE_SUBJECT` record, so the Kafka store writes what
    /// Confluent writes for `DELETE /subjects/{subject}`.
    DeleteSubject {
        /// Subject.
        subject: String,
        /// The highest version deleted (the watermark).
        version: i32,
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

/// The `event` tag of every [`Event`] variant: a tag outside this list was written by a newer
/// version. Keep in step with [`Event`] (the `event_kinds_are_all_known` test checks it).
const KNOWN_KINDS: &[&str] = &[
    "schema",
    "version",
    "delete_version",
    "delete_subject",
    "config",
    "mode",
];

/// The log's file name inside the data folder.
const LOG_FILE: &str = "registry.log";

/// Why [`Store::open`] refused to start. Apart from [`LogError::Io`], the file was not changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Reading, creating or cutting the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A complete line (not the last, torn one) is not an event.
    #[error(
        "{}: line {line} cannot be read ({}); the registry does not start, since going on \
         would lose every acknowledged change after that line, and the file is unchanged. \
         Restore the file from a backup, or check the line and remove it by hand (keep the \
         newline at the end of the file)",
        path.display(),
        json_reason(source)
    )]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },
    /// Another registry (another process, or another store in this one) has the folder open.
    #[error(
        "{}: the data folder is in use by another registry ({holder}); two registries on one \
         folder would give one id to different schemas. Stop that one first, or give this one \
         another folder",
        dir.display()
    )]
    Locked {
        /// The data folder.
        dir: PathBuf,
        /// What the holder wrote in the lock file: `pid N, listening on URL`.
        holder: String,
    },
    /// A complete line holds an event kind this version does not know.
    #[error(
        "{}: line {line} holds a \"{kind}\" event, which this version does not know: written \
         by a newer schemaflow? The registry does not start, and the file is unchanged. Run \
         the newer version, or restore a backup taken before it ran",
        path.display()
    )]
    NewerEvent {
        /// The log file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The unknown `event` tag.
        kind: String,
    },
}

impl From<LogError> for std::io::Error {
    /// For callers that speak `io::Error` (the server's start): the kind says which, and the
    /// [`LogError`] stays reachable through `get_ref`.
    fn from(e: LogError) -> Self {
        let kind = match &e {
            LogError::Io { source, .. } => source.kind(),
            LogError::Corrupt { .. } | LogError::NewerEvent { .. } => ErrorKind::InvalidData,
            LogError::Locked { .. } => ErrorKind::ResourceBusy,
        };
        std::io::Error::new(kind, e)
    }
}

/// serde_json's message with its position inside the one line parsed: "at column N" (its own
/// "line 1" would be read as the file's line 1).
fn json_reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(msg) if e.line() == 1 => format!("{msg} at column {}", e.column()),
        _ => full,
    }
}

/// Why one complete line is not readable, before the file and line number are known.
enum LineError {
    Json(serde_json::Error),
    Newer(String),
}

impl LineError {
    fn at(self, path: &Path, line: usize) -> LogError {
        let path = path.to_path_buf();
        match self {
            LineError::Json(source) => LogError::Corrupt { path, line, source },
            LineError::Newer(kind) => LogError::NewerEvent { path, line, kind },
        }
    }
}

/// The events in one complete line (its newline removed): none for a blank line, two for the
/// NUL-joined pair older versions could leave (see the module docs), else one.
fn parse_line(line: &[u8]) -> Result<Vec<Event>, LineError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let err = match serde_json::from_slice::<Event>(line) {
        Ok(event) => return Ok(vec![event]),
        Err(e) => e,
    };
    let mut parts = line.split(|b| *b == 0);
    if let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) {
        if let (Ok(a), Ok(b)) = (
            serde_json::from_slice::<Event>(a),
            serde_json::from_slice::<Event>(b),
        ) {
            return Ok(vec![a, b]);
        }
    }
    // Valid JSON with a tag this version lacks: a newer writer, not damage.
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(line) {
        if let Some(serde_json::Value::String(kind)) = fields.get("event") {
            if !KNOWN_KINDS.contains(&kind.as_str()) {
                return Err(LineError::Newer(kind.clone()));
            }
        }
    }
    Err(LineError::Json(err))
}

/// What replaying a log gives.
struct Replay {
    state: State,
    /// Bytes up to and including the last newline: what stays.
    good_len: u64,
    /// Complete lines read.
    lines: usize,
}

/// Replay complete lines; stop before a final line without its newline (the caller drops it).
fn replay(path: &Path, mut reader: impl BufRead) -> Result<Replay, LogError> {
    let mut r = Replay {
        state: State::default(),
        good_len: 0,
        lines: 0,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| LogError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        // End of file, or a torn last line (read_until stops short of a newline only at the end).
        let Some(line) = buf.strip_suffix(b"\n") else {
            break;
        };
        r.lines += 1;
        for event in parse_line(line).map_err(|e| e.at(path, r.lines))? {
            r.state.apply(&event);
        }
        r.good_len += n as u64;
    }
    Ok(r)
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
    /// Confluent's `metadata`/`ruleSet` of versions read from a `_schemas` topic, carried
    /// through untouched when the version's record is rewritten (e.g. a soft delete).
    pub topic_extras: BTreeMap<(String, i32), crate::schemas_topic::record::VersionExtras>,
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
            Event::DeleteSubject { subject, version } => {
                if let Some(versions) = self.subjects.get_mut(subject) {
                    for v in versions.iter_mut().filter(|v| v.version <= *version) {
                        v.deleted = true;
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

/// The store: state behind a lock, and the log that makes it durable — a local file, or a
/// Kafka topic in Confluent's format ([`super::schemas_topic`]).
#[derive(Debug)]
pub struct Store {
    // Shared with the Kafka reader thread, which is what changes it in that backend.
    state: Arc<RwLock<State>>,
    /// The local log; `None` in memory, on Kafka, and once [`Store::close`]d (`path` tells).
    log: Mutex<Option<FileLog>>,
    path: Option<PathBuf>,
    kafka: Option<KafkaLog>,
}

/// The local log file and the folder lock that makes it this store's alone.
#[derive(Debug)]
struct FileLog {
    file: File,
    /// Held, never read: released when the log is closed or dropped, never before.
    _lock: DataDirLock,
}

/// Holding this serializes writers: read the state, decide, then [`Store::commit`].
pub struct WriteGuard<'a> {
    log: MutexGuard<'a, Option<FileLog>>,
    store: &'a Store,
}

impl Store {
    /// A store kept in memory only.
    pub fn in_memory() -> Self {
        Store {
            state: Arc::new(RwLock::new(State::default())),
            log: Mutex::new(None),
            path: None,
            kafka: None,
        }
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
        Ok(Store {
            state,
            log: Mutex::new(None),
            path: None,
            kafka: Some(log),
        })
    }

    /// Open (or create) the store in `dir`, replaying its log (see the module docs for what is
    /// dropped and what is refused). On a [`LogError`] other than `Io` the file is untouched.
    /// The folder stays locked until the store is dropped or [closed](Store::close): a
    /// folder another store has open is [`LogError::Locked`].
    pub fn open(dir: &Path) -> Result<Self, LogError> {
        Self::open_locked(DataDirLock::acquire(dir)?)
    }

    /// [`Store::open`] on a folder already locked (the server locks before it listens).
    pub(crate) fn open_locked(lock: DataDirLock) -> Result<Self, LogError> {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LogError::Io { path, source }
        };
        let dir = lock.dir();
        let path = dir.join(LOG_FILE);
        // One handle to read, cut and append: nothing can slip in between.
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let replay = replay(&path, BufReader::new(&file))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len < replay.good_len {
            // Never pad: set_len would add NULs that the next append sticks to.
            return Err(io_err(&path)(std::io::Error::other(
                "the file shrank while it was read: is another registry using this folder?",
            )));
        }
        if len > replay.good_len {
            tracing::warn!(
                path = %path.display(),
                line = replay.lines + 1,
                bytes = len - replay.good_len,
                "dropping a torn last line (no newline: never acknowledged)"
            );
            file.set_len(replay.good_len).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Store {
            state: Arc::new(RwLock::new(replay.state)),
            log: Mutex::new(Some(FileLog { file, _lock: lock })),
            path: Some(path),
            kafka: None,
        })
    }

    /// Close the local log and release the data folder (after a write in progress ends), so a
    /// new store may open it at once even while something still holds this one (a connection
    /// of a stopped server). Later writes fail; reads still answer. Nothing to do elsewhere.
    pub fn close(&self) {
        if self.path.is_none() {
            return; // no local log (and a Kafka write may hold the turn for long)
        }
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(log);
    }

    /// Who leads, when the log is a Kafka topic shared by several instances.
    pub fn leadership(&self) -> Option<Arc<Leadership>> {
        self.kafka.as_ref().map(KafkaLog::leadership)
    }

    /// On a Kafka store, wait until this instance has read everything written so far (see
    /// [`KafkaLog::sync`]); nothing to do elsewhere.
    pub fn sync(&self) -> std::io::Result<()> {
        match &self.kafka {
            Some(k) => k.sync().map_err(std::io::Error::from),
            None => Ok(()),
        }
    }

    /// How far the Kafka reader is behind its topic's end (records), on a Kafka store.
    pub fn reader_lag(&self) -> Option<i64> {
        self.kafka.as_ref().map(KafkaLog::reader_lag)
    }

    /// The Kafka cluster's id and the registry group's, on a Kafka store
    /// (for `/v1/metadata/id`).
    pub fn cluster_ids(&self) -> Option<(Option<String>, String)> {
        self.kafka
            .as_ref()
            .map(|k| (k.cluster_id().map(str::to_owned), k.group_id().to_owned()))
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

    /// Make `events` durable (append + fsync), then apply them. On Kafka: write the records
    /// Confluent writes for them, and return once this instance's reader applied them.
    pub fn commit(&mut self, events: &[Event]) -> std::io::Result<()> {
        if let Some(kafka) = &self.store.kafka {
            let records = records_for(&self.store.read(), events);
            // The write waits for the broker and the reader: off the async workers when on a
            // multi-threaded runtime (a current-thread runtime has no other worker to block).
            let write = || kafka.write(records);
            let on_workers = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            return if on_workers {
                tokio::task::block_in_place(write)
            } else {
                write()
            }
            .map_err(std::io::Error::from);
        }
        match self.log.as_mut() {
            Some(FileLog { file, .. }) => {
                let mut buf = Vec::new();
                for e in events {
                    serde_json::to_writer(&mut buf, e).map_err(std::io::Error::other)?;
                    buf.push(b'\n');
                }
                file.write_all(&buf)?;
                file.sync_data()?;
            }
            // Closed: the folder may belong to another store by now.
            None if self.store.path.is_some() => {
                return Err(std::io::Error::other(
                    "the registry is stopped: its data folder is closed",
                ))
            }
            None => {}
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

    #[test]
    fn event_kinds_are_all_known() {
        let samples = [
            schema(1),
            Event::Version {
                subject: "s".into(),
                version: 1,
                id: 1,
            },
            Event::DeleteVersion {
                subject: "s".into(),
                version: 1,
                permanent: false,
            },
            Event::DeleteSubject {
                subject: "s".into(),
                version: 1,
            },
            Event::Config {
                subject: None,
                level: None,
            },
            Event::Mode {
                subject: None,
                mode: None,
            },
        ];
        for e in &samples {
            // No wildcard: a new variant fails to compile here until it has a sample above
            // and its tag is in KNOWN_KINDS.
            match e {
                Event::Schema(_)
                | Event::Version { .. }
                | Event::DeleteVersion { .. }
                | Event::DeleteSubject { .. }
                | Event::Config { .. }
                | Event::Mode { .. } => {}
            }
            let v = serde_json::to_value(e).unwrap();
            let kind = v["event"].as_str().unwrap();
            assert!(
                KNOWN_KINDS.contains(&kind),
                "{kind} missing from KNOWN_KINDS"
            );
        }
        assert_eq!(samples.len(), KNOWN_KINDS.len());
    }
}
