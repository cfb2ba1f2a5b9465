//! Consume `UserEvent`s (Avro) from `user-events` in group `my-group`, at least once, until
//! Ctrl-C; undecodable records go to `user-events.dlq`.
//!
//! ```sh
//! cargo run --example consumer -- --brokers localhost:9092 --registry http://localhost:8081
//! ```
use clap::Parser;
use schemaflow::consumer::{shutdown_signal, ConsumerConfig, DeadLetter, Message, TypedConsumer};
use schemaflow::generated::avro::user_event::UserEvent;
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

#[derive(Parser)]
struct Args {
    /// Kafka bootstrap servers.
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Schema registry URL.
    #[arg(long, default_value = "http://localhost:8081")]
    registry: String,
    /// Topic.
    #[arg(long, default_value = "user-events")]
    topic: String,
    /// Consumer group.
    #[arg(long, default_value = "my-group")]
    group: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let registry = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(&args.registry))?,
        CacheConfig::default(),
    );
    let mut config = ConsumerConfig::new(&args.brokers, &args.group, &[&args.topic]);
    config.dead_letter = DeadLetter::PerTopic;
    let consumer = TypedConsumer::<UserEvent>::new(config, registry)?;
    let stats = consumer
        .run(
            |m: Message<UserEvent>| async move {
                match m.value {
                    Some(e) => println!(
                        "{}@{}: {} {:?} {}",
                        m.partition, m.offset, e.user_id, e.action, e.amount
                    ),
                    None => println!("{}@{}: tombstone", m.partition, m.offset),
                }
                Ok::<(), String>(())
            },
            shutdown_signal(),
        )
        .await?;
    println!("{stats:?}");
    Ok(())
}
