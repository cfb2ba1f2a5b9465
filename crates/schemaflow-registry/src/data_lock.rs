//! One registry per data folder: an exclusive lock on `registry.lock` inside it.
//!
//! Two registries appending to one `registry.log` each hand out ids from their own copy of the
//! state, so they give one id to two different schemas, and the log then replays into
//! something neither of them served. The lock is an OS advisory lock (`flock`) on a file of
//! its own, taken before anything is read and held for as long as the log is open. The OS
//! drops it when the holder ends, however it ends (`kill -9` included), so a crashed registry
//! never leaves a stale lock behind; the file itself stays, and the next holder overwrites
//! what it says. `flock` locks belong to an open file, not to a process: a second open in the
//! same process (two in-process registries on one folder) is refused the same way.
//!
//! The file holds the holder's pid and, once it listens, its URL, so the one refused can
//! name it. That text is only informative: the lock, not the file's content, decides.
//!
//! On platforms without `flock` (not Unix) nothing is locked.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::log::error::LogError;

/// The lock file's name inside the data folder.
pub(crate) const LOCK_FILE: &str = "registry.lock";

/// The data folder's lock, held until this is dropped.
#[derive(Debug)]
pub(crate) struct DataDirLock {
    /// The locked file; closing it releases the lock.
    file: File,
    /// The data folder.
    dir: PathBuf,
}

impl DataDirLock {
    /// Create `dir` if needed and lock it, recording this process' pid; a folder locked by
    /// another registry (or another store in this process) is [`LogError::Locked`].
    pub(crate) fn acquire(dir: &Path) -> Result<Self, LogError> {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LogError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOCK_FILE);
        // Not truncated on open: until the lock is ours, the text is the holder's.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        if !try_lock(&file).map_err(io_err(&path))? {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "pid unknown".to_string());
            return Err(LogError::Locked {
                dir: dir.to_path_buf(),
                holder,
            });
        }
        let mut lock = DataDirLock {
            file,
            dir: dir.to_path_buf(),
        };
        lock.record_holder(None).map_err(io_err(&path))?;
        Ok(lock)
    }

    /// The locked folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write `pid N` (and `, listening on URL` once known) into the lock file, for the message
    /// of the next registry that is refused.
    pub(crate) fn record_holder(&mut self, url: Option<&str>) -> std::io::Result<()> {
        let mut text = format!("pid {}", std::process::id());
        if let Some(url) = url {
            text.push_str(", listening on ");
            text.push_str(url);
        }
        text.push('\n');
        // Overwrite, then cut: a reader never finds the file empty.
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.set_len(text.len() as u64)
    }
}

/// Take the exclusive lock without waiting: `false` when another open file holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// No `flock` here: every open "succeeds" (see the module docs).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = DataDirLock::acquire(dir.path()).unwrap();
        first.record_holder(Some("http://127.0.0.1:1")).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        let pid = std::process::id();
        assert!(
            matches!(&err, LogError::Locked { holder, .. }
                if *holder == format!("pid {pid}, listening on http://127.0.0.1:1")),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("in use by another registry"),
            "{err}"
        );
        drop(first);
        // Released on drop; the old text is overwritten, not appended to.
        let _again = DataDirLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            format!("pid {pid}\n")
        );
    }
}
