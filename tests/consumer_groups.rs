//! Consumer groups and crash recovery through a real broker (Apache Kafka): partitions shared by
//! two members, a member dying mid-stream, and a restart resuming from the last commit.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use schemaflow::consumer::{ConsumerConfig, Message, TypedConsumer};
use schemaflow::generated::avro::user_event::UserEvent;
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::server::EmbeddedRegistry;
use schemaflow::registry::CachedRegistry;
use tokio::sync::Notify;

async fn setup(partitions: i32, count: usize) -> (EmbeddedRegistry, CachedRegistry, String) {
    let b = broker();
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("group");
    create_topic(&b.bootstrap, &topic, partitions).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let mut pending = Vec::new();
    let events: Vec<UserEvent> = (0..count)
        .map(|i| {
            let mut e = common::avro_minimal();
            e.user_id = format!("user-{i}");
            e
        })
        .collect();
    for (i, e) in events.iter().enumerate() {
        let p = (i % partitions as usize) as i32;
        pending.push(
            producer
                .enqueue(Record::to(&topic).value(e).partition(p))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    (server, reg, topic)
}

type Log = Arc<Mutex<Vec<(usize, i32, i64)>>>;

fn config(topic: &str, group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new(&broker().bootstrap, group, &[topic]);
    c.commit_every = 50;
    c.commit_interval = Duration::from_millis(200);
    c.properties
        .insert("session.timeout.ms".into(), "6000".into());
    c.properties
        .insert("heartbeat.interval.ms".into(), "500".into());
    c
}

/// Run member `me` until `stop` is notified (a clean stop) or the future is dropped (a crash).
async fn member(
    consumer: TypedConsumer<UserEvent>,
    me: usize,
    log: Log,
    handled: Arc<AtomicUsize>,
    stop: Arc<Notify>,
    pace: Duration,
) {
    consumer
        .run(
            move |m: Message<UserEvent>| {
                let log = log.clone();
                let handled = handled.clone();
                async move {
                    tokio::time::sleep(pace).await;
                    log.lock().unwrap().push((me, m.partition, m.offset));
                    handled.fetch_add(1, Ordering::SeqCst);
                    Ok::<(), String>(())
                }
            },
            async move { stop.notified().await },
        )
        .await
        .unwrap();
}

async fn wait_until(handled: &AtomicUsize, n: usize) {
    tokio::time::timeout(Duration::from_secs(120), async {
        while handled.load(Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {n} handled", handled.load(Ordering::SeqCst)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_share_partitions_and_one_dies_mid_stream() {
    const N: usize = 3000;
    let (server, reg, topic) = setup(3, N).await;
    let group = rand_topic("g");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let handled = Arc::new(AtomicUsize::new(0));
    let stop_b = Arc::new(Notify::new());

    // A starts alone; B joins once A is busy; A is killed once B has partitions too. Each
    // record takes 3 ms to handle, so the stream outlasts the rebalances.
    let pace = Duration::from_millis(3);
    let a = TypedConsumer::<UserEvent>::new(config(&topic, &group), reg.clone()).unwrap();
    let task_a = tokio::spawn(member(
        a,
        0,
        log.clone(),
        handled.clone(),
        Arc::new(Notify::new()),
        pace,
    ));
    wait_until(&handled, 50).await;
    let b = TypedConsumer::<UserEvent>::new(config(&topic, &group), reg.clone()).unwrap();
    let task_b = tokio::spawn(member(
        b,
        1,
        log.clone(),
        handled.clone(),
        stop_b.clone(),
        pace,
    ));
    tokio::time::timeout(Duration::from_secs(60), async {
        while !log.lock().unwrap().iter().any(|e| e.0 == 1) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("B was given partitions while A was running");
    assert!(
        handled.load(Ordering::SeqCst) < N,
        "the stream ended before the kill; slow the handler"
    );
    // Kill A abruptly (no final commit, no clean leave).
    task_a.abort();
    let _ = task_a.await;
    let a_done: BTreeSet<(i32, i64)> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.0 == 0)
        .map(|e| (e.1, e.2))
        .collect();

    // B takes A's partitions over after the session timeout, and finishes the topic.
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let seen: BTreeSet<(i32, i64)> =
                log.lock().unwrap().iter().map(|e| (e.1, e.2)).collect();
            if seen.len() == N {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("every record handled");
    stop_b.notify_one();
    task_b.await.unwrap();

    let log = log.lock().unwrap().clone();
    let seen: BTreeSet<(i32, i64)> = log.iter().map(|e| (e.1, e.2)).collect();
    assert_eq!(seen.len(), N, "no record lost");
    assert!(
        log.iter().any(|e| e.0 == 0) && log.iter().any(|e| e.0 == 1),
        "both members worked"
    );
    // Duplicates are only A's uncommitted tail: at most commit_every per partition, plus the
    // records in flight between two commits.
    let mut count: BTreeMap<(i32, i64), usize> = BTreeMap::new();
    for e in &log {
        *count.entry((e.1, e.2)).or_default() += 1;
    }
    let dups: Vec<_> = count
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(k, _)| *k)
        .collect();
    assert!(
        dups.iter().all(|d| a_done.contains(d)),
        "only records A handled are seen twice"
    );
    assert!(dups.len() <= 3 * 100, "{} duplicates", dups.len());
    // One owner at a time: per partition, the sequence of handlers is A…A then B…B (or
    // B then A then B around the first rebalance), never interleaved record by record.
    for p in 0..3 {
        let owners: Vec<usize> = log.iter().filter(|e| e.1 == p).map(|e| e.0).collect();
        let switches = owners.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(
            switches <= 3,
            "partition {p} switched owner {switches} times"
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_a_crash_resumes_from_the_last_commit() {
    const N: usize = 1000;
    let (server, reg, topic) = setup(1, N).await;
    let group = rand_topic("g");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let handled = Arc::new(AtomicUsize::new(0));
    let first = TypedConsumer::<UserEvent>::new(config(&topic, &group), reg.clone()).unwrap();
    let task = tokio::spawn(member(
        first,
        0,
        log.clone(),
        handled.clone(),
        Arc::new(Notify::new()),
        Duration::from_micros(300),
    ));
    wait_until(&handled, 550).await;
    task.abort(); // crash: no final commit
    let _ = task.await;
    let crashed_at = log.lock().unwrap().iter().map(|e| e.2).max().unwrap();

    let stop = Arc::new(Notify::new());
    let second = TypedConsumer::<UserEvent>::new(config(&topic, &group), reg.clone()).unwrap();
    let task = tokio::spawn(member(
        second,
        1,
        log.clone(),
        handled.clone(),
        stop.clone(),
        Duration::from_micros(300),
    ));
    tokio::time::timeout(Duration::from_secs(60), async {
        while !log
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.0 == 1 && e.2 == N as i64 - 1)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the restarted member reaches the end");
    stop.notify_one();
    task.await.unwrap();

    let log = log.lock().unwrap().clone();
    let resumed_at = log.iter().filter(|e| e.0 == 1).map(|e| e.2).min().unwrap();
    let all: BTreeSet<i64> = log.iter().map(|e| e.2).collect();
    assert_eq!(all.len(), N, "nothing lost");
    assert!(
        resumed_at <= crashed_at + 1,
        "resumed at {resumed_at}, crashed after {crashed_at}: a gap"
    );
    assert!(
        resumed_at >= 100,
        "resumed at {resumed_at}: earlier commits were lost"
    );
    // Replayed: exactly the uncommitted tail.
    let replayed = log.iter().filter(|e| e.0 == 1 && e.2 <= crashed_at).count() as i64;
    assert_eq!(replayed, crashed_at + 1 - resumed_at);
    server.stop().await.unwrap();
}
