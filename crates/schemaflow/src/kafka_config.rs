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

/// `fetch.queue.backoff.ms=10`, a default of every consumer schemaflow builds (the typed
/// consumer's and the exactly-once processor's; a property given by the user still wins).
///
/// librdkafka's own default is 1000: once a partition's fetch queue holds more than
/// `queued.min.messages`, librdkafka waits that long before it fetches the partition again. A
/// consumer that does real work per record (decoding, a handler) drains the queue more slowly
/// than the broker fills it, so with 1000 ms it idles up to a second after each full queue. On
/// the pipeline bench (BENCHMARKS.md, end to end) a poll loop + our decoder read 185 k
/// records/s with 1000 ms and ~800 k/s with 10 ms on the same topic; the typed consumer went
/// from 182 k/s to ~380 k/s. Java's consumer has no such pause. 10 ms keeps the fetcher from
/// spinning on a full queue while no consumer is ever starved for long.
pub const FETCH_QUEUE_BACKOFF: (&str, &str) = ("fetch.queue.backoff.ms", "10");

/// `fetch.wait.max.ms=100`, a default of the typed consumer when it handles several records
/// at once (`max_concurrency` > 1: the only consumers that pause partitions; a property given
/// by the user still wins).
///
/// librdkafka keeps one Fetch in flight per broker, and the broker holds a Fetch whose
/// partitions are all at their log end for up to `fetch.wait.max.ms` (librdkafka's default
/// 500). Pausing a partition whose look-ahead is full drops its prefetched records; once
/// resumed, its next fetch waits behind that held Fetch of the other (caught-up) partitions.
/// With 500 ms a resumed partition idles about half a second each time; with 100 ms the
/// records left in its look-ahead at the resume (half of it) mostly cover the wait. On
/// `benches/parallel_consumer.rs` (`Key`, 256 in flight, 512 keys, a 5 ms handler, ~40
/// pauses) `Key` went from 88–97× serial to 101–193× (by the shared machine's load) with
/// nothing else changed; so did `fetch.wait.max.ms=10` and 50, while a look-ahead twice as
/// long (half the pauses) added nothing. The cost: an idle consumer asks each broker for records
/// up to 10 times a second instead of twice.
pub const PARALLEL_FETCH_WAIT: (&str, &str) = ("fetch.wait.max.ms", "100");

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
