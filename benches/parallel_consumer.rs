//! Parallel processing inside one consumer: records/s of one member on a 6-partition topic
//! with a handler that sleeps 5 ms (an I/O-bound handler: a database write, an HTTP call),
//! serial (the default) versus `Partition` with 6, `Key` with 64 and 256 (512 distinct keys)
//! and `Unordered` with 256 in flight. Each mode runs in a process of its own so that its peak
//! RSS (VmHWM) is its own. Prints a Markdown table for BENCHMARKS.md.
//!
//! Run: `cargo bench --bench parallel_consumer`: on the broker in `SCHEMAFLOW_TEST_BROKERS`
//! when set, else on one it starts with `scripts/kafka start` (and stops at exit).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::samples::avro::user_event::UserEvent;
use common::{broker, event, services};
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, ProcessingOrder, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

const PARTITIONS: i32 = 6;
const KEYS: usize = 512;
const HANDLER_SLEEP: Duration = Duration::from_millis(5);
/// Set in a mode's child process: `<mode> <registry url> <topic> <brokers>`.
const CHILD_ENV: &str = "SCHEMAFLOW_BENCH_PARALLEL_CHILD";

/// (label, ordering, max_concurrency, records consumed: about 2–3 s of each).
const MODES: &[(&str, ProcessingOrder, usize, usize)] = &[
    ("serial (Partition, 1)", ProcessingOrder::Partition, 1, 400),
    ("Partition, 6", ProcessingOrder::Partition, 6, 2_400),
    ("Key, 64", ProcessingOrder::Key, 64, 20_000),
    ("Key, 256", ProcessingOrder::Key, 256, 60_000),
    ("Unordered, 256", ProcessingOrder::Unordered, 256, 60_000),
];
const TOTAL: usize = 60_000;

async fn child(spec: &str) {
    let f: Vec<&str> = spec.split(' ').collect();
    let (mode, url, topic, brokers) = (f[0].parse::<usize>().unwrap(), f[1], f[2], f[3]);
    let (label, ordering, concurrency, n) = MODES[mode];
    let reg = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(url)).unwrap(),
        CacheConfig::default(),
    );
    let group = format!("bench-par-{}-{mode}", fastrand::u32(..));
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(brokers, group, &[topic]).concurrency(ordering, concurrency),
        reg,
    )
    .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    let started = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let (c, d, s) = (count.clone(), done.clone(), started.clone());
    let stats = consumer
        .run(
            move |_m: Message<UserEvent>| {
                let (c, d, s) = (c.clone(), d.clone(), s.clone());
                async move {
                    // Timed from the first record: group join and the first fetch excluded.
                    s.lock().unwrap().get_or_insert_with(Instant::now);
                    tokio::time::sleep(HANDLER_SLEEP).await;
                    if c.fetch_add(1, Ordering::Relaxed) + 1 == n {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move { done.notified().await },
        )
        .await
        .unwrap();
    let elapsed = started
        .lock()
        .unwrap()
        .map_or(0.0, |t| t.elapsed().as_secs_f64());
    let handled = count.load(Ordering::Relaxed);
    // What limits a mode shows here: how many records were in flight at most, how many
    // waited at most, and how often a full look-ahead paused a partition.
    println!(
        "RESULT|{label}|{handled}|{:.0}|{:.1}|{}|{}|{}",
        n as f64 / elapsed,
        common::status_mib("VmHWM:"),
        stats.max_in_flight,
        stats.max_buffered,
        stats.pauses,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec).await;
        return;
    }
    let b = broker::broker();
    let (server, reg) = services::registry().await;
    let topic = format!("bench-par-{:08x}", fastrand::u32(..));
    broker::create_topic(&b.bootstrap, &topic, PARTITIONS).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let mut pending = Vec::with_capacity(TOTAL);
    for i in 0..TOTAL {
        let key = format!("key-{}", i % KEYS);
        pending.push(
            producer
                .enqueue(Record::to(&topic).key(key.as_bytes()).value(&event(i)))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    println!(
        "{TOTAL} records, {PARTITIONS} partitions, {KEYS} keys, handler sleeps {HANDLER_SLEEP:?}"
    );
    println!("| mode | records | records/s | vs serial | peak RSS | most in flight | most waiting | pauses |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    let mut serial = None;
    for mode in 0..MODES.len() {
        let out = std::process::Command::new(&exe)
            .env(
                CHILD_ENV,
                format!("{mode} {} {topic} {}", server.url(), b.bootstrap),
            )
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find(|l| l.starts_with("RESULT|")) else {
            eprintln!(
                "mode {mode} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        };
        let f: Vec<&str> = line.split('|').collect();
        let rate: f64 = f[3].parse().unwrap_or(f64::NAN);
        let base = *serial.get_or_insert(rate);
        println!(
            "| {} | {} | {rate:.0} | {:.1}× | {} MiB | {} | {} | {} |",
            f[1],
            f[2],
            rate / base,
            f[4],
            f[5],
            f[6],
            f[7]
        );
    }
    server.stop().await.unwrap();
}
