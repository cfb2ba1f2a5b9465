//! `schemaflow registry serve` as a real process, for the tests that need the binary itself
//! (flags, signals, its log, a second instance on one folder): started with the flags a test
//! gives, and known to serve once it printed its URL — its first line on stdout — or known
//! refused, with its exit status and stderr, when stdout closed without one.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};

/// A `registry serve` command being put together.
pub struct Serve {
    cmd: Command,
    stderr: bool,
}

/// How a `registry serve` started.
pub enum Started {
    /// It printed its URL: it serves (its stderr is the child's, piped if asked for).
    Serving { child: Child, url: String },
    /// It ended without serving.
    Refused { status: ExitStatus, stderr: String },
}

impl Serve {
    /// `registry serve --listen LISTEN` (`127.0.0.1:0`: any free port).
    pub fn on(listen: &str) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
        cmd.args(["registry", "serve", "--listen", listen])
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        Serve { cmd, stderr: false }
    }

    /// On any free port of the loopback.
    pub fn new() -> Self {
        Self::on("127.0.0.1:0")
    }

    /// More flags.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// One more flag (a path, say).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// An environment variable for the process.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// An environment variable the process must not inherit.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Keep the process's stderr (piped) instead of discarding it: a refusal's reason, or
    /// the log a test reads.
    pub fn keep_stderr(mut self) -> Self {
        self.stderr = true;
        self
    }

    /// Start it and wait for its URL, or for it to end.
    pub fn start(mut self) -> Started {
        let stderr = if self.stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = self
            .cmd
            .stderr(stderr)
            .spawn()
            .expect("start schemaflow registry serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("read the first line of registry serve");
        if line.starts_with("http://") || line.starts_with("https://") {
            return Started::Serving {
                child,
                url: line.trim().to_string(),
            };
        }
        // No URL: stdout closed, so the process is ending.
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut stderr).expect("read stderr");
        }
        let status = child.wait().expect("wait for registry serve");
        Started::Refused { status, stderr }
    }

    /// Start it; it must serve. The child and its URL.
    pub fn serving(self) -> (Child, String) {
        match self.start() {
            Started::Serving { child, url } => (child, url),
            Started::Refused { status, stderr } => {
                panic!("registry serve refused to start ({status}): {stderr}")
            }
        }
    }
}
