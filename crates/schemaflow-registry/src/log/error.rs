//! Why a file log could not be opened: the errors [`crate::Store::open`] reports, with what a
//! person should do about each.

use std::io::ErrorKind;
use std::path::PathBuf;

/// Why [`Store::open`](crate::Store::open) refused to start. Apart from [`LogError::Io`], the
/// file was not changed.
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
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(msg) if e.line() == 1 => format!("{msg} at column {}", e.column()),
        _ => full,
    }
}
