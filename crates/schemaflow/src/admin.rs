//! Topic administration and the cluster check every command makes before it starts.
//!
//! [`topic_partitions`] is the one metadata request the CLI's `produce`, `consume`,
//! `dlq replay` and `topics` make first: it answers within its timeout whether the cluster
//! answers and the topic exists, so a wrong `--brokers` is one clear line within seconds
//! instead of librdkafka's silent five-minute `message.timeout.ms`. [`create_topic`] makes a
//! topic when it is missing (some brokers and managed clusters never auto-create; the
//! dead-letter topics are created through it).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig as KafkaConfig;

use crate::error::{kafka_error, Error, Result};

/// How long [`topic_partitions`] waits for the cluster by default: long enough for a broker
/// across a slow link, short enough that a wrong address is reported while the user watches.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// What the cluster says of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicState {
    /// The topic exists with these partition ids.
    Exists(Vec<i32>),
    /// The cluster answered and has no such topic.
    Missing,
}

/// Ask the cluster at `brokers` about `topic` (one metadata request, bounded by `timeout`).
/// `properties` are librdkafka settings applied to the probe (security, `-X`).
///
/// An unreachable cluster is an [`Error::Kafka`] whose operation names the brokers, within
/// `timeout`: never a hang.
pub async fn topic_partitions(
    brokers: &str,
    topic: &str,
    properties: &std::collections::BTreeMap<String, String>,
    timeout: Duration,
) -> Result<TopicState> {
    let mut config = KafkaConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("allow.auto.create.topics", "false");
    for (k, v) in properties {
        config.set(k, v);
    }
    let probe: BaseConsumer = config
        .create()
        .map_err(|e| kafka_error("creating a metadata client", e))?;
    let name = topic.to_string();
    let operation = format!("asking the cluster at {brokers} about topic {topic}");
    let md = tokio::task::spawn_blocking(move || probe.fetch_metadata(Some(&name), timeout))
        .await
        .map_err(|_| kafka_error(&operation, KafkaError::Canceled))?
        .map_err(|e| kafka_error(&operation, e))?;
    let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
        return Ok(TopicState::Missing);
    };
    match t.error() {
        None if !t.partitions().is_empty() => Ok(TopicState::Exists(
            t.partitions().iter().map(|p| p.id()).collect(),
        )),
        None => Ok(TopicState::Missing),
        Some(e) => match RDKafkaErrorCode::from(e) {
            RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic => {
                Ok(TopicState::Missing)
            }
            code => Err(kafka_error(&operation, KafkaError::MetadataFetch(code))),
        },
    }
}

/// Create `topic` if it does not exist (an existing topic is fine; brokers without the
/// CreateTopics API, like librdkafka's mock cluster, work when the topic exists).
pub async fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    let none = Default::default();
    if let TopicState::Exists(_) = topic_partitions(brokers, topic, &none, METADATA_TIMEOUT).await?
    {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = KafkaConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| kafka_error("creating the admin client", e))?;
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(METADATA_TIMEOUT)),
        )
        .await
        .map_err(|e| kafka_error(&format!("creating topic {topic}"), e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => {
                return Err(Error::Kafka {
                    operation: format!("creating topic {t}"),
                    source: KafkaError::AdminOp(code),
                })
            }
        }
    }
    Ok(())
}
