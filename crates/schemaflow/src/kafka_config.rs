//! The one place librdkafka configurations are built: the producer, the consumer, the
//! dead-letter and exactly-once producers, and every CLI command go through
//! [`kafka_config`], so a default set here (or a property given with `-X`) reaches them all.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

/// The producer defaults: idempotent, `acks=all` (no loss, no duplicates on retry), a 5 ms
/// linger for batching, lz4 compression, and Java's key partitioning.
///
/// `partitioner=murmur2_random` puts a key where Java's Kafka client (and franz-go, Kafka
/// Streams, kafka-console-producer) puts the same key bytes: murmur2, made positive, modulo the
/// partition count. librdkafka's own default (`consistent_random`, CRC32) — kept by
/// confluent-kafka-python, Go, .NET and kcat — sends it elsewhere, so per-key order breaks
/// between a Java service and this one. Set `partitioner=consistent_random` to match those.
pub const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("partitioner", "murmur2_random"),
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("linger.ms", "5"),
    ("compression.type", "lz4"),
];

/// `bootstrap.servers` = `brokers`, then `defaults`, then `overrides` (the user's properties,
/// which win).
pub fn kafka_config(
    brokers: &str,
    defaults: &[(&str, &str)],
    overrides: &BTreeMap<String, String>,
) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in defaults {
        c.set(*k, *v);
    }
    for (k, v) in overrides {
        c.set(k, v);
    }
    c
}
