//! The registry's log in a local file.
//!
//! Every change is an [`Event`], appended as one JSON line to `registry.log` in the data folder
//! and fsynced before the change is applied and answered, so every acknowledged write survives
//! `kill -9`. A line counts as written only once its newline is on disk: a write is acknowledged
//! after the fsync that covers its newline.
//! One store at a time uses a folder: it holds an OS lock on `registry.lock` there for as long
//! as it is open (`data_lock.rs`); a second one is refused with [`LogError::Locked`].
//!
//! Start-up ([`crate::Store::open`]) replays the log line by line:
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

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use super::error::LogError;
use super::{apply_all, Log};
use crate::data_lock::DataDirLock;
use crate::event::{Event, KNOWN_KINDS};
use crate::state::State;

/// The log's file name inside the data folder.
pub const LOG_FILE: &str = "registry.log";

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

/// The local log file and the folder lock that makes it this store's alone.
#[derive(Debug)]
pub struct FileLog {
    path: PathBuf,
    /// `None` once closed: the folder may belong to another store by now.
    open: Mutex<Option<OpenFile>>,
}

#[derive(Debug)]
struct OpenFile {
    file: File,
    /// Held, never read: released when the log is closed or dropped, never before.
    _lock: DataDirLock,
}

impl FileLog {
    /// Open (or create) the log in the folder `lock` holds, replaying it (see the module docs
    /// for what is dropped and what is refused). On a [`LogError`] other than `Io` the file is
    /// untouched. The folder stays locked until the log is dropped or [closed](Log::close).
    pub(crate) fn open_locked(lock: DataDirLock) -> Result<(Self, State), LogError> {
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
        let log = FileLog {
            path,
            open: Mutex::new(Some(OpenFile { file, _lock: lock })),
        };
        Ok((log, replay.state))
    }
}

impl Log for FileLog {
    /// One JSON line per event, fsynced, then applied.
    fn append(&self, state: &RwLock<State>, events: &[Event]) -> std::io::Result<()> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let Some(OpenFile { file, .. }) = open.as_mut() else {
            return Err(std::io::Error::other(
                "the registry is stopped: its data folder is closed",
            ));
        };
        let mut buf = Vec::new();
        for e in events {
            serde_json::to_writer(&mut buf, e).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        file.write_all(&buf)?;
        file.sync_data()?;
        apply_all(state, events);
        Ok(())
    }

    fn close(&self) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(open);
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }
}
