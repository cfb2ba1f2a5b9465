//! The CLI's logs: one `tracing` subscriber, installed before any command runs, writing to
//! stderr (stdout carries only a command's output), as text or as JSON lines.
//!
//! `RUST_LOG` chooses what is logged (`RUST_LOG=debug`, `RUST_LOG=schemaflow_registry=debug`).
//! Without it, `registry serve` logs at `info` (its start-up configuration, one access line per
//! request, every warning), like any server an operator runs; the other commands log nothing, as
//! their one line on stderr already says what went wrong, and librdkafka's own chatter (which
//! rdkafka routes through `tracing`) would bury it. No secret is ever a field of a log event:
//! configurations are logged through their redacting `Debug`, URLs without user-info.

use std::io::IsTerminal;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines: time, level, target, message and fields.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`, …), for log shippers.
    Json,
}

/// Installs the subscriber: `RUST_LOG` if set (an invalid one is reported and ignored), else
/// `default_level` (`"off"` for commands that should stay quiet).
pub fn install(format: LogFormat, default_level: &str) {
    let (filter, bad) = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => match EnvFilter::try_new(&v) {
            Ok(f) => (f, None),
            Err(e) => (EnvFilter::new(default_level), Some(format!("{v:?}: {e}"))),
        },
        _ => (EnvFilter::new(default_level), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never into a file or a log shipper.
        .with_ansi(std::io::stderr().is_terminal());
    // A second install (tests calling `run` twice in one process) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Some(bad) = bad {
        tracing::warn!("RUST_LOG ignored, not a valid filter: {bad}");
        if default_level == "off" {
            eprintln!("schemaflow: RUST_LOG ignored, not a valid filter: {bad}");
        }
    }
}
