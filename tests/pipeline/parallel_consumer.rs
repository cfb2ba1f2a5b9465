//! Parallel processing inside one consumer, through a real broker and the embedded registry:
//! per-key and per-partition order with records overlapping, no loss after a crash with many
//! records in flight (a SIGKILLed child process), backpressure (a stalled handler pauses its
//! partition), and the batch handler.
#![cfg(unix)]
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemaflow::consumer::{
    BatchConfig, ConsumerConfig, ConsumerEvent, ConsumerStats, HandlerError, Message,
    ProcessingOrder, TypedConsumer,
};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{
    CacheConfig, CachedRegistry, ClientConfig as RegistryConfig, RegistryClient,
};
use tokio::sync::Notify;

/// Produce `(key, partition, id)` records: the value's `user_id` is the id.
async fn produce(reg: &CachedRegistry, topic: &str, records: &[(String, Option<i32>, String)]) {
    let producer = TypedProducer::new(
        ProducerConfig::new(&broker().bootstrap).set("linger.ms", "5"),
        reg.clone(),
    )
    .unwrap();
    let mut pending = Vec::new();
    for (key, partition, id) in records {
        let mut e: UserEvent = common::avro_minimal();
        e.user_id = id.clone();
        let mut r = Record::to(topic).key(key.as_bytes()).value(&e);
        if let Some(p) = partition {
            r = r.partition(*p);
        }
        pending.push(producer.enqueue(r).await.unwrap());
    }
    for p in pending {
        p.await.unwrap();
    }
}

/// The group's committed offset per partition (`None`: no commit).
async fn committed(group: &str, topic: &str, partitions: i32) -> Vec<Option<i64>> {
    let (group, topic) = (group.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(&topic, p);
        }
        let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        (0..partitions)
            .map(|p| match got.find_partition(&topic, p).unwrap().offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            })
            .collect()
    })
    .await
    .unwrap()
}

fn config(topic: &str, group: &str, ordering: ProcessingOrder, n: usize) -> ConsumerConfig {
    let mut c = ConsumerConfig::new(&broker().bootstrap, group, &[topic]).concurrency(ordering, n);
    c.commit_every = 20;
    c.commit_interval = Duration::from_millis(200);
    // A SIGKILLed member's partitions go to the next one after its session times out.
    c.set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000")
}

/// Tracks how many handlers run at once.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Overlap {
    fn enter(&self) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Run `consumer` with a handler sleeping 0..`max_ms` ms until `expected` records were handled;
/// returns the handler's log (in completion order) and the max overlap.
async fn run_logged(
    consumer: &TypedConsumer<UserEvent>,
    expected: usize,
    max_ms: u64,
) -> (Vec<Message<UserEvent>>, usize, ConsumerStats) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let overlap = Arc::new(Overlap::default());
    let done = Arc::new(Notify::new());
    let (l, o, d) = (log.clone(), overlap.clone(), done.clone());
    let stats = consumer
        .run(
            move |m: Message<UserEvent>| {
                let (l, o, d) = (l.clone(), o.clone(), d.clone());
                async move {
                    o.enter();
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=max_ms))).await;
                    o.leave();
                    let mut log = l.lock().unwrap();
                    log.push(m);
                    if log.len() >= expected {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                // Stop on the timeout too, so that the count below says what was missing.
                let _ = tokio::time::timeout(Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    let log = std::mem::take(&mut *log.lock().unwrap());
    assert!(
        log.len() >= expected,
        "{} of {expected} records handled in 60 s",
        log.len()
    );
    (log, overlap.max.load(Ordering::SeqCst), stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_order_holds_while_keys_overlap() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-key");
    create_topic(&broker().bootstrap, &topic, 2).await;
    let (keys, per_key) = (16, 15);
    // Interleaved: k0:0, k1:0, …, k0:1, …
    let records: Vec<_> = (0..per_key)
        .flat_map(|s| (0..keys).map(move |k| (format!("k{k}"), None, format!("k{k}:{s}"))))
        .collect();
    produce(&reg, &topic, &records).await;
    let consumer = TypedConsumer::<UserEvent>::new(
        config(&topic, &rand_topic("g"), ProcessingOrder::Key, 16),
        reg.clone(),
    )
    .unwrap();
    let (log, overlap, stats) = run_logged(&consumer, keys * per_key, 8).await;
    assert_eq!(log.len(), keys * per_key);
    let mut seqs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in &log {
        let id = m.value.as_ref().unwrap().user_id.clone();
        let (k, s) = id.split_once(':').unwrap();
        seqs.entry(k.to_string())
            .or_default()
            .push(s.parse().unwrap());
    }
    for (k, s) in &seqs {
        assert_eq!(s, &(0..per_key).collect::<Vec<_>>(), "key {k} out of order");
    }
    assert!(overlap > 1, "different keys never overlapped: {overlap}");
    assert!(stats.max_in_flight > 1, "{stats:?}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_order_holds_while_partitions_overlap() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-part");
    let partitions = 4;
    create_topic(&broker().bootstrap, &topic, partitions).await;
    let records: Vec<_> = (0..240)
        .map(|i| (format!("x{i}"), Some(i % partitions), format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;
    let consumer = TypedConsumer::<UserEvent>::new(
        config(&topic, &rand_topic("g"), ProcessingOrder::Partition, 4),
        reg.clone(),
    )
    .unwrap();
    let (log, overlap, _) = run_logged(&consumer, 240, 5).await;
    // Every record once, and each partition's offsets in order with none skipped.
    let ids: BTreeSet<String> = log
        .iter()
        .map(|m| m.value.as_ref().unwrap().user_id.clone())
        .collect();
    assert_eq!(log.len(), 240, "a record handled twice");
    assert_eq!(ids, (0..240).map(|i| i.to_string()).collect());
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for m in &log {
        offsets.entry(m.partition).or_default().push(m.offset);
    }
    assert_eq!(offsets.len(), partitions as usize);
    for (p, o) in &offsets {
        assert_eq!(o, &(0..60).collect::<Vec<i64>>(), "partition {p}");
    }
    assert!(overlap > 1, "partitions never overlapped: {overlap}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_is_serial() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-serial");
    create_topic(&broker().bootstrap, &topic, 3).await;
    let records: Vec<_> = (0..60)
        .map(|i| (format!("x{i}"), None, format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let (log, overlap, stats) = run_logged(&consumer, 60, 2).await;
    assert_eq!(log.len(), 60);
    assert_eq!(overlap, 1);
    assert_eq!(stats.max_in_flight, 1);
    // Serially nothing waits: a record is received only when none is in flight.
    assert_eq!(stats.max_buffered, 0, "{stats:?}");
    server.stop().await.unwrap();
}

const CHILD_ENV: &str = "SCHEMAFLOW_PARALLEL_CHILD";

/// The consumer the crash test SIGKILLs: `Unordered`, 16 in flight, random delays; prints
/// `H <partition> <offset> <id>` per handled record. Run only as the crash test's child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of no_loss_after_a_crash_with_records_in_flight"]
async fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split(' ');
    let (url, topic, group) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let reg = CachedRegistry::new(
        RegistryClient::new(RegistryConfig::new(url)).unwrap(),
        CacheConfig::default(),
    );
    let consumer =
        TypedConsumer::<UserEvent>::new(config(topic, group, ProcessingOrder::Unordered, 16), reg)
            .unwrap();
    consumer
        .run(
            |m: Message<UserEvent>| async move {
                tokio::time::sleep(Duration::from_millis(fastrand::u64(0..100))).await;
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "H {} {} {}",
                    m.partition,
                    m.offset,
                    m.value.map(|v| v.user_id).unwrap_or_default()
                );
                let _ = out.flush();
                Ok::<(), HandlerError>(())
            },
            std::future::pending(),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_loss_after_a_crash_with_records_in_flight() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-crash");
    let group = rand_topic("g");
    let partitions = 3;
    let count = 900;
    create_topic(&broker().bootstrap, &topic, partitions).await;
    let records: Vec<_> = (0..count)
        .map(|i| (format!("x{i}"), Some(i as i32 % partitions), format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;

    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "parallel_consumer::crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{} {topic} {group}", server.url()))
        // This process's broker, which the child would not know of when this process
        // started it itself (without SCHEMAFLOW_TEST_BROKERS): it would start one of its own.
        .env(common::broker::BROKERS_ENV, &broker().bootstrap)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // (partition, offset) → id, as handled by the first run.
    let mut first: BTreeSet<(i32, i64)> = BTreeSet::new();
    let mut first_ids: BTreeSet<usize> = BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while first.len() < 300 {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("the child handled too little");
        // The harness's "test crash_child ... " may precede the first line: the last four
        // words are the record.
        let f: Vec<&str> = line.split(' ').collect();
        let f = &f[f.len().saturating_sub(4)..];
        if f.len() == 4 && f[0] == "H" {
            first.insert((f[1].parse().unwrap(), f[2].parse().unwrap()));
            first_ids.insert(f[3].parse().unwrap());
        }
    }
    // SIGKILL with records in flight: no drain, no commit on revoke, no leave.
    child.kill().unwrap();
    child.wait().unwrap();
    // The pipe ends with the child: read whatever it printed before it died.
    reader.join().unwrap();
    while let Ok(line) = rx.try_recv() {
        // The harness's "test crash_child ... " may precede the first line: the last four
        // words are the record.
        let f: Vec<&str> = line.split(' ').collect();
        let f = &f[f.len().saturating_sub(4)..];
        if f.len() == 4 && f[0] == "H" {
            first.insert((f[1].parse().unwrap(), f[2].parse().unwrap()));
            first_ids.insert(f[3].parse().unwrap());
        }
    }
    let commits = committed(&group, &topic, partitions).await;
    // Never committed past an unfinished record: everything below the committed offset was
    // handled by the first run.
    for (p, c) in commits.iter().enumerate() {
        if let Some(c) = c {
            for o in 0..*c {
                assert!(
                    first.contains(&(p as i32, o)),
                    "partition {p} committed {c} but offset {o} was never handled"
                );
            }
        }
    }
    assert!(
        first.len() < count,
        "the child handled everything before the kill"
    );

    // The restart: a new member of the group, once the dead one's session timed out.
    let cfg = config(&topic, &group, ProcessingOrder::Unordered, 32);
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let below: usize = commits.iter().map(|c| c.unwrap_or(0) as usize).sum();
    let (log, _, _) = run_logged(&consumer, count - below, 5).await;
    let second_ids: BTreeSet<usize> = log
        .iter()
        .map(|m| m.value.as_ref().unwrap().user_id.parse().unwrap())
        .collect();
    let all: BTreeSet<usize> = first_ids.union(&second_ids).copied().collect();
    assert_eq!(all.len(), count, "lost records");
    // Duplicates are the first run's records at or after the committed offsets: what was in
    // flight or finished after an unfinished one, plus what the last commit had not reached.
    let dups = first_ids.intersection(&second_ids).count();
    let after_commit = first
        .iter()
        .filter(|(p, o)| commits[*p as usize].is_none_or(|c| *o >= c))
        .count();
    assert!(dups <= after_commit, "{dups} duplicates > {after_commit}");
    eprintln!(
        "crash: first run {} handled, committed {commits:?}, {dups} duplicates",
        first.len()
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handler_pauses_its_partition_and_bounds_the_look_ahead() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-stall");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let count = 600;
    // One key: every record waits behind the stalled first one.
    let records: Vec<_> = (0..count)
        .map(|i| ("same".to_string(), None, format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;
    let mut cfg = config(&topic, &rand_topic("g"), ProcessingOrder::Key, 4);
    cfg.look_ahead = Some(50);
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let release = Arc::new(Notify::new());
    let handled = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Notify::new());
    let (r, h, d) = (release.clone(), handled.clone(), done.clone());
    let run = consumer.run(
        move |m: Message<UserEvent>| {
            let (r, h, d) = (r.clone(), h.clone(), d.clone());
            async move {
                if m.offset == 0 {
                    r.notified().await;
                }
                if h.fetch_add(1, Ordering::SeqCst) + 1 >= count {
                    d.notify_one();
                }
                Ok::<(), HandlerError>(())
            }
        },
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(60), done.notified()).await;
        },
    );
    let watch = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // Stalled and paused: a partition is paused when its look-ahead is full, so the
        // look-ahead reaches its bound with nothing handled; that it never goes past it, for
        // the whole run, is max_buffered below.
        loop {
            let stats = consumer.stats();
            if stats.pauses > 0 && stats.buffered >= 50 {
                assert!(stats.buffered <= 50, "{stats:?}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never paused with a full look-ahead: {stats:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(handled.load(Ordering::SeqCst), 0);
        release.notify_one();
    };
    let (stats, ()) = tokio::join!(run, watch);
    let stats = stats.unwrap();
    assert_eq!(stats.handled, count as u64);
    assert!(stats.max_buffered <= 50, "{stats:?}");
    assert!(stats.pauses >= 1, "{stats:?}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_hold_one_partition_in_order_and_commit_after_ok() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-batch");
    let group = rand_topic("g");
    let partitions = 2;
    create_topic(&broker().bootstrap, &topic, partitions).await;
    let count = 400;
    let records: Vec<_> = (0..count)
        .map(|i| (format!("x{i}"), Some(i as i32 % partitions), format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;
    let mut cfg = config(&topic, &group, ProcessingOrder::Partition, 2);
    cfg.batch = BatchConfig::default()
        .max_records(50)
        .max_wait(Duration::from_millis(30));
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let batches = Arc::new(Mutex::new(Vec::<Vec<(i32, i64)>>::new()));
    let done = Arc::new(Notify::new());
    let (b, d) = (batches.clone(), done.clone());
    let seen = Arc::new(AtomicUsize::new(0));
    let stats = consumer
        .run_batch(
            move |batch: Vec<Message<UserEvent>>| {
                let (b, d, seen) = (b.clone(), d.clone(), seen.clone());
                async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let n = batch.len();
                    b.lock()
                        .unwrap()
                        .push(batch.iter().map(|m| (m.partition, m.offset)).collect());
                    if seen.fetch_add(n, Ordering::SeqCst) + n >= count {
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
    assert_eq!(stats.handled, count as u64);
    let batches = std::mem::take(&mut *batches.lock().unwrap());
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    for batch in batches.iter() {
        assert!(
            !batch.is_empty() && batch.len() <= 50,
            "batch of {}",
            batch.len()
        );
        let p = batch[0].0;
        for (bp, o) in batch {
            assert_eq!(*bp, p, "a batch mixes partitions");
            if let Some(prev) = last.insert(p, *o) {
                assert!(prev < *o, "partition {p} out of order");
            }
        }
    }
    assert!(batches.iter().any(|b| b.len() > 1), "no batching happened");
    // Everything handled is committed: the next offset to read, per partition.
    let commits = committed(&group, &topic, partitions).await;
    for p in 0..partitions {
        assert_eq!(commits[p as usize], Some(last[&p] + 1));
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_joining_while_records_are_in_flight_loses_and_repeats_nothing() {
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("par-rebalance");
    let group = rand_topic("g");
    let partitions = 4;
    let count = 800;
    create_topic(&broker().bootstrap, &topic, partitions).await;
    let records: Vec<_> = (0..count)
        .map(|i| (format!("x{i}"), Some(i as i32 % partitions), format!("{i}")))
        .collect();
    produce(&reg, &topic, &records).await;
    let seen = Arc::new(Mutex::new(BTreeMap::<usize, usize>::new()));
    let all = Arc::new(Notify::new());
    // Until B handles its first record, every record after the 100th takes the longest
    // (40 ms): A alone then needs 7 s for the other 700, so B's join (a rebalance, seconds on
    // a loaded machine) comes before A has read everything — or B would get nothing to do.
    let b_started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handler = |seen: Arc<Mutex<BTreeMap<usize, usize>>>, all: Arc<Notify>, is_b: bool| {
        let b_started = b_started.clone();
        move |m: Message<UserEvent>| {
            let (seen, all, b_started) = (seen.clone(), all.clone(), b_started.clone());
            async move {
                use std::sync::atomic::Ordering::SeqCst;
                if is_b {
                    b_started.store(true, SeqCst);
                }
                let slow = !b_started.load(SeqCst) && seen.lock().unwrap().len() >= 100;
                let pause = if slow { 40 } else { fastrand::u64(0..40) };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let id: usize = m.value.unwrap().user_id.parse().unwrap();
                let mut s = seen.lock().unwrap();
                *s.entry(id).or_insert(0) += 1;
                if s.len() == count {
                    all.notify_waiters();
                }
                Ok::<(), HandlerError>(())
            }
        }
    };
    let a = TypedConsumer::<UserEvent>::new(
        config(&topic, &group, ProcessingOrder::Partition, 4),
        reg.clone(),
    )
    .unwrap();
    let stop = |all: Arc<Notify>| async move {
        let _ = tokio::time::timeout(Duration::from_secs(60), all.notified()).await;
    };
    let run_a = a.run(handler(seen.clone(), all.clone(), false), stop(all.clone()));
    let seen_b = seen.clone();
    let (h, al) = (handler(seen.clone(), all.clone(), true), all.clone());
    let run_b = async {
        // B joins once A is well under way, with records in flight. Bounded: were A to stop
        // (its 60 s) before 100 records, an unbounded wait would hang the test, not fail it.
        let under_way = async {
            while seen_b.lock().unwrap().len() < 100 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), under_way)
            .await
            .is_err()
        {
            panic!(
                "member A handled {} records in 60 s, fewer than the 100 B waits for",
                seen_b.lock().unwrap().len()
            );
        }
        // Made (and so subscribed) only now: `TypedConsumer::new` joins the group, and a
        // member that joined without polling holds every later rebalance of the group until
        // it polls (its revoke waits for it) — made up front, B could join first, take every
        // partition and keep A waiting in its join for as long as the test waits.
        let b = TypedConsumer::<UserEvent>::new(
            config(&topic, &group, ProcessingOrder::Partition, 4),
            reg.clone(),
        )
        .unwrap();
        b.run(h, stop(al)).await
    };
    let (ra, rb) = tokio::join!(run_a, run_b);
    let (sa, sb) = (ra.unwrap(), rb.unwrap());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), count, "lost records");
    let dups: usize = seen.values().map(|n| n - 1).sum();
    assert!(sb.handled > 0, "the second member never got a partition");
    eprintln!(
        "rebalance: A handled {}, B handled {}, {dups} duplicates",
        sa.handled, sb.handled
    );
    // A kept its revoked partitions until their records in flight (at most 40 ms each)
    // finished and were committed: B starts after them, so nothing is handled twice. (Were
    // the in-flight records let go unfinished, B would read them again: duplicates.)
    assert_eq!(
        dups, 0,
        "records in flight at the revoke were handled again"
    );
    server.stop().await.unwrap();
}

/// Dead letters and the registry-outage rule hold per record with many in flight (`Key`, 16):
/// while the registry is down nothing is handled and nothing is dead-lettered (a fault of the
/// environment, retried); once it is back, every good record is handled, and exactly the
/// records at fault — bad bytes, an id the registry does not have, a handler that always
/// fails — are dead-lettered; every partition is committed to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_and_the_outage_rule_hold_per_record_in_parallel() {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    use rdkafka::Message as _;
    use schemaflow::consumer::DeadLetter;
    use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

    let dir = tempfile::tempdir().unwrap();
    let server_config = |listen: &str| {
        ServerConfig::default()
            .listen(listen.parse().unwrap())
            .data_dir(dir.path().to_path_buf())
    };
    let server =
        EmbeddedRegistry::start(server_config("127.0.0.1:0"), Arc::new(CompatibilityEngine))
            .await
            .unwrap();
    let (addr, url) = (server.addr(), server.url().to_string());
    let cached = |url: &str| {
        CachedRegistry::new(
            RegistryClient::new(RegistryConfig::new(url)).unwrap(),
            CacheConfig::default(),
        )
    };
    let topic = rand_topic("par-dlq");
    let partitions = 3;
    let count = 300;
    create_topic(&broker().bootstrap, &topic, partitions).await;
    let records: Vec<_> = (0..count)
        .map(|i| {
            let id = if i == 150 {
                "fail".to_string()
            } else {
                format!("{i}")
            };
            (format!("k{}", i % 40), Some(i as i32 % partitions), id)
        })
        .collect();
    produce(&cached(&url), &topic, &records).await;
    let raw: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .unwrap();
    let poisons: [(&str, Vec<u8>); 2] = [
        ("bad-magic", vec![7, 0, 0, 0, 1, 0]),
        ("unknown-id", vec![0, 0, 0, 0x30, 0x39, 2, 4, 6]),
    ];
    for (p, (key, bytes)) in poisons.iter().enumerate() {
        raw.send(
            FutureRecord::to(&topic)
                .key(*key)
                .payload(bytes)
                .partition(p as i32),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    }
    server.stop().await.unwrap();

    // A fresh cache: every record needs the registry, which is down.
    let group = rand_topic("g");
    let mut cfg = config(&topic, &group, ProcessingOrder::Key, 16);
    cfg.dead_letter = DeadLetter::PerTopic;
    cfg.max_retries = 1;
    cfg.retry_backoff = Duration::from_millis(10);
    cfg.environment_retry_timeout = Duration::from_secs(60);
    // The most retries of one record held for the outage (records are decoded, and so wait
    // for the registry, one at a time as they are fetched).
    let retries = Arc::new(AtomicUsize::new(0));
    let r = retries.clone();
    let consumer = TypedConsumer::<UserEvent>::new(cfg, cached(&url))
        .unwrap()
        .on_event(move |e| {
            if let ConsumerEvent::Retrying { attempt, .. } = e {
                r.fetch_max(*attempt as usize, Ordering::SeqCst);
            }
        });
    let handled = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let all = Arc::new(Notify::new());
    let (h, a) = (handled.clone(), all.clone());
    let run = consumer.run(
        move |m: Message<UserEvent>| {
            let (h, a) = (h.clone(), a.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(fastrand::u64(0..5))).await;
                let id = m.value.unwrap().user_id;
                if id == "fail" {
                    return Err(format!("cannot handle {id}").into());
                }
                let mut h = h.lock().unwrap();
                *h.entry(id).or_insert(0) += 1;
                if h.len() == count - 1 {
                    a.notify_one();
                }
                Ok::<(), HandlerError>(())
            }
        },
        async {
            let _ = tokio::time::timeout(Duration::from_secs(90), all.notified()).await;
            // The last dead letter written and nothing left in flight before stopping (the
            // offsets are committed on the way out).
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                let s = consumer.stats();
                if s.dead_lettered >= 3 && s.in_flight == 0 && s.buffered == 0 {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    break; // the assertions below say what is missing
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    );
    let h = handled.clone();
    let outage = async move {
        // The member joined, fetched, and holds a record through several retries of the
        // outage: nothing may have been handled.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while retries.load(Ordering::SeqCst) < 3 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no record held through 3 retries of the outage"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            h.lock().unwrap().is_empty(),
            "a record was handled while the registry was down"
        );
        EmbeddedRegistry::start(
            server_config(&addr.to_string()),
            Arc::new(CompatibilityEngine),
        )
        .await
        .unwrap()
    };
    let (stats, back) = tokio::join!(run, outage);
    let stats = stats.unwrap();
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len(), count - 1, "every good record handled");
    assert!(stats.environment_retries > 0, "the outage was retried");
    assert_eq!(stats.dead_lettered, 3, "{stats:?}");

    // The dead-letter topic holds exactly the three records at fault.
    let dlq: rdkafka::consumer::StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    dlq.subscribe(&[&format!("{topic}.dlq")]).unwrap();
    let mut keys = BTreeSet::new();
    while let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(5), dlq.recv()).await {
        keys.insert(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
    }
    let fail_key = format!("k{}", 150 % 40);
    assert_eq!(
        keys,
        BTreeSet::from(["bad-magic".to_string(), "unknown-id".to_string(), fail_key])
    );
    // 100 records per partition, plus one poison in partitions 0 and 1: all finished.
    assert_eq!(
        committed(&group, &topic, partitions).await,
        vec![Some(101), Some(101), Some(100)]
    );
    back.stop().await.unwrap();
}
