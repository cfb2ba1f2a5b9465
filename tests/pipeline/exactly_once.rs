//! Exactly-once consume–transform–produce on a real broker (Apache Kafka): real transactions,
//! `read_committed` readers, the processor as a process of its own
//! (`examples/exactly_once_processor.rs`: Avro `UserEvent` in, one Protobuf `UserEvent` out per
//! input, each output naming the instance that wrote it in `attributes["processed_by"]`).
//!
//! - A crash: the processor is SIGKILLed inside a transaction whose outputs are already in the
//!   log, and restarted with the same `transactional.id`: the restart aborts the open
//!   transaction, re-reads its inputs, and `read_committed` readers see exactly one output per
//!   input.
//! - A zombie: a second processor with the same `transactional.id` (and group) fences the
//!   first, which stops with a fatal "fenced" error and writes nothing after the fence.
//!
//! The output is read in snapshots: every partition from the start up to its end at the time
//! (the last stable offset for `read_committed`), to `enable.partition.eof`.
#![cfg(unix)]
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message as _;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow_registry::EmbeddedRegistry;
use tokio::sync::mpsc;

/// How long any one awaited state may take to come.
const WAIT: Duration = Duration::from_secs(120);
/// Partitions of the input and the output topics.
const PARTITIONS: i32 = 3;

/// `examples/exactly_once_processor` (built on first use).
fn processor_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| common::examples::example_exe("exactly_once_processor"))
}

/// Input and output topics with `PARTITIONS` partitions, and `user-0` … `user-{n-1}` (Avro,
/// keyed by the user id, record `i` in partition `i % PARTITIONS`) in the input; returns the
/// registry (its URL is for the processors). The processors' outputs keep the key, and go to
/// the partition of its hash.
async fn setup(n: usize) -> (EmbeddedRegistry, String, String) {
    let b = broker();
    let (server, reg) = common::services::registry().await;
    let (input, output) = (rand_topic("eos-in"), rand_topic("eos-out"));
    create_topic(&b.bootstrap, &input, PARTITIONS).await;
    create_topic(&b.bootstrap, &output, PARTITIONS).await;
    // Record batches of 10: a consumer fetching one batch per partition at a time sees the
    // partitions interleaved, so every transaction writes to every output partition.
    let producer = TypedProducer::new(
        ProducerConfig::new(&b.bootstrap).set("batch.num.messages", "10"),
        reg,
    )
    .unwrap();
    let mut pending = Vec::new();
    for i in 0..n {
        let mut e: UserEvent = common::avro_minimal();
        e.user_id = format!("user-{i}");
        let p = (i % PARTITIONS as usize) as i32;
        pending.push(
            producer
                .enqueue(
                    Record::to(&input)
                        .key(e.user_id.as_bytes())
                        .value(&e)
                        .partition(p),
                )
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    (server, input, output)
}

/// One output record as found in the log.
#[derive(Debug, Clone)]
struct Output {
    partition: i32,
    offset: i64,
    user_id: String,
    processed_by: String,
}

/// Every record of `topic` from the start to each partition's end now (`read_committed`: to
/// the last stable offset, aborted records left out; otherwise every data record, aborted
/// ones too).
async fn snapshot(topic: &str, read_committed: bool) -> Vec<Output> {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .set("group.id", format!("snapshot-{:08x}", fastrand::u32(..)))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "true")
            .set(
                "isolation.level",
                if read_committed {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            )
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            tpl.add_partition_offset(&topic, p, Offset::Beginning)
                .unwrap();
        }
        c.assign(&tpl).unwrap();
        let (mut at_end, mut out) = (BTreeSet::new(), Vec::new());
        let deadline = Instant::now() + WAIT;
        while at_end.len() < PARTITIONS as usize {
            assert!(Instant::now() < deadline, "{topic}: no end within {WAIT:?}");
            match c.poll(Duration::from_millis(200)) {
                None => {}
                Some(Ok(m)) if !at_end.contains(&m.partition()) => {
                    out.push(decode(m.partition(), m.offset(), m.payload().unwrap()))
                }
                Some(Ok(_)) => {}
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    at_end.insert(p);
                }
                Some(Err(e)) => panic!("reading {topic}: {e}"),
            }
        }
        out
    })
    .await
    .unwrap()
}

fn decode(partition: i32, offset: i64, frame: &[u8]) -> Output {
    use prost::Message as _;
    let (_, rest) = schemaflow::wire::read_header(frame).unwrap();
    let (_, body) = schemaflow::wire::read_message_indexes(rest).unwrap();
    let v = pb::UserEvent::decode(body).unwrap();
    Output {
        partition,
        offset,
        processed_by: v
            .attributes
            .get("processed_by")
            .cloned()
            .unwrap_or_default(),
        user_id: v.user_id,
    }
}

/// Each partition's end offset (high watermark) now.
async fn ends(topic: &str) -> Vec<i64> {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .create()
            .unwrap();
        (0..PARTITIONS)
            .map(|p| {
                c.fetch_watermarks(&topic, p, Duration::from_secs(10))
                    .unwrap()
                    .1
            })
            .collect()
    })
    .await
    .unwrap()
}

fn count_by(outputs: &[Output]) -> BTreeMap<&str, usize> {
    let mut by = BTreeMap::new();
    for o in outputs {
        *by.entry(o.processed_by.as_str()).or_default() += 1;
    }
    by
}

/// Asserts one output per input in `outputs`: `n` records, ids `user-0` … `user-{n-1}` once each.
fn assert_exactly_once(outputs: &[Output], n: usize) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outputs {
        *seen.entry(o.user_id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).take(10).collect();
    assert!(twice.is_empty(), "duplicated outputs: {twice:?}");
    let expected: BTreeSet<String> = (0..n).map(|i| format!("user-{i}")).collect();
    let got: BTreeSet<String> = seen.keys().map(|s| s.to_string()).collect();
    let missing: Vec<_> = expected.difference(&got).take(10).collect();
    assert!(missing.is_empty(), "missing outputs: {missing:?}");
    assert_eq!(got, expected);
    assert_eq!(outputs.len(), n, "exactly one output per input");
}

/// A line a processor printed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Ready,
    /// `committed k=v …` (the counters after a committed transaction).
    Committed(BTreeMap<String, u64>),
    Aborted(String),
    Stalled {
        transformed: u64,
        in_transaction: u64,
    },
    Fatal(String),
    Other(String),
    /// stdout closed: the process is gone.
    End,
}

fn parse(line: &str) -> Line {
    let counters = |rest: &str| -> BTreeMap<String, u64> {
        rest.split(' ')
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
            .collect()
    };
    if line.starts_with("ready ") {
        Line::Ready
    } else if let Some(rest) = line.strip_prefix("committed ") {
        Line::Committed(counters(rest))
    } else if line.starts_with("aborted ") {
        Line::Aborted(line.to_string())
    } else if let Some(rest) = line.strip_prefix("stalled after ") {
        let c = counters(rest);
        Line::Stalled {
            transformed: rest.split(' ').next().unwrap().parse().unwrap(),
            in_transaction: c["in_transaction"],
        }
    } else if let Some(rest) = line.strip_prefix("fatal ") {
        Line::Fatal(rest.to_string())
    } else {
        Line::Other(line.to_string())
    }
}

#[derive(Default)]
struct Instance {
    name: String,
    lines: Vec<Line>,
    ended: bool,
    /// When the test read the end of its stdout.
    ended_at: Option<Instant>,
    /// Killed or stopped on purpose, or expected to stop: its end is no failure.
    may_end: bool,
    stderr: Arc<Mutex<String>>,
}

impl Instance {
    fn ready(&self) -> bool {
        self.lines.contains(&Line::Ready)
    }

    /// Its last `committed` counters (all zero before the first).
    fn committed(&self) -> BTreeMap<String, u64> {
        self.lines
            .iter()
            .rev()
            .find_map(|l| match l {
                Line::Committed(c) => Some(c.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn count(&self, key: &str) -> u64 {
        self.committed().get(key).copied().unwrap_or(0)
    }

    fn stalled(&self) -> Option<(u64, u64)> {
        self.lines.iter().find_map(|l| match l {
            Line::Stalled {
                transformed,
                in_transaction,
            } => Some((*transformed, *in_transaction)),
            _ => None,
        })
    }

    fn fatal(&self) -> Option<&str> {
        self.lines.iter().find_map(|l| match l {
            Line::Fatal(e) => Some(e.as_str()),
            _ => None,
        })
    }

    fn aborts(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, Line::Aborted(_)))
            .count()
    }
}

/// Processor processes over the same topics, and what they printed.
struct Processors {
    args: Vec<String>,
    tx: mpsc::UnboundedSender<(usize, Line)>,
    rx: mpsc::UnboundedReceiver<(usize, Line)>,
    children: Vec<Child>,
    instances: Vec<Instance>,
}

impl Processors {
    fn new(registry: &str, input: &str, output: &str) -> Processors {
        let (tx, rx) = mpsc::unbounded_channel();
        let group = format!("eos-group-{:08x}", fastrand::u32(..));
        let args = [
            "--brokers",
            &broker().bootstrap,
            "--registry",
            registry,
            "--input",
            input,
            "--output",
            output,
            "--group",
            &group,
            // A killed instance's consumer leaves the group when its session times out.
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ];
        Processors {
            args: args.iter().map(|a| a.to_string()).collect(),
            tx,
            rx,
            children: Vec::new(),
            instances: Vec::new(),
        }
    }

    /// Start an instance named `name` with this transactional.id and extra arguments.
    fn spawn(&mut self, name: &str, transactional_id: &str, extra: &[&str]) -> usize {
        let me = self.children.len();
        let mut child = Command::new(processor_exe())
            .args(&self.args)
            .args(["--transactional-id", transactional_id, "--instance", name])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start examples/exactly_once_processor");
        let (stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send((me, parse(&line)));
            }
            let _ = tx.send((me, Line::End));
        });
        let errors = Arc::new(Mutex::new(String::new()));
        let e = errors.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            e.lock().unwrap().push_str(&s);
        });
        self.children.push(child);
        self.instances.push(Instance {
            name: name.to_string(),
            stderr: errors,
            ..Instance::default()
        });
        me
    }

    /// Read the instances' output until `state` holds (checked before each line).
    async fn wait_until(&mut self, what: &str, state: impl Fn(&Processors) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !state(self) {
            let Ok(Some((i, line))) = tokio::time::timeout_at(deadline, self.rx.recv()).await
            else {
                panic!("not within {WAIT:?}: {what}\n{}", self.report());
            };
            if line == Line::End {
                self.instances[i].ended = true;
                self.instances[i].ended_at = Some(Instant::now());
                if !self.instances[i].may_end {
                    let status = self.children[i].wait().unwrap();
                    panic!(
                        "{} ended ({status}) while waiting for: {what}\n{}",
                        self.instances[i].name,
                        self.report()
                    );
                }
            } else {
                self.instances[i].lines.push(line);
            }
        }
    }

    /// SIGKILL instance `i`, and take in what it printed before it died.
    async fn kill(&mut self, i: usize) {
        self.instances[i].may_end = true;
        self.children[i].kill().unwrap(); // SIGKILL on unix
        let status = self.children[i].wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "{}: {status}",
            self.instances[i].name
        );
        self.wait_until("the killed instance's output", |p| p.instances[i].ended)
            .await;
    }

    /// Stop instance `i` cleanly (SIGTERM: it stops between two transactions, exit 0).
    async fn terminate(&mut self, i: usize) {
        self.instances[i].may_end = true;
        let pid = self.children[i].id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(kill.success(), "kill -TERM {pid}");
        self.wait_until("the stopped instance's end", |p| p.instances[i].ended)
            .await;
        let status = self.children[i].wait().unwrap();
        assert!(
            status.success(),
            "{}: {status}\n{}",
            self.instances[i].name,
            self.report()
        );
    }

    /// Wait for instance `i` to exit on its own; its status.
    async fn exit_status(&mut self, i: usize) -> ExitStatus {
        self.instances[i].may_end = true;
        self.wait_until("the instance's exit", |p| p.instances[i].ended)
            .await;
        self.children[i].wait().unwrap()
    }

    fn report(&self) -> String {
        self.instances
            .iter()
            .map(|m| {
                let tail: Vec<String> = m.lines[m.lines.len().saturating_sub(6)..]
                    .iter()
                    .map(|l| format!("{l:?}"))
                    .collect();
                format!(
                    "{}: {} lines, ended {}, last lines {tail:#?}; stderr:\n{}",
                    m.name,
                    m.lines.len(),
                    m.ended,
                    m.stderr.lock().unwrap()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Processors {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// SIGKILLed inside a transaction whose outputs are already in the log, then restarted with
/// the same transactional.id: the restart aborts that transaction (its outputs stay in the log
/// as aborted records, which read_committed readers skip), re-reads its inputs from the last
/// committed offsets, and the output holds exactly one record per input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_transaction_and_restarted_outputs_each_input_exactly_once() {
    const N: usize = 5000;
    const STALL_AFTER: u64 = 1250;
    let started = Instant::now();
    let (server, input, output) = setup(N).await;
    let tid = format!("eos-crash-{:08x}", fastrand::u32(..));
    let mut procs = Processors::new(server.url(), &input, &output);
    let stall = STALL_AFTER.to_string();
    let first = procs.spawn(
        "first",
        &tid,
        &["--batch-size", "100", "--stall-after", &stall],
    );
    procs
        .wait_until("the first instance stalls mid-transaction", |p| {
            p.instances[first].stalled().is_some()
        })
        .await;
    let (transformed, in_txn) = procs.instances[first].stalled().unwrap();
    let committed_first = procs.instances[first].count("inputs");
    assert!(
        procs.instances[first].count("commits") >= 2 && in_txn > 0,
        "{}",
        procs.report()
    );
    // Stalled between two transforms: its committed counters are final, and every transform
    // since is in the open transaction (no aborts so far).
    assert_eq!(procs.instances[first].aborts(), 0, "{}", procs.report());
    assert_eq!(transformed, committed_first + in_txn);
    assert_eq!(procs.instances[first].count("outputs"), committed_first);
    // Its open transaction's outputs reached the log before the kill.
    let deadline = Instant::now() + WAIT;
    loop {
        let all = snapshot(&output, false).await;
        if all.len() as u64 == committed_first + in_txn {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} records in {output}, expected {committed_first} committed + {in_txn} open",
            all.len()
        );
    }
    let committed_now = snapshot(&output, true).await;
    assert_eq!(committed_now.len() as u64, committed_first);
    procs.kill(first).await;
    let killed_at = Instant::now();

    let second = procs.spawn("second", &tid, &["--batch-size", "100"]);
    procs
        .wait_until("the restarted instance has processed the rest", |p| {
            p.instances[second].count("inputs") >= N as u64 - committed_first
        })
        .await;
    let recovered_in = killed_at.elapsed();
    procs.terminate(second).await;
    let s = procs.instances[second].committed();
    assert_eq!(s["inputs"], N as u64 - committed_first, "{s:?}");
    assert_eq!(s["outputs"], N as u64 - committed_first, "{s:?}");
    // The restart read again the inputs of the killed transaction.
    assert_eq!(s["transformed"], N as u64 - committed_first, "{s:?}");

    let committed = snapshot(&output, true).await;
    assert_exactly_once(&committed, N);
    let by = count_by(&committed);
    assert_eq!(by.get("first").copied(), Some(committed_first as usize));
    assert_eq!(
        by.get("second").copied(),
        Some(N - committed_first as usize)
    );
    // The killed transaction's outputs are in the log, aborted: a read_uncommitted reader
    // sees them on top of the N committed ones; each is an input the restart did again.
    let all = snapshot(&output, false).await;
    assert_eq!(all.len() as u64, N as u64 + in_txn);
    let first_all: Vec<&Output> = all.iter().filter(|o| o.processed_by == "first").collect();
    assert_eq!(first_all.len() as u64, committed_first + in_txn);
    let committed_ids: BTreeMap<&str, &str> = committed
        .iter()
        .map(|o| (o.user_id.as_str(), o.processed_by.as_str()))
        .collect();
    let first_committed: BTreeSet<&str> = committed
        .iter()
        .filter(|o| o.processed_by == "first")
        .map(|o| o.user_id.as_str())
        .collect();
    let aborted: Vec<&&Output> = first_all
        .iter()
        .filter(|o| !first_committed.contains(o.user_id.as_str()))
        .collect();
    assert_eq!(aborted.len() as u64, in_txn);
    assert!(aborted
        .iter()
        .all(|o| committed_ids[o.user_id.as_str()] == "second"));
    eprintln!(
        "{N} inputs over {PARTITIONS} partitions: the first instance committed {committed_first} \
         in {} transactions, SIGKILLed with {in_txn} outputs of an open transaction in the log; \
         the restart (same transactional.id) recovered in {recovered_in:.1?} and committed {} \
         in {} transactions; read_committed: {} outputs, each input once ({by:?}); \
         read_uncommitted: {} ({in_txn} aborted); {} transforms in all; test took {:.1?}",
        procs.instances[first].count("commits"),
        s["inputs"],
        s["commits"],
        committed.len(),
        all.len(),
        transformed + s["transformed"],
        started.elapsed()
    );
    server.stop().await.unwrap();
}

/// A zombie: processor A is mid-stream when B starts with the same transactional.id (and
/// group). B's initialisation fences A; A stops with a fatal "fenced" error (exit 2) and no
/// record of A lands in the output after the fence, while B goes on to the end: exactly one
/// output per input for read_committed readers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_with_the_same_transactional_id_fences_the_first() {
    const N: usize = 3000;
    let started = Instant::now();
    let (server, input, output) = setup(N).await;
    let tid = format!("eos-zombie-{:08x}", fastrand::u32(..));
    let mut procs = Processors::new(server.url(), &input, &output);
    // Slow enough (2 ms a record, 50 a transaction) that A is mid-stream, inside a
    // transaction most of the time, when B starts.
    let slow = ["--batch-size", "50", "--work-ms", "2"];
    let a = procs.spawn("A", &tid, &slow);
    procs
        .wait_until("A commits 3 transactions", |p| {
            p.instances[a].count("commits") >= 3
        })
        .await;
    procs.instances[a].may_end = true;
    let b_started = Instant::now();
    let b = procs.spawn("B", &tid, &slow);
    procs
        .wait_until("B initialised its transactions (fencing A)", |p| {
            p.instances[b].ready()
        })
        .await;
    // Nothing of A's can be appended from here on: B's InitProducerId bumped the epoch and
    // aborted A's open transaction (its markers are below these ends) before it returned.
    let fence = ends(&output).await;
    let b_ready_in = b_started.elapsed();
    let status = procs.exit_status(a).await;
    let a_stopped_in = procs.instances[a].ended_at.unwrap() - b_started;
    let a_inst = &procs.instances[a];
    let error = a_inst
        .fatal()
        .unwrap_or_else(|| panic!("{}", procs.report()))
        .to_string();
    assert_eq!(status.code(), Some(2), "A: {status}\n{}", procs.report());
    assert!(
        error.contains("fenced by another instance with the same transactional.id"),
        "{error}"
    );
    assert!(a_inst.stderr.lock().unwrap().contains("fenced"));
    assert_eq!(
        a_inst.lines.last(),
        Some(&Line::Fatal(error.clone())),
        "the fatal error is A's last word"
    );
    let a_committed = a_inst.count("outputs");
    assert_eq!(a_inst.count("inputs"), a_committed);

    procs
        .wait_until("B processes the rest", |p| {
            p.instances[b].count("inputs") >= N as u64 - a_committed
        })
        .await;
    procs.terminate(b).await;
    let s = procs.instances[b].committed();
    assert_eq!(s["inputs"], N as u64 - a_committed, "{s:?}");

    let committed = snapshot(&output, true).await;
    assert_exactly_once(&committed, N);
    let by = count_by(&committed);
    assert_eq!(by.get("A").copied().unwrap_or(0) as u64, a_committed);
    assert_eq!(
        by.get("B").copied().unwrap_or(0) as u64,
        N as u64 - a_committed
    );
    // Every record A ever wrote, committed or aborted, is below the ends at the fence.
    let all = snapshot(&output, false).await;
    let late: Vec<&Output> = all
        .iter()
        .filter(|o| o.processed_by == "A" && o.offset >= fence[o.partition as usize])
        .collect();
    assert!(
        late.is_empty(),
        "A wrote after the fence {fence:?}: {late:?}"
    );
    let a_all = all.iter().filter(|o| o.processed_by == "A").count();
    eprintln!(
        "{N} inputs over {PARTITIONS} partitions: A committed {a_committed} in {} transactions; \
         B's transactions were initialised (A fenced; output ends {fence:?}) {b_ready_in:.1?} \
         after its start, A exited {a_stopped_in:.1?} after it ({status}): {error}; B committed {} in {} transactions ({} aborted); read_committed: {} \
         outputs, each input once ({by:?}); read_uncommitted: {} ({a_all} of A's, {} aborted), \
         none of A's after the fence; test took {:.1?}",
        procs.instances[a].count("commits"),
        s["inputs"],
        s["commits"],
        s["aborts"],
        committed.len(),
        all.len(),
        a_all as u64 - a_committed,
        started.elapsed()
    );
    server.stop().await.unwrap();
}

/// A fence that first shows at commit (the broker answers EndTxn with PRODUCER_FENCED, as
/// it does to a zombie whose epoch was bumped while it was producing): injected on
/// librdkafka's mock cluster, in-process. The processor stops at once with the fenced error,
/// having committed nothing and retried nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fence_reported_at_commit_stops_the_processor() {
    use rdkafka::mocking::MockCluster;
    use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
    use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor, Progress};

    let mock = MockCluster::new(1).unwrap();
    let brokers = mock.bootstrap_servers();
    for t in ["in", "out", "out.dlq"] {
        mock.create_topic(t, 1, 1).unwrap();
    }
    let (server, reg) = common::services::registry().await;
    let producer = TypedProducer::new(ProducerConfig::new(&brokers), reg.clone()).unwrap();
    for i in 0..10 {
        let mut e: UserEvent = common::avro_minimal();
        e.user_id = format!("user-{i}");
        producer.send(Record::to("in").value(&e)).await.unwrap();
    }
    let cfg = ExactlyOnceConfig::new(&brokers, "fenced-group", "in", "out", "fenced-1");
    let processor = ExactlyOnceProcessor::<UserEvent, pb::UserEvent>::new(cfg, reg)
        .await
        .unwrap();
    mock.request_errors(
        RDKafkaApiKey::EndTxn,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_PRODUCER_FENCED],
    );
    let mut events = Vec::new();
    let result = tokio::time::timeout(
        WAIT,
        processor.run_with_progress(
            |e: &UserEvent| {
                Ok::<_, String>(vec![pb::UserEvent {
                    user_id: e.user_id.clone(),
                    ..Default::default()
                }])
            },
            |p| {
                events.push(match p {
                    Progress::Committed(_) => "committed",
                    Progress::Aborted(..) => "aborted",
                })
            },
            std::future::pending(),
        ),
    )
    .await
    .expect("the processor stops on its own");
    let e = result.expect_err("a fenced processor stops with an error");
    assert!(e.is_fatal(), "{e}");
    assert!(
        e.to_string()
            .contains("fenced by another instance with the same transactional.id \"fenced-1\""),
        "{e}"
    );
    assert!(
        events.is_empty(),
        "{events:?}: nothing committed, nothing retried"
    );
    eprintln!("{e}");
    server.stop().await.unwrap();
}

/// Inputs whose schema id travels in the `__value_schema_id` header (Confluent 8's form,
/// GUID, no payload prefix: `SchemaIdPlacement::HeaderGuid`) are transformed like framed
/// ones — the processor decodes through the consumer's one decode path — not dead-lettered
/// as undecodable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_with_the_schema_id_in_a_header_are_transformed() {
    use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor, Progress};
    use schemaflow::producer::SchemaIdPlacement;

    const N: usize = 12;
    let b = broker();
    let (server, reg) = common::services::registry().await;
    let (input, output) = (rand_topic("eos-hdr-in"), rand_topic("eos-hdr-out"));
    create_topic(&b.bootstrap, &input, PARTITIONS).await;
    create_topic(&b.bootstrap, &output, PARTITIONS).await;
    let mut pc = ProducerConfig::new(&b.bootstrap);
    pc.schema_id_placement = SchemaIdPlacement::HeaderGuid;
    let producer = TypedProducer::new(pc, reg.clone()).unwrap();
    for i in 0..N {
        let mut e: UserEvent = common::avro_minimal();
        e.user_id = format!("user-{i}");
        producer
            .send(Record::to(&input).key(e.user_id.as_bytes()).value(&e))
            .await
            .unwrap();
    }
    let cfg = ExactlyOnceConfig::new(
        &b.bootstrap,
        &rand_topic("eos-hdr-group"),
        &input,
        &output,
        &rand_topic("eos-hdr-txn"),
    );
    let processor = ExactlyOnceProcessor::<UserEvent, pb::UserEvent>::new(cfg, reg)
        .await
        .unwrap();
    let (all_in, all_in_rx) = tokio::sync::oneshot::channel::<()>();
    let mut all_in = Some(all_in);
    let run = processor.run_with_progress(
        |e: &UserEvent| {
            Ok::<_, String>(vec![pb::UserEvent {
                user_id: e.user_id.clone(),
                attributes: [("processed_by".to_string(), "in-process".to_string())].into(),
                ..Default::default()
            }])
        },
        |p| {
            if let Progress::Committed(s) = p {
                if s.inputs >= N as u64 {
                    if let Some(tx) = all_in.take() {
                        let _ = tx.send(());
                    }
                }
            }
        },
        async {
            let _ = all_in_rx.await;
        },
    );
    let stats = tokio::time::timeout(WAIT, run)
        .await
        .expect("every input committed within the wait")
        .unwrap();
    assert_eq!(
        stats.dead_lettered, 0,
        "{stats:?}: header-id inputs dead-lettered"
    );
    assert_eq!(stats.inputs, N as u64, "{stats:?}");
    assert_eq!(stats.outputs, N as u64, "{stats:?}");
    assert_exactly_once(&snapshot(&output, true).await, N);
    server.stop().await.unwrap();
}
