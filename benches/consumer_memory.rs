//! Consumer memory over a long run: the resident set (VmRSS) of one typed consumer after
//! 100k, 250k, 500k and 1M records of `UserEvent` from a 6-partition topic on a real broker
//! (Apache Kafka), serial (the default) and `Key` with 256 in flight. It must stay flat: what
//! the consumer holds is bounded by librdkafka's fetch queue, the look-ahead and the records in
//! flight, never by how many records went by (no per-record bookkeeping that is kept).
//! Each mode runs in a process of its own, so its numbers are its own. Prints a Markdown
//! table for BENCHMARKS.md.
//!
//! Run: `cargo bench --bench consumer_memory`: on the broker in `SCHEMAFLOW_TEST_BROKERS`
//! when set, else on one it starts with `scripts/kafka start` (and stops at exit).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::samples::avro::user_event::UserEvent;
use common::{broker, event, services, status_mib};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, ProcessingOrder, TypedConsumer};
use schemaflow::producer::{ProducerConfig, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

const PARTITIONS: i32 = 6;
const TOTAL: usize = 1_000_000;
/// Where the resident set is sampled.
const MARKS: [usize; 4] = [100_000, 250_000, 500_000, 1_000_000];
/// Set in a mode's child process: `<mode> <registry url> <topic> <brokers>`.
const CHILD_ENV: &str = "SCHEMAFLOW_BENCH_MEMORY_CHILD";
const MODES: &[(&str, ProcessingOrder, usize)] = &[
    ("serial (Partition, 1)", ProcessingOrder::Partition, 1),
    ("Key, 256", ProcessingOrder::Key, 256),
];

async fn child(spec: &str) {
    let f: Vec<&str> = spec.split(' ').collect();
    let (mode, url, topic, brokers) = (f[0].parse::<usize>().unwrap(), f[1], f[2], f[3]);
    let (label, ordering, concurrency) = MODES[mode];
    let reg = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(url)).unwrap(),
        CacheConfig::default(),
    );
    let group = format!("bench-mem-{}-{mode}", fastrand::u32(..));
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(brokers, group, &[topic]).concurrency(ordering, concurrency),
        reg,
    )
    .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let (c, s, d) = (count.clone(), samples.clone(), done.clone());
    consumer
        .run(
            move |m: Message<UserEvent>| {
                let (c, s, d) = (c.clone(), s.clone(), d.clone());
                async move {
                    std::hint::black_box(m.value);
                    let n = c.fetch_add(1, Ordering::Relaxed) + 1;
                    if MARKS.contains(&n) {
                        s.lock().unwrap().push(status_mib("VmRSS:"));
                    }
                    if n == TOTAL {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move { done.notified().await },
        )
        .await
        .unwrap();
    let rss: Vec<String> = samples
        .lock()
        .unwrap()
        .iter()
        .map(|m| format!("{m:.1}"))
        .collect();
    println!(
        "RESULT|{label}|{}|{}|{:.1}|{:.1}",
        count.load(Ordering::Relaxed),
        rss.join("|"),
        status_mib("VmHWM:"),
        started.elapsed().as_secs_f64()
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
    let topic = format!("bench-mem-{:08x}", fastrand::u32(..));
    broker::create_topic(&b.bootstrap, &topic, PARTITIONS).await;
    // The frames are the typed producer's (its schema id); a raw producer writes the million
    // of them quickly, keyed over 512 keys.
    let typed = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let id = typed.preload::<UserEvent>(&topic).await.unwrap();
    let raw: FutureProducer = ProducerConfig::new(&b.bootstrap)
        .set("linger.ms", "20")
        .kafka_config()
        .create()
        .unwrap();
    let t = Instant::now();
    let mut pending = Vec::with_capacity(10_000);
    for i in 0..TOTAL {
        let mut frame = Vec::with_capacity(96);
        event(i).encode_frame(id, &mut frame).unwrap();
        let key = format!("key-{}", i % 512);
        loop {
            match raw.send_result(FutureRecord::to(&topic).key(&key).payload(&frame)) {
                Ok(f) => {
                    pending.push(f);
                    break;
                }
                // The local queue is full: let deliveries drain.
                Err((_, _)) => {
                    for f in pending.drain(..) {
                        f.await.unwrap().unwrap();
                    }
                }
            }
        }
        if pending.len() == 10_000 {
            for f in pending.drain(..) {
                f.await.unwrap().unwrap();
            }
        }
    }
    for f in pending.drain(..) {
        f.await.unwrap().unwrap();
    }
    raw.flush(Duration::from_secs(60)).unwrap();
    eprintln!("produced {TOTAL} in {:.1} s", t.elapsed().as_secs_f64());

    let exe = std::env::current_exe().unwrap();
    println!(
        "| mode | records | RSS at 100k | 250k | 500k | 1M | peak RSS | time |\n|---|---|---|---|---|---|---|---|"
    );
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
            panic!(
                "mode {mode} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let f: Vec<&str> = line.split('|').collect();
        println!(
            "| {} | {} | {} MiB | {} MiB | {} MiB | {} MiB | {} MiB | {} s |",
            f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]
        );
    }
    server.stop().await.unwrap();
}
