//! Consumer memory over a long run: the resident set (VmRSS) of one typed consumer after
//! 100k, 250k, 500k and 1M records of `UserEvent` from a 6-partition topic on a real broker
//! (Apache Kafka), serial (the default), `Key` with 256 in flight, `run_batch` and `run_ref`. It
//! must stay flat: what the consumer holds is bounded by librdkafka's fetch queue, the
//! look-ahead and the records in flight, never by how many records went by (no per-record
//! bookkeeping that is kept).
//! Each mode runs in a process of its own, so its numbers are its own. Prints a Markdown
//! table for BENCHMARKS.md; with `SCHEMAFLOW_BENCH_OUT=DIR` also writes it, with each mode's
//! growth and whether it is flat, to `DIR/consumer_memory.md` (`scripts/pipeline-bench` puts it
//! in the end-to-end section). Flat means the peak exceeds the resident set at 100k records by
//! less than librdkafka's prefetch bound (`queued.max.messages.kbytes`, 64 MiB by default): the
//! queue filling (and draining near the topic's end) moves the resident set within that bound,
//! while keeping even 100 bytes a record would add 86 MiB over the last 900k records.
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
use schemaflow::consumer::{
    ConsumerConfig, HandlerError, Message, MessageRef, ProcessingOrder, TypedConsumer,
};
use schemaflow::producer::{ProducerConfig, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

const PARTITIONS: i32 = 6;
const TOTAL: usize = 1_000_000;
/// Where the resident set is sampled.
const MARKS: [usize; 4] = [100_000, 250_000, 500_000, 1_000_000];
/// Set in a mode's child process: `<mode> <registry url> <topic> <brokers>`.
const CHILD_ENV: &str = "SCHEMAFLOW_BENCH_MEMORY_CHILD";
/// Which loop a mode runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loop {
    Run,
    RunRef,
    Batch,
}

/// (label, ordering, max concurrency, loop).
const MODES: &[(&str, ProcessingOrder, usize, Loop)] = &[
    (
        "serial (`Partition`, 1)",
        ProcessingOrder::Partition,
        1,
        Loop::Run,
    ),
    ("`Key`, 256", ProcessingOrder::Key, 256, Loop::Run),
    (
        "`run_batch` (500 a batch)",
        ProcessingOrder::Partition,
        1,
        Loop::Batch,
    ),
    (
        "`run_ref` (serial)",
        ProcessingOrder::Partition,
        1,
        Loop::RunRef,
    ),
];
/// The most the peak may exceed the resident set at 100k records and still be flat: librdkafka's
/// default prefetch bound (`queued.max.messages.kbytes`), in MiB.
const FLAT_MIB: f64 = 64.0;

async fn child(spec: &str) {
    let f: Vec<&str> = spec.split(' ').collect();
    let (mode, url, topic, brokers) = (f[0].parse::<usize>().unwrap(), f[1], f[2], f[3]);
    let (label, ordering, concurrency, looped) = MODES[mode];
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
    // Counts `k` more records handled, sampling the resident set at each mark passed.
    let seen = {
        let (c, s, d) = (count.clone(), samples.clone(), done.clone());
        move |k: usize| {
            let before = c.fetch_add(k, Ordering::Relaxed);
            for mark in MARKS {
                if before < mark && before + k >= mark {
                    s.lock().unwrap().push(status_mib("VmRSS:"));
                }
            }
            if before < TOTAL && before + k >= TOTAL {
                d.notify_one();
            }
        }
    };
    let shutdown = async move { done.notified().await };
    if looped == Loop::Batch {
        consumer
            .run_batch(
                move |msgs: Vec<Message<UserEvent>>| {
                    seen(msgs.len());
                    std::hint::black_box(msgs);
                    async { Ok::<(), HandlerError>(()) }
                },
                shutdown,
            )
            .await
            .unwrap();
    } else if looped == Loop::RunRef {
        consumer
            .run_ref(
                async |m: MessageRef<'_, UserEvent>| {
                    seen(1);
                    std::hint::black_box(m.value());
                    Ok::<(), HandlerError>(())
                },
                shutdown,
            )
            .await
            .unwrap();
    } else {
        consumer
            .run(
                move |m: Message<UserEvent>| {
                    seen(1);
                    std::hint::black_box(m.value);
                    async { Ok::<(), HandlerError>(()) }
                },
                shutdown,
            )
            .await
            .unwrap();
    }
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
    let mut table = String::from(
        "| mode | records | RSS at 100k | 250k | 500k | 1M | peak RSS | time | peak − RSS at 100k | flat |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
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
        let mib = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
        let (at100k, peak) = (mib(3), mib(7));
        let flat = peak - at100k <= FLAT_MIB;
        table.push_str(&format!(
            "| {} | {} | {} MiB | {} MiB | {} MiB | {} MiB | {} MiB | {} s | {:+.1} MiB | {} |\n",
            f[1],
            f[2],
            f[3],
            f[4],
            f[5],
            f[6],
            f[7],
            f[8],
            peak - at100k,
            if flat { "met ✔" } else { "unmet ✘" }
        ));
    }
    print!("{table}");
    if let Some(dir) = std::env::var_os("SCHEMAFLOW_BENCH_OUT") {
        let section = format!(
            "**Memory: one typed consumer over {TOTAL} `UserEvent` records** (`cargo bench --bench consumer_memory`, {PARTITIONS} partitions, each mode in a process of its own; flat = the peak exceeds the resident set at 100k records by less than librdkafka's {FLAT_MIB:.0} MiB prefetch bound; the resident set drops near the topic's end as the prefetch queue drains)\n\n{table}"
        );
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join("consumer_memory.md"),
            section,
        )
        .unwrap();
    }
    server.stop().await.unwrap();
}
