//! A seeded chaos run on a real, replicated cluster (issue 29, item 3): three Apache Kafka
//! nodes (`scripts/kafka cluster 3`: RF 3, `min.insync.replicas` 2), three Kafka-backed
//! `registry serve` instances on it, Toxiproxy in front of every node — and working through
//! them an idempotent `TypedProducer` (acks=all), an at-least-once group of two `schemaflow
//! consume` processes (one reaching the cluster only through the proxies), an
//! `ExactlyOnceProcessor`, and a writer registering a new schema again and again. A schedule
//! drawn from a seed SIGKILLs the node leading the busiest partition (and restarts it), pauses
//! one with SIGSTOP until it is fenced, cuts or slows the proxied member's network, SIGKILLs a
//! group member (a replacement joins) and SIGKILLs the registry leader (restarted on its
//! address).
//!
//! Invariants, checked after the last fault: every record is acknowledged and in the log
//! exactly once; the group handled every acknowledged record, re-reading only what was in
//! flight (bounded below) and committing every partition's end; a `read_committed` reader
//! finds exactly one output per input; every acknowledged registration has its id on every
//! instance, ids strictly increase in the order they were acknowledged, and all instances
//! converge on the same subjects, versions and ids.
//!
//! Faults are keyed to progress (records acknowledged since the last fault), not to times, so
//! a slow machine runs the same schedule. The seed is printed first;
//! `SCHEMAFLOW_CHAOS_SEED=<seed>` replays the schedule (the interleaving with the clients still
//! varies). The long run (RELIABILITY.md) is this test with more records and faults:
//! `SCHEMAFLOW_CLUSTER_CHAOS_RECORDS`, `SCHEMAFLOW_CLUSTER_CHAOS_FAULTS`,
//! `SCHEMAFLOW_CLUSTER_CHAOS_RATE` (records a second the producer is held to).
use crate::cluster_faults::keys_in_log;
use crate::common;
use crate::exactly_once_mock::{ends, read_committed};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{create_replicated_topic, rand_topic};
use common::cluster::Cluster;
use common::samples::avro::user_event::UserEvent;
use common::samples::avro::user_event::UserEvent as Output;
use common::toxiproxy::{Stream, Toxic, Toxiproxy};
use rdkafka::config::ClientConfig as KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient, Schema};
use tokio::sync::Notify;

const PARTITIONS: i32 = 3;
/// The members commit at least this often (and at least every second): what a SIGKILLed
/// member can leave uncommitted.
const COMMIT_EVERY: usize = 500;
/// Records a member may re-read for one fault: what it handled and had not committed (a
/// commit every `COMMIT_EVERY` records or second, held back while the coordinator moves).
const REREAD_PER_FAULT: usize = 6_000;
/// A bound on every wait for a state.
const LIMIT: Duration = Duration::from_secs(120);

/// The run's size, from the environment (the defaults are the test command's short run).
struct Knobs {
    seed: u64,
    records: usize,
    faults: usize,
    rate: usize,
}

fn knobs() -> Knobs {
    fn env<T: std::str::FromStr>(key: &str) -> Option<T> {
        std::env::var(key).ok().and_then(|v| v.parse().ok())
    }
    Knobs {
        seed: env("SCHEMAFLOW_CHAOS_SEED").unwrap_or_else(|| fastrand::u64(..)),
        records: env("SCHEMAFLOW_CLUSTER_CHAOS_RECORDS").unwrap_or(20_000),
        faults: env("SCHEMAFLOW_CLUSTER_CHAOS_FAULTS").unwrap_or(FAULTS.len()),
        rate: env("SCHEMAFLOW_CLUSTER_CHAOS_RATE").unwrap_or(1_000),
    }
}

/// What the schedule does to the system.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// SIGKILL the node leading the partition with the most records; restart it later.
    KillBroker,
    /// SIGSTOP the node leading a partition until another node leads it; then SIGCONT.
    PauseBroker,
    /// Close the proxied member's connections and refuse new ones for a few seconds.
    CutNetwork,
    /// Delay everything the proxied member receives (latency and jitter) for a while.
    SlowNetwork,
    /// SIGKILL a member of the group; a new process joins in its place.
    KillMember,
    /// SIGKILL the registry instance that leads; restart it on its address.
    KillRegistryLeader,
}

/// Every kind once per round of the schedule (the short run is one round).
const FAULTS: [Fault; 6] = [
    Fault::KillBroker,
    Fault::PauseBroker,
    Fault::CutNetwork,
    Fault::SlowNetwork,
    Fault::KillMember,
    Fault::KillRegistryLeader,
];

/// `n` faults: rounds of every kind, each round shuffled by the seed.
fn schedule(seed: u64, n: usize) -> Vec<Fault> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut round = FAULTS.to_vec();
        rng.shuffle(&mut round);
        out.extend(round.into_iter().take(n - out.len()));
    }
    out
}

fn event(i: usize) -> UserEvent {
    let mut e = common::avro_full();
    e.user_id = format!("user-{i}");
    e
}

/// Wait (polling a state, bounded) until `done` holds.
async fn until(seed: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "seed {seed}: not within {LIMIT:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`until`] for a state that takes a blocking call to read.
async fn until_blocking(seed: u64, what: &str, done: impl Fn() -> bool + Send + Sync + 'static) {
    let done = Arc::new(done);
    let deadline = Instant::now() + LIMIT;
    loop {
        let d = done.clone();
        if tokio::task::spawn_blocking(move || d())
            .await
            .expect("a state read")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: not within {LIMIT:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A record handled by a member: (member, partition, offset, user id).
type Handled = Vec<(usize, i32, i64, String)>;

/// A `schemaflow consume` process in the group; SIGKILLed when dropped.
struct Member {
    no: usize,
    child: Child,
    log: PathBuf,
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The group's members, how to start one, and what they handled.
struct Group {
    topic: String,
    group: String,
    registry: String,
    dir: PathBuf,
    handled: Arc<Mutex<Handled>>,
    started: usize,
}

impl Group {
    /// Start member number `self.started`, reaching the cluster at `bootstrap`.
    fn join(&mut self, bootstrap: &str) -> Member {
        let no = self.started;
        self.started += 1;
        let log = self.dir.join(format!("member-{no}.log"));
        let commit_every = COMMIT_EVERY.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(["consume", "--topic", &self.topic, "--group", &self.group])
            .args([
                "--from-beginning",
                "--metadata",
                "--commit-every",
                &commit_every,
            ])
            // A registry or broker outage is retried, never a reason to stop.
            .args(["--registry-retry-timeout", "600"])
            .args(["--brokers", bootstrap, "--registry", &self.registry])
            // A SIGKILLed member's partitions go to the others after 6 s, not 45.
            .args([
                "-X",
                "session.timeout.ms=6000",
                "-X",
                "heartbeat.interval.ms=1000",
            ])
            .env_remove("KAFKA_BROKERS")
            .env_remove("SCHEMA_REGISTRY_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("member log"))
            .spawn()
            .expect("start schemaflow consume");
        let stdout = child.stdout.take().expect("stdout is piped");
        let handled = self.handled.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let v: serde_json::Value = match serde_json::from_str(&line) {
                    Ok(v) => v,
                    Err(e) => panic!("member {no} printed {line:?}: {e}"),
                };
                let (Some(p), Some(o), Some(user)) = (
                    v["partition"].as_i64(),
                    v["offset"].as_i64(),
                    v["value"]["user_id"].as_str(),
                ) else {
                    panic!("member {no} printed {line}");
                };
                let p = i32::try_from(p).expect("a partition");
                handled.lock().unwrap().push((no, p, o, user.to_string()));
            }
        });
        Member { no, child, log }
    }
}

/// A `registry serve` instance on the cluster; SIGKILLed when dropped.
struct Instance {
    child: Child,
    url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry's instances, all on one store topic.
struct Registries {
    args: Vec<String>,
    instances: Vec<Instance>,
}

impl Registries {
    fn serve(&self, listen: &str) -> Instance {
        let (child, url) = common::serve::Serve::on(listen).args(&self.args).serving();
        Instance { child, url }
    }

    /// The index of the instance that says it leads, waiting through an election.
    async fn leader(&self, seed: u64) -> usize {
        let deadline = Instant::now() + LIMIT;
        loop {
            for (i, inst) in self.instances.iter().enumerate() {
                if health(&inst.url).await["leader"] == true {
                    return i;
                }
            }
            assert!(Instant::now() < deadline, "seed {seed}: no registry leader");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn health(url: &str) -> serde_json::Value {
    match reqwest::get(format!("{url}/health")).await {
        Ok(r) => r.json().await.unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::Null,
    }
}

/// A client of every instance (fail-over in order), retrying long enough to ride out an
/// election.
fn registry_client(urls: &str) -> RegistryClient {
    let mut c = ClientConfig::new(urls);
    c.max_retries = 12;
    c.retry_base = Duration::from_millis(250);
    c.retry_cap = Duration::from_secs(2);
    RegistryClient::new(c).expect("registry client")
}

/// One subject per registration: a record of its own name (never compatible with another).
fn registration(n: usize) -> (String, Schema) {
    (
        format!("chaos-reg-{n}"),
        Schema::avro(format!(
            r#"{{"type":"record","name":"R{n}","namespace":"chaos","fields":[{{"name":"a","type":"int"}}]}}"#
        )),
    )
}

/// Everything an instance holds: subject → (version → id), from its REST API.
async fn dump(url: &str) -> Option<BTreeMap<String, BTreeMap<i64, i64>>> {
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            let r = http
                .get(format!("{url}{path}"))
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .ok()?;
            if !r.status().is_success() {
                return None;
            }
            r.json::<serde_json::Value>().await.ok()
        }
    };
    let subjects = get("/subjects".into()).await?;
    let mut out = BTreeMap::new();
    for s in subjects.as_array()? {
        let s = s.as_str()?;
        let versions = get(format!("/subjects/{s}/versions")).await?;
        let mut ids = BTreeMap::new();
        for v in versions.as_array()? {
            let v = v.as_i64()?;
            let one = get(format!("/subjects/{s}/versions/{v}")).await?;
            ids.insert(v, one["id"].as_i64()?);
        }
        out.insert(s.to_string(), ids);
    }
    Some(out)
}

/// The committed offsets of `group` on `topic`, by partition (`None`: none committed).
fn committed(bootstrap: &str, group: &str, topic: &str) -> Option<Vec<Option<i64>>> {
    let c: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .ok()?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).ok()?;
    Some(
        (0..PARTITIONS)
            .map(|p| {
                got.find_partition(topic, p)
                    .and_then(|e| e.offset().to_raw())
                    .filter(|o| *o >= 0)
            })
            .collect(),
    )
}

/// How many records a `read_committed` reader finds in `topic` from offsets `from` (one per
/// partition) to its ends: outputs committed after those offsets. Aborted records and
/// transaction markers are not counted.
fn visible_after(bootstrap: &str, topic: &str, from: &[i64]) -> usize {
    use rdkafka::error::KafkaError;
    let c: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", rand_topic("late-reader"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .expect("reader");
    let mut tpl = rdkafka::TopicPartitionList::new();
    for (p, o) in from.iter().enumerate() {
        let p = i32::try_from(p).expect("a partition");
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Offset(*o))
            .expect("offset");
    }
    c.assign(&tpl).expect("assign");
    let (mut found, mut at_end) = (0, HashSet::new());
    let deadline = Instant::now() + LIMIT;
    while at_end.len() < from.len() {
        assert!(Instant::now() < deadline, "reading {topic} to its end");
        match c.poll(Duration::from_millis(500)) {
            Some(Ok(_)) => found += 1,
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => eprintln!("reading {topic}: {e} (librdkafka retries)"),
            None => {}
        }
    }
    found
}

/// The partition of `topic` with the most records, and its end offset.
fn busiest(bootstrap: &str, topic: &str) -> Option<i32> {
    let c: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .ok()?;
    (0..PARTITIONS)
        .filter_map(|p| {
            c.fetch_watermarks(topic, p, Duration::from_secs(5))
                .ok()
                .map(|(_, high)| (high, p))
        })
        .max()
        .map(|(_, p)| p)
}

fn print_log(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    eprintln!("--- {} (last lines)", path.display());
    for l in tail.into_iter().rev() {
        eprintln!("{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seeded_schedule_of_faults_on_three_nodes_loses_nothing() {
    let _one = crate::cluster_faults::ONE_CLUSTER_AT_A_TIME.lock().await;
    let k = knobs();
    let seed = k.seed;
    let plan = schedule(seed, k.faults);
    eprintln!(
        "cluster chaos seed {seed} (replay: SCHEMAFLOW_CHAOS_SEED={seed}), {} records at \
         {}/s, faults {plan:?}",
        k.records, k.rate
    );
    let t0 = Instant::now();
    let cluster = Arc::new(
        tokio::task::spawn_blocking(|| Cluster::start(3))
            .await
            .expect("cluster"),
    );
    let bootstrap = cluster.bootstrap.clone();

    // Every node behind a proxy of its own: a client bootstrapping through the proxies is told
    // the proxies' addresses, so a fault on them is a fault on all of its traffic.
    let toxi = tokio::task::spawn_blocking(Toxiproxy::start)
        .await
        .expect("toxiproxy");
    let mut proxied = Vec::new();
    for node in 1..=3 {
        let (listen, upstream) = cluster.proxied(node);
        toxi.proxy_on(&format!("node-{node}"), &listen, &upstream)
            .await;
        proxied.push(listen);
    }
    let proxied = proxied.join(",");

    let topic = rand_topic("cluster-chaos");
    let output = format!("{topic}-out");
    create_replicated_topic(&bootstrap, &topic, PARTITIONS, 3).await;
    create_replicated_topic(&bootstrap, &output, PARTITIONS, 3).await;
    create_replicated_topic(&bootstrap, &format!("{output}.dlq"), 1, 3).await;

    // Three registry instances on one replicated store topic.
    let store = rand_topic("_schemas");
    let mut registries = Registries {
        args: [
            "--kafkastore-bootstrap-servers",
            &bootstrap,
            "--kafkastore-topic",
            &store,
            "--group-id",
            &rand_topic("registries"),
            "--kafkastore-replication-factor",
            "3",
        ]
        .map(String::from)
        .to_vec(),
        instances: Vec::new(),
    };
    for _ in 0..3 {
        let inst = registries.serve("127.0.0.1:0");
        registries.instances.push(inst);
    }
    let urls: Vec<String> = registries.instances.iter().map(|i| i.url.clone()).collect();
    let all_urls = urls.join(",");
    let reg = CachedRegistry::new(registry_client(&all_urls), CacheConfig::default());
    eprintln!("{:?}: cluster, proxies and registries up", t0.elapsed());

    // Registrations, one after another, for as long as the run lasts.
    let stop_registering = Arc::new(AtomicBool::new(false));
    let registering = {
        let (client, stop) = (registry_client(&all_urls), stop_registering.clone());
        tokio::spawn(async move {
            let (mut acked, mut failed) = (Vec::new(), 0usize);
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let (subject, schema) = registration(n);
                match client.register(&subject, &schema, false).await {
                    Ok((id, _)) => acked.push((n, id.0)),
                    // Not acknowledged: it may or may not exist; nothing is promised.
                    Err(_) => failed += 1,
                }
                n += 1;
            }
            (acked, failed)
        })
    };

    // The exactly-once processor: every input to one output.
    let transactional_id = rand_topic("eos");
    let eos_group = rand_topic("eos-group");
    let mut eos =
        ExactlyOnceConfig::new(&bootstrap, &eos_group, &topic, &output, &transactional_id);
    eos.batch_size = 500;
    eos.txn_call_timeout = Duration::from_secs(10);
    let processor = ExactlyOnceProcessor::<UserEvent, Output>::new(eos, reg.clone())
        .await
        .expect("processor");
    let stop_processor = Arc::new(Notify::new());
    let processing = {
        let stop = stop_processor.clone();
        tokio::spawn(async move {
            processor
                .run(
                    |e: &UserEvent| Ok::<_, String>(vec![e.clone()]),
                    async move { stop.notified().await },
                )
                .await
        })
    };

    // The group: member 0 reaches the cluster directly, member 1 only through the proxies.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = Group {
        topic: topic.clone(),
        group: rand_topic("chaos-group"),
        registry: all_urls.clone(),
        dir: dir.path().to_path_buf(),
        handled: Arc::default(),
        started: 0,
    };
    let mut members = vec![group.join(&bootstrap), group.join(&proxied)];
    let mut killed_members = Vec::new();

    // The producer, held to the run's rate, until the schedule is done and `records` went out.
    let producer =
        TypedProducer::new(ProducerConfig::new(&bootstrap), reg.clone()).expect("producer");
    let acked = Arc::new(AtomicUsize::new(0));
    let schedule_done = Arc::new(AtomicBool::new(false));
    let failed: Arc<Mutex<Vec<String>>> = Arc::default();
    let producing = {
        let (topic, acked, failed) = (topic.clone(), acked.clone(), failed.clone());
        let (done, records, rate) = (schedule_done.clone(), k.records, k.rate.max(1));
        tokio::spawn(async move {
            let window = (rate / 10).clamp(1, 500);
            let mut sent = 0;
            let mut tick =
                tokio::time::interval(Duration::from_secs_f64(window as f64 / rate as f64));
            // Held up by a fault, the producer goes on at its rate, not in a burst.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while sent < records || !done.load(Ordering::SeqCst) {
                tick.tick().await;
                let mut pending = Vec::with_capacity(window);
                for i in sent..sent + window {
                    let value = event(i);
                    let key = format!("k-{i}");
                    let record = Record::to(&topic).key(key.as_bytes()).value(&value);
                    pending.push((i, producer.enqueue(record).await.expect("enqueue")));
                }
                sent += window;
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
            sent
        })
    };

    // The schedule, keyed to progress.
    let step = (k.records / (k.faults + 1)).max(1);
    let mut rng = fastrand::Rng::with_seed(seed.rotate_left(23));
    for (n, fault) in plan.iter().enumerate() {
        let target = acked.load(Ordering::SeqCst) + step;
        until(seed, "progress before a fault", || {
            acked.load(Ordering::SeqCst) >= target
        })
        .await;
        eprintln!("{:?}: fault {n}: {fault:?}", t0.elapsed());
        match fault {
            Fault::KillBroker => {
                let (b, t) = (bootstrap.clone(), topic.clone());
                let p = tokio::task::spawn_blocking(move || busiest(&b, &t))
                    .await
                    .expect("busiest")
                    .unwrap_or(0);
                let node = leader_of(seed, &cluster, &topic, p).await;
                let c = cluster.clone();
                tokio::task::spawn_blocking(move || c.kill(node))
                    .await
                    .expect("kill");
                eprintln!("  killed node {node} (leader of partition {p})");
                let (c, t) = (cluster.clone(), topic.clone());
                until_blocking(seed, "the partition led by another node", move || {
                    c.leader(&t, p).is_some_and(|l| l != node)
                })
                .await;
                let target = acked.load(Ordering::SeqCst) + step / 2;
                until(seed, "progress with a node dead", || {
                    acked.load(Ordering::SeqCst) >= target
                })
                .await;
                let c = cluster.clone();
                tokio::task::spawn_blocking(move || c.restart(node))
                    .await
                    .expect("restart");
                eprintln!("  node {node} restarted");
            }
            Fault::PauseBroker => {
                let p = rng.i32(0..PARTITIONS);
                let node = leader_of(seed, &cluster, &topic, p).await;
                let paused = cluster.pause(node);
                eprintln!("  paused node {node} (leader of partition {p})");
                let (c, t) = (cluster.clone(), topic.clone());
                until_blocking(
                    seed,
                    "the paused node's partition led elsewhere",
                    move || c.leader(&t, p).is_some_and(|l| l != node),
                )
                .await;
                paused.resume();
                eprintln!("  node {node} resumed");
            }
            Fault::CutNetwork => {
                let secs = rng.u64(2..=6);
                for node in 1..=3 {
                    toxi.set_enabled(&format!("node-{node}"), false).await;
                }
                tokio::time::sleep(Duration::from_secs(secs)).await;
                for node in 1..=3 {
                    toxi.set_enabled(&format!("node-{node}"), true).await;
                }
                eprintln!("  the proxied member was cut off for {secs} s");
            }
            Fault::SlowNetwork => {
                let latency = Duration::from_millis(rng.u64(50..=300));
                for node in 1..=3 {
                    toxi.add(
                        &format!("node-{node}"),
                        "slow",
                        Stream::Downstream,
                        Toxic::Latency {
                            latency,
                            jitter: latency / 2,
                        },
                    )
                    .await;
                }
                let target = acked.load(Ordering::SeqCst) + step / 2;
                until(seed, "progress on a slow network", || {
                    acked.load(Ordering::SeqCst) >= target
                })
                .await;
                for node in 1..=3 {
                    toxi.remove(&format!("node-{node}"), "slow").await;
                }
                eprintln!("  the proxied member's network was slowed by {latency:?}");
            }
            Fault::KillMember => {
                let i = rng.usize(0..members.len());
                let through = if i == 0 { &bootstrap } else { &proxied };
                let replacement = group.join(through);
                let mut old = std::mem::replace(&mut members[i], replacement);
                let _ = old.child.kill();
                let _ = old.child.wait();
                eprintln!(
                    "  member {} SIGKILLed, member {} joined",
                    old.no, members[i].no
                );
                killed_members.push(old);
            }
            Fault::KillRegistryLeader => {
                let i = registries.leader(seed).await;
                let listen = registries.instances[i]
                    .url
                    .trim_start_matches("http://")
                    .to_string();
                {
                    let inst = &mut registries.instances[i];
                    let _ = inst.child.kill();
                    let _ = inst.child.wait();
                }
                eprintln!("  registry leader {i} SIGKILLed");
                let others: Vec<&Instance> = registries
                    .instances
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, x)| x)
                    .collect();
                let deadline = Instant::now() + LIMIT;
                'elected: loop {
                    for o in &others {
                        if health(&o.url).await["leader"] == true {
                            break 'elected;
                        }
                    }
                    assert!(
                        Instant::now() < deadline,
                        "seed {seed}: no new registry leader"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let again = registries.serve(&listen);
                registries.instances[i] = again;
                eprintln!("  registry instance {i} restarted on {listen}");
            }
        }
    }
    schedule_done.store(true, Ordering::SeqCst);
    eprintln!("{:?}: schedule done", t0.elapsed());

    // The producer: everything acknowledged, each record once in the log.
    let sent = tokio::time::timeout(LIMIT, producing)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: the producer did not finish"))
        .expect("the producer task");
    let failed = failed.lock().unwrap().clone();
    assert!(
        failed.is_empty(),
        "seed {seed}: deliveries failed: {failed:?}"
    );
    assert_eq!(acked.load(Ordering::SeqCst), sent, "seed {seed}");
    let log = {
        let (b, t) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || keys_in_log(&b, &t))
            .await
            .expect("log")
    };
    let twice: Vec<_> = log.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "seed {seed}: written twice: {twice:?}");
    assert_eq!(
        log.len(),
        sent,
        "seed {seed}: every acknowledged record in the log once"
    );
    eprintln!("{:?}: {sent} produced, each once in the log", t0.elapsed());

    // The group: every record handled, then every partition's end committed.
    let want: HashSet<String> = (0..sent).map(|i| format!("user-{i}")).collect();
    let waited = Instant::now();
    loop {
        let have: HashSet<String> = group
            .handled
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.3.clone())
            .collect();
        if want.is_subset(&have) {
            break;
        }
        for m in &mut members {
            if let Ok(Some(status)) = m.child.try_wait() {
                print_log(&m.log);
                panic!("seed {seed}: member {} ended on its own: {status}", m.no);
            }
        }
        if waited.elapsed() > LIMIT {
            let missing: Vec<_> = want.difference(&have).take(10).collect();
            for m in members.iter().chain(&killed_members) {
                print_log(&m.log);
            }
            panic!(
                "seed {seed}: {} of {sent} never handled by the group, e.g. {missing:?}",
                want.difference(&have).count()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out_ends = ends(&bootstrap, &topic).await;
    let (b, g, t, e) = (
        bootstrap.clone(),
        group.group.clone(),
        topic.clone(),
        out_ends.clone(),
    );
    until_blocking(
        seed,
        "the group's commits reach every partition's end",
        move || {
            committed(&b, &g, &t).is_some_and(|c| {
                c.iter()
                    .zip(&e)
                    .all(|(c, end)| *end == 0 || *c == Some(*end))
            })
        },
    )
    .await;
    let handled = group.handled.lock().unwrap().clone();
    let mut times: HashMap<(i32, i64), usize> = HashMap::new();
    for (_, p, o, _) in &handled {
        *times.entry((*p, *o)).or_insert(0) += 1;
    }
    let reread: usize = times.values().map(|n| n - 1).sum();
    let bound = REREAD_PER_FAULT * (k.faults + 1);
    eprintln!(
        "{:?}: the group handled all {sent}: {} handlings, {reread} re-read (bound {bound}), \
         {} members started",
        t0.elapsed(),
        handled.len(),
        group.started
    );
    assert!(
        reread <= bound,
        "seed {seed}: the group re-read {reread} records, more than was in flight ({bound})"
    );

    // Exactly once: one committed output per input. First the processor catches up (its
    // transactions commit its input offsets: they reach the input's ends), then the output is
    // read, then the processor stops.
    let input_ends = ends(&bootstrap, &topic).await;
    let (b, g, t, e) = (
        bootstrap.clone(),
        eos_group.clone(),
        topic.clone(),
        input_ends,
    );
    let catch_up = Instant::now();
    while !{
        let (b, g, t, e) = (b.clone(), g.clone(), t.clone(), e.clone());
        tokio::task::spawn_blocking(move || {
            committed(&b, &g, &t).is_some_and(|c| {
                c.iter()
                    .zip(&e)
                    .all(|(c, end)| *end == 0 || *c == Some(*end))
            })
        })
        .await
        .expect("a state read")
    } {
        // A long run's processor may trail the producer by minutes; it must keep going.
        assert!(
            catch_up.elapsed() < LIMIT * 10,
            "seed {seed}: the processor did not reach the input's end"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (outputs, written): (Vec<Output>, _) =
        read_committed(&bootstrap, &output, &reg, sent).await;
    stop_processor.notify_one();
    let eos_stats = tokio::time::timeout(LIMIT, processing)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: the processor did not stop"))
        .expect("the processor task")
        .expect("the processor");
    eprintln!("{:?}: exactly once: {eos_stats:?}", t0.elapsed());
    let mut ids: Vec<&str> = outputs.iter().map(|o| o.user_id.as_str()).collect();
    ids.sort_unstable();
    let before_dedup = ids.len();
    ids.dedup();
    assert_eq!(
        ids.len(),
        before_dedup,
        "seed {seed}: {} inputs output twice",
        before_dedup - ids.len()
    );
    assert_eq!(outputs.len(), sent, "seed {seed}: one output per input");
    let (b, o, w) = (bootstrap.clone(), output.clone(), written.clone());
    let late = tokio::task::spawn_blocking(move || visible_after(&b, &o, &w))
        .await
        .expect("read after");
    assert_eq!(
        late, 0,
        "seed {seed}: outputs committed after every input had one"
    );
    assert_eq!(eos_stats.dead_lettered, 0, "seed {seed}: {eos_stats:?}");

    // The registry: acknowledged ids increase, every instance holds them and agrees.
    stop_registering.store(true, Ordering::SeqCst);
    let (registered, unacknowledged) = tokio::time::timeout(LIMIT, registering)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: the registrations did not stop"))
        .expect("the registering task");
    assert!(
        !registered.is_empty(),
        "seed {seed}: nothing was registered"
    );
    for w in registered.windows(2) {
        assert!(
            w[0].1 < w[1].1,
            "seed {seed}: ids do not increase in the order acknowledged: {w:?}"
        );
    }
    let urls: Vec<String> = registries.instances.iter().map(|i| i.url.clone()).collect();
    let deadline = Instant::now() + LIMIT;
    let agreed = loop {
        let mut dumps = Vec::new();
        for u in &urls {
            dumps.push(dump(u).await);
        }
        let complete = dumps.iter().all(|d| {
            d.as_ref().is_some_and(|d| {
                registered.iter().all(|(n, id)| {
                    d.get(&registration(*n).0).and_then(|v| v.get(&1)) == Some(&i64::from(*id))
                })
            })
        });
        if complete && dumps.windows(2).all(|w| w[0] == w[1]) {
            break dumps.swap_remove(0).expect("a dump");
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: the registry instances did not converge on every acknowledged \
             registration"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let acknowledged: HashSet<String> =
        registered.iter().map(|(n, _)| registration(*n).0).collect();
    let others: Vec<&String> = agreed
        .keys()
        .filter(|s| !acknowledged.contains(*s))
        .collect();
    eprintln!(
        "{:?}: registry: {} acknowledged ({unacknowledged} not), {} subjects on each of {} \
         instances; besides the acknowledged: {others:?}",
        t0.elapsed(),
        registered.len(),
        agreed.len(),
        urls.len()
    );
    drop(members);
    drop(killed_members);
}

/// The node leading `topic`'s `partition`, once one does.
async fn leader_of(seed: u64, cluster: &Arc<Cluster>, topic: &str, partition: i32) -> i32 {
    let found = Arc::new(Mutex::new(None));
    let (c, t, f) = (cluster.clone(), topic.to_string(), found.clone());
    until_blocking(seed, "a leader", move || {
        let l = c.leader(&t, partition);
        *f.lock().unwrap() = l;
        l.is_some()
    })
    .await;
    let l = *found.lock().unwrap();
    l.expect("a leader")
}
