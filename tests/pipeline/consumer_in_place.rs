//! `TypedConsumer::run_ref` on a real broker: the value decoded in place into a kept value
//! record after record, lent to the handler with the record's topic, key and headers. What
//! it must never do is let one record's value leak into the next (a shorter array, a map
//! with fewer entries, an optional field gone, a value resolved from another writer schema,
//! a tombstone between two values), lose a record, or handle one twice.
use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::consumer::{
    ConsumerConfig, ConsumerStats, DeadLetter, HandlerError, Message, MessageRef, ProcessingOrder,
    TypedConsumer,
};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use tokio::sync::Notify;

use common::services::registry;

/// Record `i`: every field that can shrink or vanish does so from one record to the next.
fn event(i: usize) -> UserEvent {
    let mut e = common::avro_full();
    e.user_id = format!("user-{i}");
    e.occurred_at = i as i64;
    e.session_id = i
        .is_multiple_of(2)
        .then(|| format!("session-{}", "x".repeat(i % 7)));
    e.device.app_version = (!i.is_multiple_of(3)).then(|| format!("{i}.0"));
    e.shipping_address = if i.is_multiple_of(5) {
        None
    } else {
        e.shipping_address
    };
    e.tags = (0..i % 4).map(|t| format!("tag-{t}-{i}")).collect();
    e.attributes = (0..i % 3)
        .map(|a| (format!("k{a}"), "v".repeat(i % 11)))
        .collect();
    e
}

/// Run `run_ref` until `expected` records were handled, keeping each as an owned message;
/// `fail` says, for a value's user id and its attempt, whether the handler fails.
async fn consume_ref(
    consumer: &TypedConsumer<UserEvent>,
    expected: usize,
    fail: impl Fn(&str, u32) -> bool,
) -> (Vec<Message<UserEvent>>, ConsumerStats) {
    let seen = Mutex::new(Vec::new());
    let attempts = Mutex::new(BTreeMap::<String, u32>::new());
    let done = Notify::new();
    let stats = consumer
        .run_ref(
            async |m: MessageRef<'_, UserEvent>| {
                if let Some(v) = m.value() {
                    let n = {
                        let mut a = attempts.lock().unwrap();
                        let n = a.entry(v.user_id.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    if fail(&v.user_id, n) {
                        return Err(format!("cannot handle {} (attempt {n})", v.user_id).into());
                    }
                }
                // An await inside the handler, with the borrow held across it.
                tokio::task::yield_now().await;
                let mut s = seen.lock().unwrap();
                s.push(m.to_message());
                if s.len() >= expected {
                    done.notify_one();
                }
                Ok::<(), HandlerError>(())
            },
            async {
                let _ = tokio::time::timeout(Duration::from_secs(120), done.notified()).await;
            },
        )
        .await
        .unwrap();
    let seen = seen.into_inner().unwrap();
    (seen, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_ref_reads_every_record_as_written_into_one_kept_value() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("in-place");
    create_topic(&b.bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let n = 3_000;
    let values: Vec<UserEvent> = (0..n).map(event).collect();
    let keys: Vec<String> = (0..n).map(|i| format!("k-{i}")).collect();
    let mut pending = Vec::new();
    for (i, (v, k)) in values.iter().zip(&keys).enumerate() {
        let mut r = Record::to(&topic).key(k.as_bytes()).value(v);
        if i % 4 == 1 {
            r = r.header("trace", k.as_bytes());
        }
        pending.push(producer.enqueue(r).await.unwrap());
        if i % 500 == 250 {
            // A tombstone between two values: its record has no value, not the last one's.
            pending.push(
                producer
                    .enqueue(Record::<UserEvent>::to(&topic).key(b"gone"))
                    .await
                    .unwrap(),
            );
        }
        if i == 1_000 {
            // A value written with v2 of the schema, resolved into v1 in place.
            let v2 = common::avro_v2_full("ios");
            pending.push(
                producer
                    .enqueue(Record::to(&topic).key(b"v2").value(&v2))
                    .await
                    .unwrap(),
            );
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    let tombstones = n / 500;

    let group = rand_topic("g");
    let config = || {
        let mut cfg = ConsumerConfig::new(&b.bootstrap, &group, &[&topic]);
        cfg.dead_letter = DeadLetter::PerTopic;
        cfg.max_retries = 2;
        cfg.retry_backoff = Duration::from_millis(5);
        cfg
    };
    let consumer = TypedConsumer::<UserEvent>::new(config(), reg.clone()).unwrap();
    // user-7 always fails (dead-lettered after its retries); user-9 fails once.
    let (got, stats) = consume_ref(&consumer, n + tombstones, |user, attempt| {
        user == "user-7" || (user == "user-9" && attempt == 1)
    })
    .await;
    assert_eq!(stats.handled as usize, n + tombstones);
    assert_eq!(stats.dead_lettered, 1);
    assert_eq!(stats.handler_errors, 4, "user-7: 3 tries, user-9: 1");

    // In partition order, each record exactly as written.
    let offsets: Vec<i64> = got.iter().map(|m| m.offset).collect();
    assert!(
        offsets.windows(2).all(|w| w[0] < w[1]),
        "in order, once each"
    );
    let mut expected = values.iter().zip(&keys).enumerate();
    for m in &got {
        match m.key.as_deref() {
            Some(b"gone") => {
                assert_eq!(m.value, None, "a tombstone at {}", m.offset);
                assert_eq!(m.schema_id, None);
            }
            Some(b"v2") => assert_eq!(m.value.as_ref(), Some(&common::avro_full())),
            _ => {
                let (i, (v, k)) = expected.next().unwrap();
                let (i, v, k) = if i == 7 {
                    // Dead-lettered: not handled.
                    let (i, (v, k)) = expected.next().unwrap();
                    (i, v, k)
                } else {
                    (i, v, k)
                };
                assert_eq!(m.value.as_ref(), Some(v), "record {i}");
                assert_eq!(m.key.as_deref(), Some(k.as_bytes()));
                assert_eq!(&*m.topic, topic.as_str());
                assert!(m.schema_id.is_some());
                let want: Vec<(String, Option<Vec<u8>>)> = if i % 4 == 1 {
                    vec![("trace".into(), Some(k.as_bytes().to_vec()))]
                } else {
                    Vec::new()
                };
                assert_eq!(m.headers, want, "record {i}'s headers");
            }
        }
    }
    assert!(expected.next().is_none(), "every record handled");

    // A poison record after all that: dead-lettered, the next record handled — by a new
    // member of the group, from the committed position (past everything above).
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &b.bootstrap)
        .create()
        .unwrap();
    raw.send(
        FutureRecord::to(&topic)
            .key("poison")
            .payload(&[0u8, 0, 0, 0x30, 0x39, 2][..]),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    producer
        .send(Record::to(&topic).key(b"after").value(&event(5)))
        .await
        .unwrap();
    let consumer = TypedConsumer::<UserEvent>::new(config(), reg.clone()).unwrap();
    let (got, stats) = consume_ref(&consumer, 1, |_, _| false).await;
    assert_eq!(stats.dead_lettered, 1, "the poison record");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value.as_ref(), Some(&event(5)));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_ref_in_key_order_with_jobs_in_flight_keeps_each_value_apart() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("in-place-keys");
    create_topic(&b.bootstrap, &topic, 3).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let n = 4_000;
    let mut pending = Vec::new();
    let values: Vec<UserEvent> = (0..n).map(event).collect();
    let keys: Vec<String> = (0..n).map(|i| format!("key-{}", i % 40)).collect();
    for (v, k) in values.iter().zip(&keys) {
        pending.push(
            producer
                .enqueue(Record::to(&topic).key(k.as_bytes()).value(v))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
    cfg.ordering = ProcessingOrder::Key;
    cfg.max_concurrency = 16;
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let by_user = Arc::new(Mutex::new(BTreeMap::<String, UserEvent>::new()));
    let order = Arc::new(Mutex::new(BTreeMap::<Vec<u8>, Vec<i64>>::new()));
    let done = Notify::new();
    let stats = consumer
        .run_ref(
            async |m: MessageRef<'_, UserEvent>| {
                let v = m.value().unwrap();
                // Other jobs decode into their own kept values while this one waits.
                tokio::time::sleep(Duration::from_micros(200)).await;
                let mut u = by_user.lock().unwrap();
                assert!(u.insert(v.user_id.clone(), v.clone()).is_none(), "once");
                order
                    .lock()
                    .unwrap()
                    .entry(m.key().unwrap().to_vec())
                    .or_default()
                    .push(v.occurred_at);
                if u.len() == n {
                    done.notify_one();
                }
                Ok::<(), HandlerError>(())
            },
            async {
                let _ = tokio::time::timeout(Duration::from_secs(120), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!(stats.handled as usize, n);
    assert!(stats.max_in_flight > 1, "jobs ran at once: {stats:?}");
    let by_user = std::mem::take(&mut *by_user.lock().unwrap());
    for v in &values {
        assert_eq!(by_user.get(&v.user_id), Some(v));
    }
    for (key, seq) in order.lock().unwrap().iter() {
        assert!(seq.windows(2).all(|w| w[0] < w[1]), "{key:?} in order");
    }
    server.stop().await.unwrap();
}
