//! Chaos under load, on librdkafka's MockCluster (the only broker that injects faults on
//! demand): 200,000 events produced — half with the schema's v1, half with v2, so consumers
//! resolve a writer schema they have not seen mid-run — while a seeded random schedule of
//! faults runs: brokers down and up, retriable errors on Produce, Fetch, OffsetCommit,
//! JoinGroup/SyncGroup/Heartbeat, EndTxn/AddOffsetsToTxn, round-trip-time spikes, and the
//! registry stopped and restarted on its address. Two pipelines, each on a mock cluster of
//! its own with its own schedule, run at once:
//!
//! - two at-least-once groups (`Key` ordering, 32 in flight) under every fault above: one of
//!   the classic protocol, one member; one of KIP-848's (`group.protocol=consumer`), two
//!   members, one of them replaced five times by a fresh member (new client, empty schema
//!   cache: it needs the registry). Churn runs on KIP-848 only because the mock's classic
//!   coordinator names a member after its address (`"%p"` in
//!   `rd_kafka_mock_cgrp_classic_member_add`, librdkafka's `src/rdkafka_mock_cgrp.c`): once
//!   it expires a live member's session (join errors for longer than the session), the next
//!   new member can be allocated at the freed address and get the same id, and the first
//!   member's rejoin then finds the newcomer's pending JoinGroup and the mock aborts the process
//!   (`Assertion '!member->resp'`; seen with librdkafka's cgrp debug log). KIP-848 members
//!   name themselves (a UUID), and a lone classic member cannot collide with itself;
//! - an exactly-once processor writing one output per input, under every fault that leaves its
//!   group alone (see [`faults`] for why: the mock does not store transactional offsets).
//!
//! Invariants at the end: every produced id handled at least once by each group (no gaps),
//! nothing dead-lettered (every fault here is the environment's), every partition committed to
//! its end by each group; the exactly-once output holds, for every input record, exactly one committed
//! output — and no other output but those of transactions the processor aborted, which the
//! mock cannot hide: its Fetch answers no aborted-transaction list and a last stable offset
//! equal to the end, and its EndTxn writes no marker (`rd_kafka_mock_handle_Fetch`,
//! `rd_kafka_mock_handle_EndTxn` in librdkafka's `src/rdkafka_mock_handlers.c`), so a
//! `read_committed` reader of a mock cluster sees what an aborted transaction had written.
//! That outputs of aborted transactions stay invisible is tested on Apache Kafka
//! (`tests/pipeline/exactly_once.rs`).
//!
//! The schedule comes from a seed printed at the start; `SCHEMAFLOW_CHAOS_SEED=<seed>` replays
//! it (the interleaving with the clients still varies: the seed fixes the faults and their
//! times, not the threads).
use crate::common;
use crate::exactly_once_mock::{ends, read_committed};

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::samples::avro::evolution::user_event as avro_v2;
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey as Api, RDKafkaRespErr as E};
use schemaflow::consumer::{
    ConsumerConfig, ConsumerStats, DeadLetter, HandlerError, Message, ProcessingOrder,
    TypedConsumer,
};
use schemaflow::error::Fault;
use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor, Progress};
use schemaflow::producer::{Delivery, ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use tokio::sync::watch;

const N: usize = 200_000;
const PARTITIONS: i32 = 6;
const INPUT: &str = "chaos-in";
const OUTPUT: &str = "chaos-out";
/// How long faults keep coming at most; the pipelines then finish on a healthy cluster.
const FAULT_WINDOW: Duration = Duration::from_secs(60);
/// The whole run, faults and recovery, must be over within this.
const DEADLINE: Duration = Duration::from_secs(600);

/// How often each id was handled by the at-least-once group.
struct Seen {
    counts: Vec<AtomicU32>,
    distinct: AtomicUsize,
}

impl Seen {
    fn new() -> Self {
        Seen {
            counts: (0..N).map(|_| AtomicU32::new(0)).collect(),
            distinct: AtomicUsize::new(0),
        }
    }

    fn mark(&self, user_id: &str) {
        let i: usize = user_id
            .strip_prefix("user-")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an id of this test: {user_id:?}"));
        if self.counts[i].fetch_add(1, Ordering::Relaxed) == 0 {
            self.distinct.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn v1(i: usize) -> UserEvent {
    let mut e = common::avro_minimal();
    e.user_id = format!("user-{i}");
    e.event_id = schemaflow::Uuid::from_u128(i as u128);
    e
}

fn v2(i: usize) -> avro_v2::UserEvent {
    let mut e = common::avro_v2_full("ios");
    // A symbol both versions know: the v1 reader resolves it.
    e.action = avro_v2::Action::View;
    e.user_id = format!("user-{i}");
    e.event_id = schemaflow::Uuid::from_u128(i as u128);
    e
}

fn registry_config(dir: &std::path::Path, listen: &str) -> ServerConfig {
    ServerConfig::default()
        .listen(listen.parse().unwrap())
        .data_dir(dir.to_path_buf())
}

fn cached(url: &str) -> CachedRegistry {
    CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(url)).unwrap(),
        CacheConfig::default(),
    )
}

type DeliveryFuture = Pin<Box<dyn Future<Output = schemaflow::Result<Delivery>> + Send>>;

/// Hand record `i` to the producer (v1 below N/2, v2 from there), retrying faults of the
/// environment (the registry down while v2 is registered); a record fault fails the test.
async fn enqueue(producer: &TypedProducer, i: usize) -> DeliveryFuture {
    let key = format!("user-{i}");
    loop {
        let r = if i < N / 2 {
            let v = v1(i);
            producer
                .enqueue(Record::to(INPUT).key(key.as_bytes()).value(&v))
                .await
                .map(|f| Box::pin(f) as DeliveryFuture)
        } else {
            let v = v2(i);
            producer
                .enqueue(Record::to(INPUT).key(key.as_bytes()).value(&v))
                .await
                .map(|f| Box::pin(f) as DeliveryFuture)
        };
        match r {
            Ok(f) => return f,
            Err(e) => {
                assert_ne!(e.fault(), Fault::Record, "record {i}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Produce every id once; a failed delivery is sent again (the producer is idempotent, so
/// its own retries never duplicate; a re-send after a reported failure may).
async fn produce_all(producer: TypedProducer) -> usize {
    let mut resent = 0;
    let ids: Vec<usize> = (0..N).collect();
    for chunk in ids.chunks(5_000) {
        let mut pending = Vec::with_capacity(chunk.len());
        for &i in chunk {
            pending.push((i, enqueue(&producer, i).await));
        }
        for (i, p) in pending {
            let mut p = p;
            while let Err(e) = p.await {
                eprintln!("chaos: delivery of {i} failed ({e}); sending it again");
                resent += 1;
                p = enqueue(&producer, i).await;
            }
        }
    }
    resent
}

/// The committed offset of each partition of `topic` for `group`.
fn committed(brokers: &str, group: &str, topic: &str) -> Vec<Option<i64>> {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(topic, p);
    }
    let tpl = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    (0..PARTITIONS)
        .map(|p| {
            tpl.find_partition(topic, p)
                .and_then(|e| e.offset().to_raw())
        })
        .collect()
}

/// An at-least-once group of the test, and the group protocol its members speak.
#[derive(Clone, Copy, Debug)]
enum Group {
    /// The classic protocol (JoinGroup/SyncGroup/Heartbeat): one member, no churn (see the
    /// module's note on the mock's member ids).
    Classic,
    /// KIP-848 (`group.protocol=consumer`): a steady member and a churning one.
    Kip848,
}

impl Group {
    fn id(self) -> &'static str {
        match self {
            Group::Classic => "chaos-alo",
            Group::Kip848 => "chaos-alo-848",
        }
    }
}

/// One at-least-once member of `group`: runs until `stop` turns true, with a fresh registry
/// cache.
async fn member(
    brokers: String,
    url: String,
    seen: Arc<Seen>,
    mut stop: watch::Receiver<bool>,
    group: Group,
) -> ConsumerStats {
    let cfg =
        ConsumerConfig::new(&brokers, group.id(), &[INPUT]).concurrency(ProcessingOrder::Key, 32);
    let mut cfg = match group {
        // The mock's coordinator waits up to the session timeout for members to rejoin.
        Group::Classic => cfg
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "500"),
        // The session is the coordinator's (the mock's default, 30 s).
        Group::Kip848 => cfg.set("group.protocol", "consumer"),
    };
    cfg.commit_every = 500;
    cfg.commit_interval = Duration::from_millis(500);
    // SCHEMAFLOW_CHAOS_DEBUG=cgrp (with RUST_LOG=rdkafka=debug and --nocapture): librdkafka's
    // own account of the members' group protocol, to see what a mock abort followed.
    if let Ok(contexts) = std::env::var("SCHEMAFLOW_CHAOS_DEBUG") {
        cfg = cfg.set("debug", contexts);
    }
    cfg.dead_letter = DeadLetter::PerTopic;
    cfg.environment_retry_timeout = Duration::from_secs(120);
    let consumer = TypedConsumer::<UserEvent>::new(cfg, cached(&url)).unwrap();
    consumer
        .run(
            move |m: Message<UserEvent>| {
                let seen = seen.clone();
                async move {
                    let v = m.value.ok_or("a tombstone in the input")?;
                    seen.mark(&v.user_id);
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        )
        .await
        .expect("an at-least-once member failed")
}

/// The seeded schedule: one fault at a time, each undone before the next (the registry is
/// restarted on its own address, so clients see it refuse and then come back).
///
/// On the exactly-once cluster (`registry` is `None`: the other schedule owns the registry's
/// outages) only faults that leave the group alone: librdkafka's mock acknowledges
/// `TxnOffsetCommit` without storing the offsets (`rd_kafka_mock_handle_TxnOffsetCommit` in
/// librdkafka's `src/rdkafka_mock_handlers.c`), so a member that rejoins would start again
/// from the beginning — a mock gap, not the processor's. Its coordinators are pinned to broker
/// 1, which is never taken down; exactly-once across rebalances, crashes and zombies is tested
/// on Apache Kafka (`tests/pipeline/exactly_once.rs`).
async fn faults(
    mock: &MockCluster<'static, DefaultProducerContext>,
    seed: u64,
    mut registry: Option<(std::path::PathBuf, EmbeddedRegistry)>,
    done: Arc<AtomicBool>,
) -> (Option<EmbeddedRegistry>, BTreeMap<&'static str, u32>) {
    let eos = registry.is_none();
    let mut rng = fastrand::Rng::with_seed(seed);
    let start = Instant::now();
    let mut log = BTreeMap::new();
    while !done.load(Ordering::SeqCst) && start.elapsed() < FAULT_WINDOW {
        tokio::time::sleep(Duration::from_millis(rng.u64(100..600))).await;
        let hold = Duration::from_millis(rng.u64(200..2_500));
        let k = rng.usize(1..6);
        let errors = |e: E| vec![e; k];
        let kind = if eos {
            // broker down (not 1), rtt, produce, fetch, transaction errors
            [0, 1, 2, 3, 6][rng.usize(0..5)]
        } else {
            rng.u32(0..8)
        };
        let name = match kind {
            0 => {
                let b = if eos { rng.i32(2..=3) } else { rng.i32(1..=3) };
                mock.broker_down(b).unwrap();
                tokio::time::sleep(hold).await;
                mock.broker_up(b).unwrap();
                "broker down"
            }
            1 => {
                let b = rng.i32(1..=3);
                mock.broker_round_trip_time(b, Duration::from_millis(rng.u64(100..1_500)))
                    .unwrap();
                tokio::time::sleep(hold).await;
                mock.broker_round_trip_time(b, Duration::ZERO).unwrap();
                "rtt spike"
            }
            2 => {
                mock.request_errors(
                    Api::Produce,
                    &errors(E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS),
                );
                "produce errors"
            }
            3 => {
                mock.request_errors(
                    Api::Fetch,
                    &errors(E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION),
                );
                "fetch errors"
            }
            4 => {
                mock.request_errors(
                    Api::OffsetCommit,
                    &errors(E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                );
                "offset-commit errors"
            }
            5 => {
                // Each request's own retriable errors, as a real coordinator answers them
                // (JoinGroup is never answered REBALANCE_IN_PROGRESS).
                let (api, codes) = [
                    (
                        Api::JoinGroup,
                        [
                            E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                            E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                            E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                        ],
                    ),
                    (
                        Api::SyncGroup,
                        [
                            E::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                            E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                            E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                        ],
                    ),
                    (
                        Api::Heartbeat,
                        [
                            E::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                            E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                            E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                        ],
                    ),
                ][rng.usize(0..3)];
                mock.request_errors(api, &errors(codes[rng.usize(0..3)]));
                "group errors"
            }
            6 => {
                mock.request_errors(
                    Api::EndTxn,
                    &errors(E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                );
                mock.request_errors(
                    Api::AddOffsetsToTxn,
                    &errors(E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                );
                mock.request_errors(
                    Api::AddPartitionsToTxn,
                    &errors(E::RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS),
                );
                "transaction errors"
            }
            _ => {
                let (dir, server) = registry.take().expect("only the registry's schedule");
                let addr = server.addr().to_string();
                server.stop().await.unwrap();
                // Longer than the client's own retries, now and then: the consumer's
                // environment-retry path (hold the record, never dead-letter it) runs too.
                tokio::time::sleep(hold * 2).await;
                let server = EmbeddedRegistry::start(
                    registry_config(&dir, &addr),
                    Arc::new(CompatibilityEngine),
                )
                .await
                .unwrap();
                registry = Some((dir, server));
                "registry outage"
            }
        };
        *log.entry(name).or_insert(0) += 1;
    }
    (registry.map(|(_, server)| server), log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_is_lost_under_a_seeded_schedule_of_faults() {
    let seed = std::env::var("SCHEMAFLOW_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("chaos seed {seed} (replay: SCHEMAFLOW_CHAOS_SEED={seed} cargo test --test pipeline chaos::)");
    // RUST_LOG=schemaflow=warn shows what the clients went through.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let begun = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);

    // The at-least-once group's cluster (every fault) and the exactly-once processor's.
    let mock = MockCluster::new(3).unwrap();
    let brokers = mock.bootstrap_servers();
    mock.create_topic(INPUT, PARTITIONS, 3).unwrap();
    mock.create_topic(&format!("{INPUT}.dlq"), 1, 3).unwrap();
    let eos_mock = MockCluster::new(3).unwrap();
    let eos_brokers = eos_mock.bootstrap_servers();
    for t in [INPUT, OUTPUT] {
        eos_mock.create_topic(t, PARTITIONS, 3).unwrap();
    }
    eos_mock
        .create_topic(&format!("{INPUT}.dlq"), 1, 3)
        .unwrap();
    eos_mock
        .coordinator(MockCoordinator::Group("chaos-eos".into()), 1)
        .unwrap();
    eos_mock
        .coordinator(MockCoordinator::Transaction("chaos-eos-1".into()), 1)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = EmbeddedRegistry::start(
        registry_config(dir.path(), "127.0.0.1:0"),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let url = server.url().to_string();

    let done = Arc::new(AtomicBool::new(false));
    let produced = tokio::spawn(produce_all(
        TypedProducer::new(ProducerConfig::new(&brokers), cached(&url)).unwrap(),
    ));
    let eos_produced = tokio::spawn(produce_all(
        TypedProducer::new(ProducerConfig::new(&eos_brokers), cached(&url)).unwrap(),
    ));

    // The at-least-once groups: a lone classic member; a steady KIP-848 member and one
    // replaced now and then.
    let seen = Arc::new(Seen::new());
    let seen848 = Arc::new(Seen::new());
    let (stop_all, stop_rx) = watch::channel(false);
    let steady = tokio::spawn(member(
        brokers.clone(),
        url.clone(),
        seen.clone(),
        stop_rx.clone(),
        Group::Classic,
    ));
    let steady848 = tokio::spawn(member(
        brokers.clone(),
        url.clone(),
        seen848.clone(),
        stop_rx.clone(),
        Group::Kip848,
    ));
    let churn = {
        let (brokers, url, seen, done) =
            (brokers.clone(), url.clone(), seen848.clone(), done.clone());
        let mut stop_rx = stop_rx.clone();
        let lifetimes: Vec<u64> = (0..5).map(|_| rng.u64(8_000..20_000)).collect();
        tokio::spawn(async move {
            let mut stats = Vec::new();
            for life in lifetimes {
                let (stop_one, one_rx) = watch::channel(false);
                let m = tokio::spawn(member(
                    brokers.clone(),
                    url.clone(),
                    seen.clone(),
                    one_rx,
                    Group::Kip848,
                ));
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(life)) => {}
                    _ = stop_rx.wait_for(|s| *s) => {}
                }
                stop_one.send(true).unwrap();
                stats.push(m.await.unwrap());
                if *stop_rx.borrow() || done.load(Ordering::SeqCst) {
                    break;
                }
            }
            // The last one stays until the end.
            if !*stop_rx.borrow() {
                stats.push(member(brokers, url, seen, stop_rx, Group::Kip848).await);
            }
            stats
        })
    };

    // The exactly-once processor: one output per input. Which ids each transaction attempt
    // transformed, and per id how many attempts were aborted: on the mock, an aborted
    // attempt's outputs can be read back (see the module's note), so they bound the extras.
    let committed_inputs = Arc::new(AtomicU64::new(0));
    let attempt = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let aborted = Arc::new(std::sync::Mutex::new(BTreeMap::<String, u32>::new()));
    let processor = {
        let mut cfg =
            ExactlyOnceConfig::new(&eos_brokers, "chaos-eos", INPUT, OUTPUT, "chaos-eos-1");
        cfg.max_aborts = 1_000;
        if let Ok(contexts) = std::env::var("SCHEMAFLOW_CHAOS_DEBUG") {
            cfg = cfg.set("debug", contexts);
        }
        let processor = ExactlyOnceProcessor::<UserEvent, pb::UserEvent>::new(cfg, cached(&url))
            .await
            .unwrap();
        let (counter, mut stop) = (committed_inputs.clone(), stop_rx.clone());
        let (attempt, aborted) = (attempt.clone(), aborted.clone());
        tokio::spawn(async move {
            let transformed = attempt.clone();
            processor
                .run_with_progress(
                    move |e: &UserEvent| {
                        transformed.lock().unwrap().push(e.user_id.clone());
                        Ok::<_, String>(vec![pb::UserEvent {
                            user_id: e.user_id.clone(),
                            event_id: e.event_id.to_string(),
                            ..Default::default()
                        }])
                    },
                    move |p| {
                        let ids = std::mem::take(&mut *attempt.lock().unwrap());
                        match p {
                            Progress::Committed(s) => counter.store(s.inputs, Ordering::SeqCst),
                            Progress::Aborted(..) => {
                                let mut aborted = aborted.lock().unwrap();
                                for id in ids {
                                    *aborted.entry(id).or_default() += 1;
                                }
                            }
                        }
                    },
                    async move {
                        let _ = stop.wait_for(|s| *s).await;
                    },
                )
                .await
                .expect("the exactly-once processor failed")
        })
    };

    // Wait for the producers, then until both pipelines have everything, while the faults
    // run here on the test's own task (the mock cluster's handle is not `Send`).
    let progress = async {
        let mut counts = Vec::new();
        for (p, b) in [(produced, &brokers), (eos_produced, &eos_brokers)] {
            let resent = tokio::time::timeout(DEADLINE, p)
                .await
                .unwrap_or_else(|_| panic!("seed {seed}: producing did not finish"))
                .unwrap();
            let ends = ends(b, INPUT).await;
            let count: i64 = ends.iter().sum();
            eprintln!(
                "chaos: produced {N} ({resent} sent again, {count} records) by {:?}",
                begun.elapsed()
            );
            counts.push((ends, count));
        }
        let mut last_report = Instant::now();
        loop {
            // The group further behind.
            let alo = seen
                .distinct
                .load(Ordering::Relaxed)
                .min(seen848.distinct.load(Ordering::Relaxed));
            let eos = committed_inputs.load(Ordering::SeqCst);
            if alo == N && eos >= counts[1].1 as u64 {
                break;
            }
            assert!(
                begun.elapsed() < DEADLINE,
                "seed {seed}: after {:?} the at-least-once group has {alo} of {N} ids and the \
                 exactly-once processor committed {eos} of {} inputs",
                begun.elapsed(),
                counts[1].1
            );
            if last_report.elapsed() > Duration::from_secs(10) {
                last_report = Instant::now();
                eprintln!(
                    "chaos: {:?}: at-least-once {alo} ids, exactly-once committed {eos}",
                    begun.elapsed()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        done.store(true, Ordering::SeqCst);
        counts
    };
    let ((server, log), (_, eos_log), counts) = tokio::join!(
        faults(
            &mock,
            seed,
            Some((dir.path().to_path_buf(), server)),
            done.clone()
        ),
        faults(&eos_mock, seed.rotate_left(17), None, done.clone()),
        progress
    );
    let server = server.unwrap();
    let (input_ends, input_count) = counts[0].clone();
    let eos_input_count = counts[1].1;
    eprintln!(
        "chaos: faults {log:?} and on the exactly-once cluster {eos_log:?}; both pipelines done \
         after {:?}",
        begun.elapsed()
    );
    assert!(
        log.values().sum::<u32>() >= 10 && eos_log.values().sum::<u32>() >= 10,
        "too few faults ran: {log:?} {eos_log:?}"
    );

    // The last commits go out on a healthy cluster (each member commits every second): wait
    // until both groups' commits reach every partition's end, then stop everyone.
    let ends_committed = input_ends.iter().map(|e| Some(*e)).collect::<Vec<_>>();
    let commits_deadline = Instant::now() + Duration::from_secs(60);
    for group in [Group::Classic, Group::Kip848] {
        loop {
            let now = committed(&brokers, group.id(), INPUT);
            if now == ends_committed {
                break;
            }
            assert!(
                Instant::now() < commits_deadline,
                "seed {seed}: the {group:?} group's commits {now:?} never reached the ends \
                 {ends_committed:?} on a healthy cluster"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    stop_all.send(true).unwrap();
    let mut stats = vec![steady.await.unwrap(), steady848.await.unwrap()];
    stats.extend(churn.await.unwrap());
    let eos_stats = processor.await.unwrap();
    eprintln!(
        "chaos: at-least-once members {}, exactly-once {eos_stats:?}",
        stats.len()
    );

    // At-least-once: every id at least once by each group, no gaps; duplicates only from
    // redelivery.
    for (group, seen) in [(Group::Classic, &seen), (Group::Kip848, &seen848)] {
        let missing: Vec<usize> = (0..N)
            .filter(|&i| seen.counts[i].load(Ordering::Relaxed) == 0)
            .take(10)
            .collect();
        assert!(
            missing.is_empty(),
            "seed {seed}: ids never handled by the {group:?} group: {missing:?}…"
        );
    }
    let handled: u64 = stats.iter().map(|s| s.handled).sum();
    let dead: u64 = stats.iter().map(|s| s.dead_lettered + s.skipped).sum();
    let retries: u64 = stats.iter().map(|s| s.environment_retries).sum();
    eprintln!(
        "chaos: at-least-once handled {handled} for {input_count} records × 2 groups ({} redelivered), \
         {retries} environment retries",
        handled as i64 - 2 * input_count
    );
    assert_eq!(
        dead, 0,
        "seed {seed}: a fault of the environment dead-lettered a record"
    );
    assert!(handled as i64 >= 2 * input_count);
    for group in [Group::Classic, Group::Kip848] {
        assert_eq!(
            committed(&brokers, group.id(), INPUT),
            input_ends.iter().map(|e| Some(*e)).collect::<Vec<_>>(),
            "seed {seed}: the {group:?} group's commits reach every partition's end"
        );
    }

    // Exactly-once: per id, as many committed outputs as input records (an input record sent
    // twice by the producer after a reported failure has two), so at least that many outputs,
    // and no more but for one per aborted attempt that had transformed it (the mock shows an
    // aborted transaction's outputs; see the module's note).
    let reg = cached(server.url());
    let (inputs, _): (Vec<UserEvent>, _) =
        read_committed(&eos_brokers, INPUT, &reg, eos_input_count as usize).await;
    let (outputs, _): (Vec<pb::UserEvent>, _) =
        read_committed(&eos_brokers, OUTPUT, &reg, eos_input_count as usize).await;
    let mut by_id = BTreeMap::<String, (u32, u32)>::new();
    for i in &inputs {
        by_id.entry(i.user_id.clone()).or_default().0 += 1;
    }
    for o in &outputs {
        by_id.entry(o.user_id.clone()).or_default().1 += 1;
    }
    let aborted = std::mem::take(&mut *aborted.lock().unwrap());
    let wrong: Vec<_> = by_id
        .iter()
        .map(|(id, (i, o))| (id, (*i, *o, aborted.get(id).copied().unwrap_or(0))))
        .filter(|(_, (i, o, a))| o < i || *o > i + a)
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "seed {seed}: (inputs, outputs, aborted attempts) out of bounds for {wrong:?}…"
    );
    let shown_aborted: u32 = by_id.values().map(|(i, o)| o - i).sum();
    assert_eq!(by_id.len(), N);
    assert_eq!(
        eos_stats.dead_lettered, 0,
        "seed {seed}: the exactly-once processor dead-lettered a record"
    );
    eprintln!(
        "chaos: exactly-once {} outputs for {} inputs ({shown_aborted} of them written by \
         aborted transactions, which the mock shows); aborts {}; total {:?}",
        outputs.len(),
        inputs.len(),
        eos_stats.aborts,
        begun.elapsed()
    );
    server.stop().await.unwrap();
}
