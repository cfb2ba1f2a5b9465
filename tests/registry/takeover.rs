//! Issue 28, items 1 and 4: other Confluent-compatible registries take turns with ours on one
//! `_schemas` topic.
//!
//! * Karapace's replay (`src/karapace/schema_reader.py`: `_is_ready` compares the offset of the
//!   last record it consumed with the end offset − 1) only becomes ready when the topic's last
//!   offset is a record a consumer receives. Our leader writes in transactions (its fencing),
//!   whose commit markers are never delivered, so after start-up and after every write it leaves
//!   a plain `NOOP` last (`log/kafka.rs`, `seal`). A minimal reader here counts to end − 1
//!   exactly as Karapace does, after a start-up with no write, after a history of writes, and
//!   after a restart.
//! * The other way round: a history written by a plain, non-transactional producer in
//!   Confluent's record format (`storage/SchemaKey.java` & co.: keys in `@JsonPropertyOrder`, a
//!   `NOOP`, an empty-value record — which Confluent's `KafkaStoreReaderThread` cannot
//!   deserialize and skips with a log line) is served by our registry as Confluent serves it.

use crate::common;
use crate::http::Http;

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::broker::{broker, rand_topic};
use rdkafka::config::ClientConfig as KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use schemaflow::registry::{
    ClientConfig, CompatibilityLevel, Mode, RegistryClient, Schema, SchemaReference, Version,
};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};
use serde_json::json;

async fn start(topic: &str) -> EmbeddedRegistry {
    let store = KafkaStoreConfig::new(broker().bootstrap.clone())
        .topic(topic)
        .timeout(Duration::from_secs(20));
    EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .kafka_store(store),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("the registry starts on the topic")
}

/// What Karapace's replay sees: it consumes the partition from the beginning and is ready once
/// the offset of the last record it received is the end offset − 1. Reads to the partition's
/// end (EOF, no clock involved) and answers (last offset received, end offset).
fn replay_like_karapace(topic: &str) -> (i64, i64) {
    let consumer: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", format!("karapace-like-{topic}"))
        .set("enable.auto.commit", "false")
        // Karapace reads committed records; read_uncommitted would not help either: control
        // records (commit markers) reach no consumer.
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let (_, end) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .expect("end offset");
    let mut last = -1;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the end of {topic} within 30 s");
        match consumer.poll(Duration::from_millis(500)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(_))) => return (last, end),
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            Some(Ok(m)) => last = m.offset(),
        }
    }
}

fn assert_karapace_ready(topic: &str, after: &str) {
    let (last, end) = replay_like_karapace(topic);
    assert!(end > 0, "{after}: the topic has records");
    assert_eq!(
        last,
        end - 1,
        "{after}: a reader counting to end − 1 (Karapace) reaches the end: the last offset is a record, not a transaction marker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_counting_to_end_minus_one_follows_everything_we_write() {
    let topic = rand_topic("takeover-ours");
    // Start-up alone (election won, nothing registered) leaves a record last.
    start(&topic).await.stop().await.expect("stop");
    assert_karapace_ready(&topic, "after a start-up with no write");

    let server = start(&topic).await;
    let c = RegistryClient::new(ClientConfig::new(server.url())).expect("client");
    c.register(
        "shop.Address",
        &Schema::avro(r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#),
        false,
    )
    .await
    .expect("Address");
    c.register(
        "users-value",
        &Schema::avro(r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"home","type":"Address"}]}"#)
            .with_references(vec![SchemaReference {
                name: "shop.Address".into(),
                subject: "shop.Address".into(),
                version: 1,
            }]),
        false,
    )
    .await
    .expect("User");
    c.register(
        "ping-value",
        &Schema::protobuf(
            "syntax = \"proto3\";\npackage ev;\n\nmessage Ping {\n  string id = 1;\n}\n",
        ),
        false,
    )
    .await
    .expect("Ping");
    c.set_compatibility(Some("users-value"), CompatibilityLevel::None)
        .await
        .expect("config");
    c.set_mode(Some("ping-value"), Mode::Readonly)
        .await
        .expect("mode");
    c.register("gone-value", &Schema::avro(r#""bytes""#), false)
        .await
        .expect("gone");
    c.delete_version("gone-value", Version::Number(1), false)
        .await
        .expect("soft delete");
    c.delete_version("gone-value", Version::Number(1), true)
        .await
        .expect("hard delete");
    server.stop().await.expect("stop");
    assert_karapace_ready(&topic, "after a history of writes");

    // A restart with no write (the case the issue found leaving a marker last).
    start(&topic).await.stop().await.expect("stop");
    assert_karapace_ready(&topic, "after a restart with no write");
}

/// The records of a Confluent-written history, byte for byte as `KafkaStore` writes them
/// (`storage/SchemaKey.java` `@JsonPropertyOrder({"keytype","subject","version","magic"})`,
/// `storage/SchemaValue.java` creator order, `storage/ConfigKey.java`, `storage/ModeKey.java`,
/// `storage/NoopKey.java`; the fixtures in `tests/fixtures/schemas_topic/records.jsonl` cite
/// each).
fn confluent_history() -> Vec<(String, Option<Vec<u8>>)> {
    let schema = |subject: &str, version: i32, id: u32, text: &str| {
        (
            format!(r#"{{"keytype":"SCHEMA","subject":"{subject}","version":{version},"magic":1}}"#),
            Some(
                json!({"subject": subject, "version": version, "id": id, "schema": text, "deleted": false})
                    .to_string()
                    .into_bytes(),
            ),
        )
    };
    vec![
        schema(
            "conf-value",
            1,
            11,
            r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#,
        ),
        (r#"{"keytype":"NOOP","magic":0}"#.into(), None),
        schema(
            "conf-value",
            2,
            12,
            r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"note","type":["null","string"],"default":null}]}"#,
        ),
        (
            r#"{"keytype":"CONFIG","magic":0}"#.into(),
            Some(br#"{"compatibilityLevel":"FULL"}"#.to_vec()),
        ),
        (
            r#"{"keytype":"CONFIG","subject":"conf-value","magic":0}"#.into(),
            Some(br#"{"subject":"conf-value","compatibilityLevel":"NONE"}"#.to_vec()),
        ),
        (
            r#"{"keytype":"MODE","subject":"conf-value","magic":0}"#.into(),
            Some(br#"{"subject":"conf-value","mode":"READONLY"}"#.to_vec()),
        ),
        // An empty (not null) value under a SCHEMA key: not a tombstone. Confluent's
        // KafkaStoreReaderThread cannot deserialize it and skips it with a log line; v1 stays.
        (
            r#"{"keytype":"SCHEMA","subject":"conf-value","version":1,"magic":1}"#.into(),
            Some(Vec::new()),
        ),
        (r#"{"keytype":"NOOP","magic":0}"#.into(), None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_registry_reads_a_history_a_plain_confluent_writer_left() {
    let topic = rand_topic("takeover-theirs");
    // The topic as Confluent's KafkaStore creates it: one partition, compacted.
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        KafkaConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .create()
            .expect("admin");
    let created =
        admin
            .create_topics(
                &[rdkafka::admin::NewTopic::new(
                    &topic,
                    1,
                    rdkafka::admin::TopicReplication::Fixed(1),
                )
                .set("cleanup.policy", "compact")],
                &rdkafka::admin::AdminOptions::new(),
            )
            .await
            .expect("create topic");
    for r in created {
        r.expect("topic created");
    }
    // Confluent's KafkaStore producer: idempotent, acks=all, no transactions.
    let producer: FutureProducer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
        .expect("producer");
    for (key, value) in confluent_history() {
        let mut r = FutureRecord::to(&topic).partition(0).key(key.as_bytes());
        if let Some(v) = &value {
            r = r.payload(v);
        }
        producer
            .send(r, Duration::from_secs(10))
            .await
            .expect("written");
    }

    // `registry serve` itself: its log is what an operator reads.
    let (mut child, url) = common::serve::Serve::new()
        .args(["--kafkastore-bootstrap-servers", &broker().bootstrap])
        .args(["--kafkastore-topic", &topic])
        .args(["--group-id", &format!("sr-{topic}")])
        .keep_stderr()
        .serving();
    let http = Http::new(&url);
    let v1 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
    let expected = [
        ("/subjects", json!(["conf-value"])),
        ("/subjects/conf-value/versions", json!([1, 2])),
        (
            "/subjects/conf-value/versions/1",
            json!({"subject": "conf-value", "version": 1, "id": 11, "schema": v1}),
        ),
        ("/schemas/ids/11", json!({"schema": v1})),
        ("/config", json!({"compatibilityLevel": "FULL"})),
        ("/config/conf-value", json!({"compatibilityLevel": "NONE"})),
        ("/mode/conf-value", json!({"mode": "READONLY"})),
    ];
    for (path, want) in expected {
        let (status, body) = http.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        // Compare the fields Confluent answers; extra ones (guid, …) are ours to add.
        let Some(fields) = want.as_object() else {
            assert_eq!(body, want, "{path}");
            continue;
        };
        for (k, v) in fields {
            assert_eq!(&body[k], v, "{path}: {k} in {body}");
        }
    }
    let (status, body) = http.get("/subjects/conf-value/versions/latest").await;
    assert_eq!((status, body["id"].clone()), (200, json!(12)), "{body}");

    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr kept")
        .read_to_string(&mut log)
        .expect("stderr");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("skipping") && l.contains(&topic)),
        "the skipped empty-value record is logged with a warning: {log}"
    );
}
