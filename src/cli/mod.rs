//! The command tree: one file per subcommand, each with its clap `Args` and a `run`.
//!
//! Exit codes for every command: 0 success, 1 the check failed, 2 usage or parse error,
//! 3 I/O, broker or registry error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;

/// Schema-registry-aware Avro/Protobuf pipeline for Kafka.
#[derive(Debug, Parser)]
#[command(name = "schemaflow", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schema changes for compatibility, as a Confluent Schema Registry would judge them.
    Check(check::CheckArgs),
}

/// Exit code: the check failed (incompatible schema).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or parse error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: I/O, broker or registry error.
pub const EXIT_IO: u8 = 3;

/// Run the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(args) => check::run(args),
    }
}
