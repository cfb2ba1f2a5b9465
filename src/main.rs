//! The `schemaflow` command line.
use clap::Parser;

/// Schema-registry-aware Avro/Protobuf pipeline for Kafka.
#[derive(Debug, Parser)]
#[command(name = "schemaflow", version, about, long_about = None)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
