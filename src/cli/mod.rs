//! The command tree: one file per subcommand, each with its clap `Args` and a `run`.
//!
//! Exit codes for every command: 0 success, 1 the check failed, 2 usage or parse error,
//! 3 I/O, broker or registry error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod common;
pub mod consume;
pub mod demo;
pub mod dlq;
pub mod duration;
pub mod lock;
pub mod logging;
pub mod missing_refs;
pub mod produce;
pub mod produce_line;
pub mod register_all;
pub mod registry;
pub mod repo;
pub mod schema_file;
pub mod schemas;
pub mod topics;

/// Schema-registry-aware Avro/Protobuf pipeline for Kafka.
#[derive(Debug, Parser)]
#[command(name = "schemaflow", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Flags every command takes.
    #[command(flatten)]
    pub global: common::Global,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schema changes for compatibility, as a Confluent Schema Registry would judge them.
    Check(check::CheckArgs),
    /// Run the whole pipeline with nothing installed (embedded registry and broker).
    Demo(demo::DemoArgs),
    /// Write JSON lines as registry-framed records (a line `null` is a tombstone).
    Produce(produce::ProduceArgs),
    /// Decode registry-framed records to JSON lines (`--metadata`: with key, partition, offset).
    Consume(consume::ConsumeArgs),
    /// Record the released schemas in schemaflow.lock (create, --add, --from-registry).
    Lock(lock::LockArgs),
    /// Register a schema file under a subject, or every schema of the repository (`--all`).
    Register(schemas::RegisterArgs),
    /// List, show and delete registered schemas.
    Schemas(schemas::SchemasArgs),
    /// Show and set compatibility levels.
    Config(schemas::ConfigArgs),
    /// Create and list Kafka topics.
    Topics(topics::TopicsArgs),
    /// Inspect and replay dead letters.
    Dlq(dlq::DlqArgs),
    /// Run the embedded Confluent-compatible schema registry.
    Registry(registry::RegistryArgs),
}

/// Exit code: the check failed (incompatible schema).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or parse error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: I/O, broker or registry error.
pub const EXIT_IO: u8 = 3;

/// Run the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let g = cli.global;
    // A server logs by default (start-up, one line per request, warnings); a command's own
    // stderr line says what went wrong, so it logs only when RUST_LOG asks.
    let default_level = match &cli.command {
        Command::Registry(a) if a.is_serve() => "info",
        _ => "off",
    };
    logging::install(g.log_format, default_level);
    // Global flags are every command's: their mistakes read like clap's usage errors.
    if let Err(e) = g.validate() {
        eprintln!("schemaflow: {} (see `schemaflow --help`)", e.message);
        return ExitCode::from(e.code);
    }
    match cli.command {
        Command::Check(args) => check::run(&g, args),
        Command::Demo(a) => demo::run(g, a),
        Command::Produce(a) => produce::run(g, a),
        Command::Consume(a) => consume::run(g, a),
        Command::Lock(a) => lock::run(&g, a),
        Command::Register(a) => schemas::run_register(g, a),
        Command::Schemas(a) => schemas::run_schemas(g, a),
        Command::Config(a) => schemas::run_config(g, a),
        Command::Topics(a) => topics::run(g, a),
        Command::Dlq(a) => dlq::run(g, a),
        Command::Registry(a) => registry::run(&g, a),
    }
}
