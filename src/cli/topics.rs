//! `schemaflow topics create|list` (some brokers and managed clusters never auto-create topics).
//! `list` leaves out Kafka's internal `__*` topics unless `--all`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::outln;

use super::common::{block_on, finish, CliError, Global};

/// `schemaflow topics …`
#[derive(Debug, Args)]
pub struct TopicsArgs {
    #[command(subcommand)]
    command: TopicsCommand,
}

#[derive(Debug, Subcommand)]
enum TopicsCommand {
    /// Create a topic (an existing one is fine). Example: topics create --topic user-events --partitions 3
    Create {
        /// Topic name.
        #[arg(long)]
        topic: String,
        /// Partitions (at least 1). An existing topic keeps its own count.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..))]
        partitions: i32,
    },
    /// List topics with their partition counts (Kafka's internal `__*` topics only with --all).
    List {
        /// Also list Kafka's internal topics (`__consumer_offsets`, `__transaction_state`, …).
        #[arg(long)]
        all: bool,
    },
}

/// Kafka's own bookkeeping topics (`__consumer_offsets`, `__transaction_state`, …): named with
/// a leading `__`, which Kafka reserves for them. A registry's `_schemas` is not one of them.
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

/// Run `topics …`.
pub fn run(g: Global, a: TopicsArgs) -> ExitCode {
    finish(
        "topics",
        block_on(async move {
            match a.command {
                TopicsCommand::Create { topic, partitions } => {
                    use schemaflow::admin::{topic_partitions, TopicState, METADATA_TIMEOUT};
                    let state = topic_partitions(g.brokers(), &topic, &g.properties(), METADATA_TIMEOUT)
                        .await
                        .map_err(|e| CliError::io(format!("{e} (is the Kafka cluster at {} running? set --brokers or KAFKA_BROKERS)", g.brokers())))?;
                    if let TopicState::Exists(existing) = state {
                        if existing.len() != partitions as usize {
                            eprintln!("schemaflow topics: warning: {topic} already has {} partition(s); --partitions {partitions} not applied", existing.len());
                        }
                        eprintln!(
                            "topic {topic} already exists ({} partition(s))",
                            existing.len()
                        );
                        return Ok(());
                    }
                    schemaflow::admin::create_topic(g.brokers(), &topic, partitions)
                        .await
                        .map_err(|e| CliError::io(format!("{e} (is the Kafka cluster at {} running? set --brokers or KAFKA_BROKERS)", g.brokers())))?;
                    eprintln!("topic {topic} created ({partitions} partition(s))");
                }
                TopicsCommand::List { all } => {
                    let consumer: BaseConsumer = g
                        .kafka_config(&[])
                        .create()
                        .map_err(|e| CliError::io(e.to_string()))?;
                    let md = tokio::task::spawn_blocking(move || {
                        consumer.fetch_metadata(None, Duration::from_secs(10))
                    })
                    .await
                    .map_err(|e| CliError::io(e.to_string()))?
                    .map_err(|e| CliError::io(format!("listing topics on {}: {e}", g.brokers())))?;
                    let mut topics: Vec<(String, usize)> = md
                        .topics()
                        .iter()
                        .filter(|t| all || !is_internal(t.name()))
                        .map(|t| (t.name().to_string(), t.partitions().len()))
                        .collect();
                    topics.sort();
                    for (t, p) in topics {
                        outln!("{t}\t{p}")?;
                    }
                }
            }
            Ok(())
        }),
    )
}
