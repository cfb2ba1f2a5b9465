//! The Rust rows of the pipeline benchmark, each a function run in a child process of its own
//! (so its peak RSS is its own): raw librdkafka (`BaseProducer`, `BaseConsumer::poll`), raw poll
//! plus schemaflow's generated decoder, and the typed API (`TypedProducer`, `TypedConsumer::run`
//! and `run_batch`). Every function runs a warm-up round and then the timed rounds, and returns
//! the records/s of each round.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig as KafkaClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, MessageRef, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{register_generated, CachedRegistry, SchemaResolver};
use schemaflow::wire::SchemaId;

use crate::samples::avro::bench_small::BenchSmall;

/// One timed round: records/s, and the process's CPU time (user + system, every thread:
/// librdkafka's too) per record over the round — the number that stays meaningful when other
/// work shares the cores and the wall clock does not.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    pub rate: f64,
    pub cpu_us: f64,
}

/// This process's CPU time so far (`/proc/self/stat` utime + stime, every thread, dead ones
/// included), in seconds; 10 ms ticks.
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are the 14th and 15th fields: 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Measures a round's CPU time from its creation.
pub struct CpuClock(f64);

impl CpuClock {
    pub fn start() -> Self {
        CpuClock(cpu_secs())
    }

    /// The round: `rate` records/s, CPU µs per record of `n`.
    pub fn round(&self, rate: f64, n: usize) -> Round {
        Round {
            rate,
            cpu_us: (cpu_secs() - self.0) * 1e6 / n.max(1) as f64,
        }
    }
}

/// The `i`-th record of every row (the Python and Java peers build the same values from `i`).
pub fn record(i: usize) -> BenchSmall {
    BenchSmall {
        id: i as i64,
        name: format!("user-{i}"),
        score: i as f64 * 0.5,
        active: i.is_multiple_of(2),
        tags: vec!["new".into(), "mobile".into(), "beta".into()],
        counts: BTreeMap::from([
            ("clicks".to_string(), (i % 100) as i64),
            ("views".to_string(), i as i64),
        ]),
    }
}

/// The schema id of `BenchSmall` under `topic`'s subject (registered if new: the same id for
/// every topic, as the registry deduplicates).
pub async fn schema_id(reg: &CachedRegistry, topic: &str) -> SchemaId {
    register_generated::<BenchSmall>(reg, &format!("{topic}-value"), false)
        .await
        .expect("register BenchSmall")
}

/// The frames of records `0..n` under schema `id`, encoded ahead (what a raw producer sends).
pub fn frames(id: SchemaId, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut f = Vec::with_capacity(64);
            record(i).encode_frame(id, &mut f).expect("encode");
            f
        })
        .collect()
}

/// Counts delivery reports (librdkafka calls it from `BaseProducer::poll`).
#[derive(Default)]
pub struct Deliveries {
    ok: AtomicUsize,
    failed: AtomicUsize,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.ok.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.failed.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// The raw producer: librdkafka's `BaseProducer` with the typed producer's settings
/// (`ProducerConfig`'s defaults: idempotent, acks=all, linger 5 ms, lz4), driven by `poll`.
pub fn raw_producer(brokers: &str) -> BaseProducer<Deliveries> {
    ProducerConfig::new(brokers)
        .kafka_config()
        .create_with_context(Deliveries::default())
        .expect("create the raw producer")
}

/// Send every frame to `topic` and poll until each has its delivery report; records/s from
/// the first send to the last report.
pub fn produce_raw_round(p: &BaseProducer<Deliveries>, topic: &str, frames: &[Vec<u8>]) -> f64 {
    let ctx = p.context();
    let target = ctx.ok.load(Ordering::Relaxed) + ctx.failed.load(Ordering::Relaxed) + frames.len();
    let started = Instant::now();
    for (i, f) in frames.iter().enumerate() {
        let mut rec = BaseRecord::<(), [u8]>::to(topic).payload(f);
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    rec = back;
                    p.poll(Duration::from_millis(1));
                }
                Err((e, _)) => panic!("producing to {topic}: {e}"),
            }
        }
        // Serve delivery reports as we go (cheap when there is none), as a poll loop does.
        if i % 1024 == 0 {
            p.poll(Duration::ZERO);
        }
    }
    while ctx.ok.load(Ordering::Relaxed) + ctx.failed.load(Ordering::Relaxed) < target {
        p.poll(Duration::from_millis(1));
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(ctx.failed.load(Ordering::Relaxed), 0, "deliveries failed");
    frames.len() as f64 / secs
}

/// Raw produce: one round per topic (the first is the warm-up).
pub async fn produce_raw(
    brokers: &str,
    reg: &CachedRegistry,
    topics: &[String],
    n: usize,
) -> Vec<Round> {
    let frames = frames(schema_id(reg, &topics[0]).await, n);
    let p = raw_producer(brokers);
    topics
        .iter()
        .map(|t| {
            let cpu = CpuClock::start();
            cpu.round(produce_raw_round(&p, t, &frames), n)
        })
        .collect()
}

/// Typed produce: `TypedProducer::enqueue` of every value, then await every delivery; the
/// topic's schema id is resolved before the clock starts (as the raw row's frames are built).
pub async fn produce_typed(
    brokers: &str,
    reg: &CachedRegistry,
    topics: &[String],
    n: usize,
) -> Vec<Round> {
    let values: Vec<BenchSmall> = (0..n).map(record).collect();
    let producer = TypedProducer::new(ProducerConfig::new(brokers), reg.clone())
        .expect("create the typed producer");
    let mut rates = Vec::new();
    for topic in topics {
        producer
            .preload::<BenchSmall>(topic)
            .await
            .expect("schema id");
        let cpu = CpuClock::start();
        let started = Instant::now();
        let mut pending = Vec::with_capacity(n);
        for v in &values {
            pending.push(
                producer
                    .enqueue(Record::to(topic).value(v))
                    .await
                    .expect("enqueue"),
            );
        }
        for p in pending {
            p.await.expect("delivery");
        }
        rates.push(cpu.round(n as f64 / started.elapsed().as_secs_f64(), n));
    }
    rates
}

/// librdkafka properties every consumer row gets, from `SCHEMAFLOW_BENCH_CONSUMER_PROPS`
/// (`k=v,k=v`): for experiments on the fetch settings, the same for raw and typed rows.
fn experiment_props() -> Vec<(String, String)> {
    std::env::var("SCHEMAFLOW_BENCH_CONSUMER_PROPS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A group member of its own (a fresh group reads `topic` from the start), librdkafka's
/// defaults otherwise (but the fetch back-off).
fn raw_consumer(brokers: &str, topic: &str, label: &str) -> BaseConsumer {
    let mut config = KafkaClientConfig::new();
    // The typed consumer's fetch back-off (schemaflow's default, not librdkafka's 1 s), so the
    // raw rows are the floor of the same fetching.
    let (k, v) = schemaflow::kafka_config::FETCH_QUEUE_BACKOFF;
    config.set(k, v);
    for (k, v) in experiment_props() {
        config.set(k, v);
    }
    let c: BaseConsumer = config
        .set("bootstrap.servers", brokers)
        .set(
            "group.id",
            format!("bench-pipe-{label}-{:08x}", fastrand::u32(..)),
        )
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("create the raw consumer");
    c.subscribe(&[topic]).expect("subscribe");
    c
}

/// `BaseConsumer::poll` until `n` records came, calling `each` on every payload; records/s
/// from the first record.
fn poll_round(c: &BaseConsumer, n: usize, mut each: impl FnMut(&[u8])) -> f64 {
    let mut first = None;
    let mut seen = 0;
    while seen < n {
        match c.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => panic!("consume: {e}"),
            Some(Ok(m)) => {
                first.get_or_insert_with(Instant::now);
                each(m.payload().unwrap_or_default());
                seen += 1;
            }
        }
    }
    n as f64 / first.map_or(f64::NAN, |t| t.elapsed().as_secs_f64())
}

/// Raw consume: the poll loop, each payload's length and last byte read.
pub fn consume_raw(brokers: &str, topic: &str, n: usize, rounds: usize) -> Vec<Round> {
    (0..rounds)
        .map(|_| {
            let cpu = CpuClock::start();
            let c = raw_consumer(brokers, topic, "raw");
            let mut sum = 0u64;
            let rate = poll_round(&c, n, |p| {
                sum += p.len() as u64 + u64::from(p.last().copied().unwrap_or(0));
            });
            black_box(sum);
            drop(c);
            cpu.round(rate, n)
        })
        .collect()
}

/// Raw poll + our decoder: the poll loop, each frame decoded by `BenchSmall`'s generated codec
/// (magic byte, id check, Avro body) against its writer schema, fetched once ahead — the
/// floor for a typed consumer. `into_reused`: decoded into one reused value
/// (`decode_frame_into`) — the floor for `run_ref`, which decodes the same way.
pub async fn consume_raw_decode(
    brokers: &str,
    reg: &CachedRegistry,
    topic: &str,
    n: usize,
    rounds: usize,
    into_reused: bool,
) -> Vec<Round> {
    let id = schema_id(reg, topic).await;
    let writer = SchemaResolver::new(reg.clone())
        .writer_schema(id)
        .await
        .expect("writer schema");
    (0..rounds)
        .map(|_| {
            let cpu = CpuClock::start();
            let c = raw_consumer(brokers, topic, "raw-decode");
            let mut kept: Option<BenchSmall> = None;
            let rate = poll_round(&c, n, |p| match &mut kept {
                Some(v) if into_reused => {
                    v.decode_frame_into(p, &writer).expect("decode");
                    black_box(v);
                }
                _ => {
                    let (_, v) = BenchSmall::decode_frame(p, &writer).expect("decode");
                    if into_reused {
                        kept = Some(v);
                    } else {
                        black_box(v);
                    }
                }
            });
            drop(c);
            cpu.round(rate, n)
        })
        .collect()
}

/// Which typed consumer loop a row runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    /// `run`: a new `Message` a record, a handler call each.
    Run,
    /// `run_ref`: a `MessageRef` a record, the value decoded in place.
    RunRef,
    /// `run_batch`: batches of 500.
    Batch,
}

/// When the first and the `n`-th record were handled.
#[derive(Default)]
struct Clock {
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Typed consume: `TypedConsumer::run` (one handler call per record), `run_ref` or
/// `run_batch`, a fresh group per round; records/s from the first record handled to the
/// `n`-th.
pub async fn consume_typed(
    brokers: &str,
    reg: &CachedRegistry,
    topic: &str,
    n: usize,
    rounds: usize,
    typed: Typed,
) -> Vec<Round> {
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let cpu = CpuClock::start();
        let group = format!("bench-pipe-typed-{:08x}", fastrand::u32(..));
        let consumer = TypedConsumer::<BenchSmall>::new(
            {
                let mut c =
                    ConsumerConfig::new(brokers, group, &[topic]).properties(experiment_props());
                if let Some(n) = std::env::var("SCHEMAFLOW_BENCH_COMMIT_EVERY")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    c.commit_every = n;
                }
                if std::env::var("SCHEMAFLOW_BENCH_READ_UNCOMMITTED").is_ok() {
                    c.read_committed = false;
                }
                c
            },
            reg.clone(),
        )
        .expect("create the typed consumer");
        let count = Arc::new(AtomicUsize::new(0));
        let clock = Arc::new(Mutex::new(Clock::default()));
        let done = Arc::new(tokio::sync::Notify::new());
        // The clock is read for the first and the n-th record only (as the raw rows read it),
        // not per record.
        let seen = {
            let (count, clock, done) = (count.clone(), clock.clone(), done.clone());
            move |k: usize| {
                let before = count.fetch_add(k, Ordering::Relaxed);
                let first = before == 0;
                let last = before < n && before + k >= n;
                if first || last {
                    let now = Instant::now();
                    let mut c = clock.lock().unwrap_or_else(|e| e.into_inner());
                    c.first.get_or_insert(now);
                    if last {
                        c.last = Some(now);
                        done.notify_one();
                    }
                }
            }
        };
        let shutdown = {
            let done = done.clone();
            async move { done.notified().await }
        };
        if typed == Typed::Batch {
            consumer
                .run_batch(
                    move |msgs: Vec<Message<BenchSmall>>| {
                        seen(msgs.len());
                        black_box(msgs);
                        async { Ok::<(), HandlerError>(()) }
                    },
                    shutdown,
                )
                .await
                .expect("run_batch");
        } else if typed == Typed::RunRef {
            consumer
                .run_ref(
                    async |m: MessageRef<'_, BenchSmall>| {
                        seen(1);
                        black_box(m.value());
                        Ok::<(), HandlerError>(())
                    },
                    shutdown,
                )
                .await
                .expect("run_ref");
        } else {
            consumer
                .run(
                    move |m: Message<BenchSmall>| {
                        seen(1);
                        black_box(m.value);
                        async { Ok::<(), HandlerError>(()) }
                    },
                    shutdown,
                )
                .await
                .expect("run");
        }
        let c = clock.lock().unwrap_or_else(|e| e.into_inner());
        let secs = match (c.first, c.last) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
            _ => f64::NAN,
        };
        drop(c);
        drop(consumer);
        rates.push(cpu.round(n as f64 / secs, n));
    }
    rates
}
