//! Network faults between our clients and the services (issue 29), through Toxiproxy
//! (`scripts/toxiproxy`, tests/common/toxiproxy.rs) on loopback:
//!
//! - the registry black-holed (connections accepted, nothing answered: timeouts, not
//!   refusals) while a `TypedConsumer` has records of a schema id it has never seen: nothing
//!   dead-lettered, no offset committed past them, every one handled once the network heals;
//! - a broker's connections slowed (latency) and cut (TCP resets) under an idempotent
//!   `TypedProducer` (acks=all) and an at-least-once `TypedConsumer`: every record
//!   acknowledged, each in the log exactly once, each handled.
//!
//! The broker of the second test is one of its own, started advertising the proxy's address,
//! so that every client connection to it (bootstrap and after) goes through the proxy. The
//! faults are keyed to progress (records acknowledged so far), not to times.
use crate::cluster_faults::keys_in_log;
use crate::common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic, watched_kafka_env};
use common::samples::avro::user_event::UserEvent;
use common::services::registry;
use common::toxiproxy::{Stream, Toxic, Toxiproxy};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;
use schemaflow::consumer::{
    ConsumerConfig, ConsumerEvent, DeadLetter, HandlerError, Message, TypedConsumer,
};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{
    CacheConfig, CachedRegistry, ClientConfig as RegistryConfig, RegistryClient,
};
use tokio::sync::Notify;

const PARTITIONS: i32 = 3;

fn event(i: usize) -> UserEvent {
    let mut e = common::avro_full();
    e.user_id = format!("user-{i}");
    e
}

/// Wait (polling a state, bounded) until `done` holds.
async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The group's committed offset per partition (`None`: nothing committed).
async fn committed(bootstrap: &str, group: &str, topic: &str) -> Vec<Option<i64>> {
    let (bootstrap, group, topic) = (bootstrap.to_string(), group.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", &group)
            .create()
            .expect("offsets reader");
        let mut tpl = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            tpl.add_partition(&topic, p);
        }
        let tpl = c
            .committed_offsets(tpl, Duration::from_secs(10))
            .expect("committed offsets");
        (0..PARTITIONS)
            .map(|p| {
                tpl.find_partition(&topic, p)
                    .and_then(|e| e.offset().to_raw())
                    // Kafka's "no offset" (-1001) is nothing committed.
                    .filter(|o| *o >= 0)
            })
            .collect()
    })
    .await
    .expect("offsets reader task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_registry_holds_records_of_a_new_schema_until_it_heals() {
    const COUNT: usize = 300;
    let proxy = tokio::task::spawn_blocking(Toxiproxy::start)
        .await
        .expect("toxiproxy");
    let (server, reg) = registry().await;
    let listen = proxy.proxy("registry", &server.addr().to_string()).await;
    let bootstrap = broker().bootstrap.clone();
    let topic = rand_topic("net-registry");
    create_topic(&bootstrap, &topic, PARTITIONS).await;

    // Written with the registry reached directly: a schema id the consumer has never seen.
    let producer = TypedProducer::new(ProducerConfig::new(&bootstrap), reg).expect("producer");
    let mut pending = Vec::new();
    for i in 0..COUNT {
        let (key, value) = (format!("k-{i}"), event(i));
        let record = Record::to(&topic)
            .key(key.as_bytes())
            .partition(i as i32 % PARTITIONS)
            .value(&value);
        pending.push(producer.enqueue(record).await.expect("enqueue"));
    }
    for p in pending {
        p.await.expect("delivered");
    }

    proxy
        .add("registry", "black-hole", Stream::Upstream, Toxic::BlackHole)
        .await;
    // A short request timeout: each try of a lookup ends in a second, and is retried.
    let mut client = RegistryConfig::new(&format!("http://{listen}"));
    client.request_timeout = Duration::from_secs(1);
    client.max_retries = 0;
    let cached = CachedRegistry::new(
        RegistryClient::new(client).expect("client"),
        CacheConfig::default(),
    );
    let group = rand_topic("g");
    let mut cfg = ConsumerConfig::new(&bootstrap, &group, &[&topic]);
    cfg.dead_letter = DeadLetter::PerTopic;
    cfg.retry_backoff = Duration::from_millis(50);
    cfg.environment_retry_timeout = Duration::from_secs(120);
    let retries = Arc::new(AtomicUsize::new(0));
    let last_error = Arc::new(Mutex::new(String::new()));
    let (r, l) = (retries.clone(), last_error.clone());
    let consumer = TypedConsumer::<UserEvent>::new(cfg, cached)
        .expect("consumer")
        .on_event(move |e| {
            if let ConsumerEvent::Retrying { attempt, error, .. } = e {
                r.fetch_max(*attempt as usize, Ordering::SeqCst);
                *l.lock().unwrap() = error.to_string();
            }
        });
    let handled: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let all = Arc::new(Notify::new());
    let (h, a) = (handled.clone(), all.clone());
    let run = consumer.run(
        move |m: Message<UserEvent>| {
            let (h, a) = (h.clone(), a.clone());
            async move {
                let mut h = h.lock().unwrap();
                *h.entry(m.value.expect("a value").user_id).or_insert(0) += 1;
                if h.len() == COUNT {
                    a.notify_one();
                }
                Ok::<(), HandlerError>(())
            }
        },
        async move {
            // Stop on the timeout too: the assertions below say what was missing.
            let _ = tokio::time::timeout(Duration::from_secs(60), all.notified()).await;
        },
    );
    let fault = async {
        // The member fetched a record and holds it through several timed-out lookups.
        until(
            "a record held through 3 retries",
            Duration::from_secs(60),
            || retries.load(Ordering::SeqCst) >= 3,
        )
        .await;
        eprintln!("registry black-holed: {}", last_error.lock().unwrap());
        assert!(
            handled.lock().unwrap().is_empty(),
            "handled while the registry answered nothing"
        );
        let stats = consumer.stats();
        assert_eq!(stats.dead_lettered + stats.skipped, 0, "{stats:?}");
        let offsets = committed(&bootstrap, &group, &topic).await;
        assert!(
            offsets.iter().all(|o| o.is_none_or(|o| o == 0)),
            "committed past records not handled: {offsets:?}"
        );
        proxy.remove("registry", "black-hole").await;
    };
    let (stats, ()) = tokio::join!(run, fault);
    let stats = stats.expect("the consumer ran");
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len(), COUNT, "every record handled once healed");
    assert!(handled.values().all(|&n| n == 1), "a record handled twice");
    assert_eq!(stats.dead_lettered + stats.skipped, 0, "{stats:?}");
    assert!(stats.environment_retries >= 3, "{stats:?}");
    let per_partition = Some((COUNT as i32 / PARTITIONS) as i64);
    assert_eq!(
        committed(&bootstrap, &group, &topic).await,
        vec![per_partition; PARTITIONS as usize]
    );
    server.stop().await.expect("registry stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_behind_latency_and_cut_connections_loses_and_duplicates_nothing() {
    const RECORDS: usize = 6_000;
    const WINDOW: usize = 200;
    let proxy = tokio::task::spawn_blocking(Toxiproxy::start)
        .await
        .expect("toxiproxy");
    // The broker must advertise the proxy's address, known only once the proxy listens: the
    // proxy first (pointing nowhere yet), then the broker, then the proxy pointed at it.
    let listen = proxy.proxy("kafka", "127.0.0.1:9").await;
    let advertised = listen.clone();
    let (direct, _watcher, _dir) = tokio::task::spawn_blocking(move || {
        watched_kafka_env(
            "start",
            &[("SCHEMAFLOW_KAFKA_ADVERTISED", advertised.as_str())],
        )
    })
    .await
    .expect("broker");
    proxy.set_upstream("kafka", &listen, &direct).await;
    let bootstrap = listen;
    // The broker a client learns of is the proxy: no connection goes around the faults.
    let brokers = {
        let b = bootstrap.clone();
        tokio::task::spawn_blocking(move || {
            let c: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &b)
                .create()
                .expect("metadata client");
            let m = c
                .fetch_metadata(None, Duration::from_secs(10))
                .expect("metadata through the proxy");
            m.brokers()
                .iter()
                .map(|b| format!("{}:{}", b.host(), b.port()))
                .collect::<Vec<_>>()
        })
        .await
        .expect("metadata task")
    };
    assert_eq!(brokers, vec![bootstrap.clone()], "advertised brokers");
    let topic = rand_topic("net-broker");
    create_topic(&bootstrap, &topic, PARTITIONS).await;
    let (server, reg) = registry().await;

    // The consumer counts each user it handles.
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Arc::new(Notify::new());
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .expect("consumer");
    let consuming = {
        let (seen, stop) = (seen.clone(), stop.clone());
        tokio::spawn(async move {
            consumer
                .run(
                    move |m: Message<UserEvent>| {
                        let seen = seen.clone();
                        async move {
                            seen.lock()
                                .unwrap()
                                .insert(m.value.expect("a value").user_id);
                            Ok::<(), HandlerError>(())
                        }
                    },
                    async move { stop.notified().await },
                )
                .await
        })
    };

    // The producer: windows of enqueued records, each awaited whole; a failed delivery kept.
    let producer =
        TypedProducer::new(ProducerConfig::new(&bootstrap), reg.clone()).expect("producer");
    let acked = Arc::new(AtomicUsize::new(0));
    let failed: Arc<Mutex<Vec<String>>> = Arc::default();
    let producing = {
        let (topic, acked, failed) = (topic.clone(), acked.clone(), failed.clone());
        tokio::spawn(async move {
            for start in (0..RECORDS).step_by(WINDOW) {
                let mut pending = Vec::with_capacity(WINDOW);
                for i in start..(start + WINDOW).min(RECORDS) {
                    let (key, value) = (format!("k-{i}"), event(i));
                    let record = Record::to(&topic).key(key.as_bytes()).value(&value);
                    pending.push((i, producer.enqueue(record).await.expect("enqueue")));
                }
                for (i, p) in pending {
                    match p.await {
                        Ok(_) => {
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => failed.lock().unwrap().push(format!("record {i}: {e}")),
                    }
                }
            }
            producer.flush(Duration::from_secs(30)).expect("flush");
        })
    };

    let limit = Duration::from_secs(60);
    let progress = |n: usize| {
        let acked = acked.clone();
        move || acked.load(Ordering::SeqCst) >= n
    };
    until("1,000 acknowledged", limit, progress(1_000)).await;
    // Slow answers, both ways: requests and responses each wait 100–200 ms.
    let slow = Toxic::Latency {
        latency: Duration::from_millis(150),
        jitter: Duration::from_millis(50),
    };
    proxy.add("kafka", "slow-up", Stream::Upstream, slow).await;
    proxy
        .add("kafka", "slow-down", Stream::Downstream, slow)
        .await;
    until("2,000 acknowledged under latency", limit, progress(2_000)).await;
    proxy.remove("kafka", "slow-up").await;
    proxy.remove("kafka", "slow-down").await;
    for (n, cut) in [(2_500, "first cut"), (4_000, "second cut")] {
        until(&format!("{n} acknowledged"), limit, progress(n)).await;
        // Every connection reset as soon as data comes (requests in flight lost on the way),
        // and each reconnection reset again, while the cut lasts.
        let at = acked.load(Ordering::SeqCst);
        proxy
            .add(
                "kafka",
                "cut",
                Stream::Upstream,
                Toxic::ResetPeer {
                    after: Duration::ZERO,
                },
            )
            .await;
        // The fault's length (a schedule, not a wait for a state).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        proxy.remove("kafka", "cut").await;
        eprintln!(
            "{cut}: {} acknowledged while connections were reset",
            acked.load(Ordering::SeqCst) - at
        );
    }

    tokio::time::timeout(limit, producing)
        .await
        .expect("the producer finished")
        .expect("the producer task");
    let failed = failed.lock().unwrap().clone();
    assert!(failed.is_empty(), "deliveries failed: {failed:?}");
    assert_eq!(acked.load(Ordering::SeqCst), RECORDS);

    // In the log exactly once each: the idempotent producer's retries of requests whose
    // answers were lost wrote no duplicate.
    let log = {
        let (b, t) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || keys_in_log(&b, &t))
            .await
            .expect("log reader")
    };
    let twice: Vec<_> = log.iter().filter(|(_, &n)| n > 1).take(5).collect();
    assert!(twice.is_empty(), "duplicated in the log: {twice:?}");
    assert_eq!(log.len(), RECORDS, "records in the log");

    until("every record handled", limit, || {
        seen.lock().unwrap().len() == RECORDS
    })
    .await;
    stop.notify_one();
    let stats = consuming
        .await
        .expect("consumer task")
        .expect("the consumer ran");
    assert_eq!(stats.dead_lettered + stats.skipped, 0, "{stats:?}");
    server.stop().await.expect("registry stop");
}
