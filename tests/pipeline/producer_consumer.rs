//! The typed producer and consumer through a real broker process (Apache Kafka over TCP) and the
//! embedded registry over HTTP: volume, evolution, tombstones, poison messages and the DLQ.
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::evolution::user_event as avro_v2;
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use common::samples::proto::evolution::events::v1 as pb_v2;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message as _};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, DeadLetter, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use tokio::sync::Notify;

use common::services::registry;

fn avro_event(i: usize) -> UserEvent {
    let mut e = common::avro_full();
    e.user_id = format!("user-{i}");
    e.occurred_at = i as i64;
    e
}

fn proto_event(i: usize) -> pb::UserEvent {
    let mut e = common::proto_full();
    e.user_id = format!("user-{i}");
    e.amount_cents = i as i64;
    e
}

/// Produce all `values` to `topic` (keys `k-i`), waiting for every delivery.
async fn produce_all<V: RegistryCodec>(producer: &TypedProducer, topic: &str, values: &[V]) {
    let keys: Vec<String> = (0..values.len()).map(|i| format!("k-{i}")).collect();
    let mut pending = Vec::with_capacity(values.len());
    for (v, k) in values.iter().zip(&keys) {
        pending.push(
            producer
                .enqueue(Record::to(topic).key(k.as_bytes()).value(v))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
}

/// Run a consumer until `expected` records were handled; returns them.
async fn consume<V: RegistryCodec + std::fmt::Debug>(
    consumer: TypedConsumer<V>,
    expected: usize,
) -> (Vec<Message<V>>, schemaflow::consumer::ConsumerStats) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    let run = consumer.run(
        move |m: Message<V>| {
            let s = s.clone();
            let d = d.clone();
            async move {
                let mut v = s.lock().unwrap();
                v.push(m);
                if v.len() >= expected {
                    d.notify_one();
                }
                Ok::<(), HandlerError>(())
            }
        },
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(120), done.notified()).await;
        },
    );
    let stats = run.await.unwrap();
    let v = std::mem::take(&mut *seen.lock().unwrap());
    (v, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_avro_events_round_trip() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("avro-10k");
    create_topic(&b.bootstrap, &topic, 3).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let values: Vec<UserEvent> = (0..10_000).map(avro_event).collect();
    produce_all(&producer, &topic, &values).await;
    producer.flush(Duration::from_secs(10)).unwrap();

    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let (got, stats) = consume(consumer, 10_000).await;
    assert_eq!(got.len(), 10_000);
    assert_eq!(stats.handled, 10_000);
    assert_eq!(stats.dead_lettered, 0);
    let by_user: BTreeMap<String, UserEvent> = got
        .into_iter()
        .map(|m| {
            let v = m.value.unwrap();
            (v.user_id.clone(), v)
        })
        .collect();
    assert_eq!(by_user.len(), 10_000, "no duplicates, none missing");
    for v in values {
        assert_eq!(by_user[&v.user_id], v);
    }
    // Schemas were resolved once each (register, references, fetch by id), not per message.
    let stats = reg.stats();
    assert!(stats.misses <= 8, "{stats:?}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_protobuf_events_round_trip() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("proto-10k");
    create_topic(&b.bootstrap, &topic, 3).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let values: Vec<pb::UserEvent> = (0..10_000).map(proto_event).collect();
    produce_all(&producer, &topic, &values).await;

    let consumer = TypedConsumer::<pb::UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let (got, stats) = consume(consumer, 10_000).await;
    assert_eq!(stats.handled, 10_000);
    let by_user: BTreeMap<String, pb::UserEvent> = got
        .into_iter()
        .map(|m| {
            let v = m.value.unwrap();
            (v.user_id.clone(), v)
        })
        .collect();
    assert_eq!(by_user.len(), 10_000);
    for v in values {
        assert_eq!(by_user[&v.user_id], v);
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evolution_v2_producer_v1_consumer_and_back() {
    let b = broker();
    let (server, reg) = registry().await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();

    // Avro: v2 written, v1 read (field dropped); v1 written, v2 read (default filled).
    let t1 = rand_topic("evo-avro-a");
    create_topic(&b.bootstrap, &t1, 1).await;
    produce_all(&producer, &t1, &[common::avro_v2_full("ios")]).await;
    let c = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&t1]),
        reg.clone(),
    )
    .unwrap();
    assert_eq!(
        consume(c, 1).await.0[0].value.as_ref().unwrap(),
        &common::avro_full()
    );

    let t2 = rand_topic("evo-avro-b");
    create_topic(&b.bootstrap, &t2, 1).await;
    produce_all(&producer, &t2, &[common::avro_full()]).await;
    let c = TypedConsumer::<avro_v2::UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&t2]),
        reg.clone(),
    )
    .unwrap();
    assert_eq!(
        consume(c, 1).await.0[0].value.as_ref().unwrap(),
        &common::avro_v2_full("web")
    );

    // Protobuf both ways.
    let t3 = rand_topic("evo-proto");
    create_topic(&b.bootstrap, &t3, 1).await;
    produce_all(&producer, &t3, &[common::proto_v2_full("ios")]).await;
    let c = TypedConsumer::<pb::UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&t3]),
        reg.clone(),
    )
    .unwrap();
    assert_eq!(
        consume(c, 1).await.0[0].value.as_ref().unwrap(),
        &common::proto_full()
    );
    let c = TypedConsumer::<pb_v2::UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&t3]),
        reg.clone(),
    )
    .unwrap();
    assert_eq!(
        consume(c, 1).await.0[0].value.as_ref().unwrap(),
        &common::proto_v2_full("ios")
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_go_to_the_dlq_and_good_ones_flow() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("poison");
    let dlq = format!("{topic}.dlq");
    create_topic(&b.bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &b.bootstrap)
        .create()
        .unwrap();
    let poisons: Vec<(&str, Vec<u8>)> = vec![
        (
            "random",
            (0..64)
                .map(|_| fastrand::u8(..))
                .map(|b| b | 0x80)
                .collect(),
        ),
        ("unknown-id", vec![0, 0, 0, 0x30, 0x39, 2, 4, 6]),
        ("wrong-magic", vec![7, 0, 0, 0, 1, 0]),
        ("truncated", {
            let mut f = Vec::new();
            let id = producer.preload::<UserEvent>(&topic).await.unwrap();
            avro_event(0).encode_frame(id, &mut f).unwrap();
            f.truncate(20);
            f
        }),
    ];
    let mut good = 0;
    for i in 0..40 {
        if i % 10 == 5 {
            let (name, bytes) = &poisons[i / 10];
            raw.send(
                FutureRecord::to(&topic).key(*name).payload(bytes).headers(
                    rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                        key: "origin",
                        value: Some("test"),
                    }),
                ),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        } else {
            producer
                .send(Record::to(&topic).key(b"good").value(&avro_event(i)))
                .await
                .unwrap();
            good += 1;
        }
    }
    // A tombstone is passed through, never dead-lettered.
    producer
        .send(Record::<UserEvent>::to(&topic).key(b"gone"))
        .await
        .unwrap();

    let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
    cfg.dead_letter = DeadLetter::PerTopic;
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let (got, stats) = consume(consumer, good + 1).await;
    assert_eq!(stats.dead_lettered, 4);
    assert_eq!(got.iter().filter(|m| m.value.is_some()).count(), good);
    let tomb: Vec<_> = got.iter().filter(|m| m.value.is_none()).collect();
    assert_eq!(tomb.len(), 1);
    assert_eq!(tomb[0].key.as_deref(), Some(&b"gone"[..]));

    // The DLQ holds the original bytes with the error headers.
    let c = raw_reader(&dlq);
    let mut kinds = BTreeSet::new();
    for _ in 0..4 {
        let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
            .await
            .unwrap()
            .unwrap();
        let name = std::str::from_utf8(m.key().unwrap()).unwrap().to_string();
        let original = &poisons.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(
            m.payload().unwrap(),
            original.as_slice(),
            "{name}: original bytes kept"
        );
        let h = m.headers().unwrap();
        let get = |k: &str| header(h, k);
        assert_eq!(
            get("origin").as_deref(),
            Some("test"),
            "original headers kept"
        );
        assert_eq!(
            get("__connect.errors.topic").as_deref(),
            Some(topic.as_str())
        );
        assert_eq!(get("__connect.errors.partition").as_deref(), Some("0"));
        assert!(get("__connect.errors.offset")
            .unwrap()
            .parse::<i64>()
            .is_ok());
        assert_eq!(
            get("__connect.errors.stage").as_deref(),
            Some("VALUE_CONVERTER")
        );
        assert!(!get("__connect.errors.exception.message")
            .unwrap()
            .is_empty());
        kinds.insert((name, get("__connect.errors.exception.class.name").unwrap()));
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec![
            ("random".to_string(), "FrameError".to_string()),
            ("truncated".to_string(), "AvroDecodeError".to_string()),
            ("unknown-id".to_string(), "RegistryError".to_string()),
            ("wrong-magic".to_string(), "FrameError".to_string()),
        ]
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dlq_a_poison_message_stops_the_consumer_uncommitted() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("stop");
    create_topic(&b.bootstrap, &topic, 1).await;
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &b.bootstrap)
        .create()
        .unwrap();
    raw.send(
        FutureRecord::<(), _>::to(&topic).payload(&b"\x05junk"[..]),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let group = rand_topic("g");
    // The first member stops on it; nothing was committed past it, so a new member of the
    // group stops on it again.
    for _member in 0..2 {
        let consumer = TypedConsumer::<UserEvent>::new(
            ConsumerConfig::new(&b.bootstrap, &group, &[&topic]),
            reg.clone(),
        )
        .unwrap();
        let err = consumer
            .run(
                |_m| async { Ok::<(), HandlerError>(()) },
                tokio::time::sleep(Duration::from_secs(60)),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("magic"), "{err}");
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_failures_are_retried_then_dead_lettered() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("handler");
    create_topic(&b.bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let values: Vec<UserEvent> = (0..10).map(avro_event).collect();
    produce_all(&producer, &topic, &values).await;

    let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
    cfg.dead_letter = DeadLetter::PerTopic;
    cfg.max_retries = 2;
    cfg.retry_backoff = Duration::from_millis(10);
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let attempts = Arc::new(Mutex::new(BTreeMap::<String, u32>::new()));
    let handled = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Notify::new());
    let (a, h, d) = (attempts.clone(), handled.clone(), done.clone());
    let stats = consumer
        .run(
            move |m: Message<UserEvent>| {
                let (a, h, d) = (a.clone(), h.clone(), d.clone());
                async move {
                    let user = m.value.unwrap().user_id;
                    let n = {
                        let mut a = a.lock().unwrap();
                        let n = a.entry(user.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    // user-3 always fails; user-5 fails once, then works.
                    if user == "user-3" || (user == "user-5" && n == 1) {
                        return Err(format!("cannot handle {user} (attempt {n})").into());
                    }
                    let mut h = h.lock().unwrap();
                    h.push(user);
                    if h.len() == 9 {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!(stats.handled, 9);
    assert_eq!(stats.dead_lettered, 1);
    assert_eq!(
        attempts.lock().unwrap()["user-3"],
        3,
        "one try plus max_retries"
    );
    assert_eq!(attempts.lock().unwrap()["user-5"], 2);
    assert_eq!(stats.handler_errors, 4);
    // The dead letter is the original record with a TASK_PUT stage and the handler's message.
    let c = raw_reader(&format!("{topic}.dlq"));
    let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
        .await
        .unwrap()
        .unwrap();
    let h = m.headers().unwrap();
    let get = |k: &str| header(h, k);
    assert_eq!(get("__connect.errors.stage").as_deref(), Some("TASK_PUT"));
    assert_eq!(
        get("__connect.errors.exception.message").as_deref(),
        Some("cannot handle user-3 (attempt 3)")
    );
    assert_eq!(m.key(), Some(&b"k-3"[..]));
    let mut frame = Vec::new();
    values[3].encode_frame(got_id(&m), &mut frame).unwrap();
    assert_eq!(
        m.payload().unwrap(),
        frame.as_slice(),
        "original bytes kept"
    );
    server.stop().await.unwrap();
}

/// A plain consumer of `topic` from the beginning (to read dead letters as raw records).
fn raw_reader(topic: &str) -> StreamConsumer {
    let c: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    c
}

/// A header's value as text.
fn header(h: &rdkafka::message::BorrowedHeaders, key: &str) -> Option<String> {
    h.iter()
        .find(|x| x.key == key)
        .and_then(|x| x.value)
        .map(|v| String::from_utf8_lossy(v).to_string())
}

fn got_id(m: &rdkafka::message::BorrowedMessage<'_>) -> schemaflow::wire::SchemaId {
    schemaflow::wire::read_header(m.payload().unwrap())
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_id_in_a_header_with_a_guid_is_read_too() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("header-id");
    create_topic(&b.bootstrap, &topic, 1).await;
    let id = schemaflow::registry::register_generated::<UserEvent>(
        &reg,
        &format!("{topic}-value"),
        false,
    )
    .await
    .unwrap();
    let guid = reg.client().schema_by_id(id).await.unwrap().guid.unwrap();
    let guid_bytes = uuid::Uuid::parse_str(&guid).unwrap();
    // Confluent 8 header form: __value_schema_id = 0x01 + 16-byte GUID; the payload is the
    // bare Avro datum (no 5-byte header).
    let mut frame = Vec::new();
    avro_event(7).encode_frame(id, &mut frame).unwrap();
    let mut header = vec![1u8];
    header.extend_from_slice(guid_bytes.as_bytes());
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &b.bootstrap)
        .create()
        .unwrap();
    raw.send(
        FutureRecord::<(), _>::to(&topic)
            .payload(&frame[5..])
            .headers(
                rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                    key: "__value_schema_id",
                    value: Some(&header),
                }),
            ),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let (got, stats) = consume(consumer, 1).await;
    assert_eq!(stats.dead_lettered, 0);
    assert_eq!(got[0].value.as_ref().unwrap(), &avro_event(7));
    assert_eq!(got[0].schema_id, Some(id));
    server.stop().await.unwrap();
}
