//! Produce `UserEvent`s (Avro) to `user-events` through the schema registry.
//!
//! ```sh
//! cargo run --example producer -- --brokers localhost:9092 --registry http://localhost:8081 --count 10
//! ```
//! (Start Kafka and a registry first: `docker compose up -d --wait`, or `scripts/kafka start DIR`
//! and `schemaflow registry serve`; create the topic with `schemaflow topics create --topic user-events`.)
use clap::Parser;
use schemaflow::generated::avro::user_event::{Action, Device, UserEvent};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
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
    /// How many events.
    #[arg(long, default_value_t = 10)]
    count: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let registry = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(&args.registry))?,
        CacheConfig::default(),
    );
    let producer = TypedProducer::new(ProducerConfig::new(&args.brokers), registry)?;
    // Fail at start-up, not on the first message, if the schema cannot be registered.
    let id = producer.preload::<UserEvent>(&args.topic).await?;
    println!("schema id {id}");
    for i in 0..args.count {
        let event = UserEvent {
            event_id: schemaflow::Uuid::from_u128(u128::from(i) + 1),
            user_id: format!("user-{i}"),
            action: Action::Login,
            occurred_at: 1_700_000_000_000 + i as i64,
            amount: "0.00".parse()?,
            session_id: None,
            device: Device {
                platform: "web".into(),
                app_version: None,
            },
            shipping_address: None,
            tags: vec![],
            attributes: Default::default(),
        };
        let key = event.user_id.clone();
        let delivery = producer
            .send(Record::to(&args.topic).key(key.as_bytes()).value(&event))
            .await?;
        println!(
            "{} → partition {} offset {}",
            event.user_id, delivery.partition, delivery.offset
        );
    }
    Ok(())
}
