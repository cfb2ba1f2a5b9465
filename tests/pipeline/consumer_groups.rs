//! Consumer groups and crash recovery through a real broker (Apache Kafka). Each member is a
//! process of its own (`examples/group_member.rs`, a `TypedConsumer<UserEvent>` printing every
//! record it handled), so that a crash is a real one: SIGKILL, no clean close, no commit on
//! revoke, no leave-group. The group learns of it when the member's session times out, and the
//! records it handled after its last commit go to the partitions' next owner again.
//! (Aborting a task that runs a consumer is no crash: dropping the consumer closes it, the
//! revoke callback commits every stored offset and the member leaves the group.)
#![cfg(unix)]
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow_registry::EmbeddedRegistry;
use tokio::sync::mpsc;

/// How long any one awaited state may take to come.
const WAIT: Duration = Duration::from_secs(120);

/// Produce `user-0` … `user-{count-1}`, record `i` to partition `i % partitions`, in record
/// batches of 10 (a consumer fetching one batch per partition at a time sees the partitions
/// interleaved); returns the registry (its URL is for the members) and the topic's end offset
/// per partition.
async fn setup(partitions: i32, count: usize) -> (EmbeddedRegistry, String, Vec<i64>) {
    let b = broker();
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("group");
    create_topic(&b.bootstrap, &topic, partitions).await;
    let producer = TypedProducer::new(
        ProducerConfig::new(&b.bootstrap).set("batch.num.messages", "10"),
        reg,
    )
    .unwrap();
    let mut pending = Vec::new();
    for i in 0..count {
        let mut e: UserEvent = common::avro_minimal();
        e.user_id = format!("user-{i}");
        let p = (i % partitions as usize) as i32;
        pending.push(
            producer
                .enqueue(Record::to(&topic).value(&e).partition(p))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    let ends = {
        let topic = topic.clone();
        tokio::task::spawn_blocking(move || {
            let c: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &broker().bootstrap)
                .create()
                .unwrap();
            (0..partitions)
                .map(|p| {
                    c.fetch_watermarks(&topic, p, Duration::from_secs(10))
                        .unwrap()
                        .1
                })
                .collect::<Vec<i64>>()
        })
        .await
        .unwrap()
    };
    assert_eq!(ends.iter().sum::<i64>(), count as i64);
    (server, topic, ends)
}

/// The group's committed offset per partition, as the broker has it (`None`: no commit).
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

/// `examples/group_member` (built on first use).
fn group_member_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| common::examples::example_exe("group_member"))
}

/// A record a member printed as handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Handled {
    id: usize,
    partition: i32,
    offset: i64,
}

enum Line {
    Handled(Handled),
    Stalled,
    Other(String),
    /// stdout closed: the process is gone.
    End,
}

#[derive(Default)]
struct Member {
    /// What it printed as handled, in order.
    handled: Vec<Handled>,
    stalled: bool,
    /// Its other lines (the final stats).
    said: Vec<String>,
    ended: bool,
    /// Killed or stopped on purpose: its end is expected.
    stopping: bool,
    stderr: Arc<Mutex<String>>,
}

/// Members of one group, each a `group_member` process, and what they printed.
struct Group {
    args: Vec<String>,
    tx: mpsc::UnboundedSender<(usize, Line)>,
    rx: mpsc::UnboundedReceiver<(usize, Line)>,
    children: Vec<Child>,
    members: Vec<Member>,
    /// Every handled line of every member, in the order they were read: (member, record).
    log: Vec<(usize, Handled)>,
}

impl Group {
    fn new(registry: &str, topic: &str, group: &str) -> Group {
        let (tx, rx) = mpsc::unbounded_channel();
        let args = [
            "--brokers",
            &broker().bootstrap,
            "--registry",
            registry,
            "--topic",
            topic,
            "--group",
            group,
        ];
        Group {
            args: args.iter().map(|a| a.to_string()).collect(),
            tx,
            rx,
            children: Vec::new(),
            members: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Start a member with these extra arguments; returns its index.
    fn spawn(&mut self, extra: &[&str]) -> usize {
        let me = self.children.len();
        let mut child = Command::new(group_member_exe())
            .args(&self.args)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start examples/group_member");
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
        self.members.push(Member {
            stderr: errors,
            ..Member::default()
        });
        me
    }

    /// Read the members' output until `state` holds (checked before each line).
    async fn wait_until(&mut self, what: &str, state: impl Fn(&Group) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !state(self) {
            let Ok(Some((m, line))) = tokio::time::timeout_at(deadline, self.rx.recv()).await
            else {
                panic!("not within {WAIT:?}: {what}\n{}", self.report());
            };
            match line {
                Line::Handled(h) => {
                    self.members[m].handled.push(h);
                    self.log.push((m, h));
                }
                Line::Stalled => self.members[m].stalled = true,
                Line::Other(l) => self.members[m].said.push(l),
                Line::End => {
                    self.members[m].ended = true;
                    if !self.members[m].stopping {
                        let status = self.children[m].wait().unwrap();
                        panic!(
                            "member {m} ended ({status}) while waiting for: {what}\n{}",
                            self.report()
                        );
                    }
                }
            }
        }
    }

    /// SIGKILL member `m`, and take in what it printed before it died.
    async fn kill(&mut self, m: usize) {
        self.members[m].stopping = true;
        self.children[m].kill().unwrap(); // SIGKILL on unix
        let status = self.children[m].wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "member {m}: {status}");
        self.wait_until("the killed member's output", |g| g.members[m].ended)
            .await;
    }

    /// Stop member `m` cleanly (SIGTERM: it commits what it handled and leaves the group).
    async fn terminate(&mut self, m: usize) {
        self.members[m].stopping = true;
        let pid = self.children[m].id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(kill.success(), "kill -TERM {pid}");
        self.wait_until("the stopped member's end", |g| g.members[m].ended)
            .await;
        let status = self.children[m].wait().unwrap();
        assert!(status.success(), "member {m}: {status}\n{}", self.report());
    }

    fn ids(&self, m: usize) -> BTreeSet<usize> {
        self.members[m].handled.iter().map(|h| h.id).collect()
    }

    /// Whether member `m` printed the last record of every partition.
    fn reached_the_end(&self, m: usize, ends: &[i64]) -> bool {
        ends.iter().enumerate().all(|(p, end)| {
            self.members[m]
                .handled
                .iter()
                .any(|h| h.partition == p as i32 && h.offset == end - 1)
        })
    }

    fn report(&self) -> String {
        self.members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                format!(
                    "member {i}: {} handled, stalled {}, ended {}, said {:?}; stderr:\n{}",
                    m.handled.len(),
                    m.stalled,
                    m.ended,
                    m.said,
                    m.stderr.lock().unwrap()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn parse(line: &str) -> Line {
    let w: Vec<&str> = line.split(' ').collect();
    match w.as_slice() {
        ["handled", id, p, o] => Line::Handled(Handled {
            id: id
                .strip_prefix("user-")
                .and_then(|i| i.parse().ok())
                .unwrap_or_else(|| panic!("bad id in {line:?}")),
            partition: p.parse().unwrap(),
            offset: o.parse().unwrap(),
        }),
        ["stalled", "after", _] => Line::Stalled,
        _ => Line::Other(line.to_string()),
    }
}

/// The consumer-group protocol a test's members speak.
#[derive(Clone, Copy, Debug)]
enum Protocol {
    /// JoinGroup/SyncGroup; the client sets its session timeout.
    Classic,
    /// KIP-848 (`group.protocol=consumer`): the broker assigns and owns the session timeout
    /// (`group.consumer.session.timeout.ms`, 6 s on the test broker).
    Consumer,
}

/// Session of a member that is killed (its partitions move once it has timed out), or of one
/// that survives (long enough that a loaded machine never expels it).
fn session(protocol: Protocol, dying: bool) -> Vec<&'static str> {
    match (protocol, dying) {
        (Protocol::Classic, true) => vec![
            "-X",
            "session.timeout.ms=3000",
            "-X",
            "heartbeat.interval.ms=300",
        ],
        (Protocol::Classic, false) => vec![
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ],
        (Protocol::Consumer, _) => vec!["-X", "group.protocol=consumer"],
    }
}

/// A member killed between two commits: the next member of the group gets again exactly the
/// records the dead one handled after its last commit (at least once, more than zero), nothing
/// it committed, and no record is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_killed_between_commits_hands_its_uncommitted_records_to_the_next() {
    killed_between_commits(Protocol::Classic).await;
}

/// The same with KIP-848's consumer protocol.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_a_member_killed_between_commits_hands_its_uncommitted_records_to_the_next() {
    killed_between_commits(Protocol::Consumer).await;
}

async fn killed_between_commits(protocol: Protocol) {
    const PARTITIONS: i32 = 3;
    const N: usize = 900;
    const COMMIT_EVERY: usize = 100;
    const STALL_AFTER: usize = 250; // two commits (at 100 and 200), then 50 uncommitted
    tokio::task::spawn_blocking(group_member_exe).await.unwrap();
    let (server, topic, ends) = setup(PARTITIONS, N).await;
    let group_id = rand_topic("g");
    let mut g = Group::new(server.url(), &topic, &group_id);

    // A alone: commits after every 100 records (and never by time), 2 ms a record; stops
    // handling after 250 and hangs there, a member of the group holding every partition. It
    // fetches one record batch per partition at a time, so its records (and commits) span the
    // partitions.
    let (commit_every, stall_after) = (COMMIT_EVERY.to_string(), STALL_AFTER.to_string());
    let mut args = vec![
        "--work-ms",
        "2",
        "--commit-every",
        &commit_every,
        "--commit-interval-ms",
        "3600000",
        "--stall-after",
        &stall_after,
        "-X",
        "max.partition.fetch.bytes=1",
    ];
    args.extend(session(protocol, true));
    let a = g.spawn(&args);
    g.wait_until("A handled 250 records and stalled", |g| {
        g.members[a].stalled
    })
    .await;
    assert_eq!(g.members[a].handled.len(), STALL_AFTER);
    g.kill(a).await;
    assert_eq!(g.members[a].handled.len(), STALL_AFTER);

    // What A's commits left on the broker. A commit is asynchronous and takes the offsets
    // stored when librdkafka gets to it, not when it was asked for: so, per partition, the
    // position after some record between A's 100th (its first commit) and its 250th (the
    // last it handled); after its 200th or a little later, as a rule. Handling takes 2 ms a
    // record, so the 50 records after the second commit leave it far behind.
    let at_kill = committed(&group_id, &topic, PARTITIONS).await;
    let after = |n: usize| -> Vec<Option<i64>> {
        (0..PARTITIONS)
            .map(|p| {
                g.members[a].handled[..n]
                    .iter()
                    .filter(|h| h.partition == p)
                    .map(|h| h.offset + 1)
                    .max()
            })
            .collect()
    };
    let (first_commit, everything) = (after(COMMIT_EVERY), after(STALL_AFTER));
    for p in 0..PARTITIONS as usize {
        assert!(
            first_commit[p] <= at_kill[p] && at_kill[p] <= everything[p],
            "partition {p}: committed {:?}, A's first commit {:?}, A handled to {:?}",
            at_kill[p],
            first_commit[p],
            everything[p]
        );
    }
    let start = |p: i32| at_kill[p as usize].unwrap_or(0);
    let uncommitted: BTreeSet<usize> = g.members[a]
        .handled
        .iter()
        .filter(|h| h.offset >= start(h.partition))
        .map(|h| h.id)
        .collect();

    // B joins after A is dead: admitted once A's session has timed out, it owns every
    // partition from the committed offsets on.
    let b = g.spawn(&session(protocol, false));
    g.wait_until("B read every partition to its end", |g| {
        g.reached_the_end(b, &ends)
    })
    .await;
    g.terminate(b).await;
    let at_end = committed(&group_id, &topic, PARTITIONS).await;
    assert_eq!(
        at_end,
        ends.iter().map(|e| Some(*e)).collect::<Vec<_>>(),
        "B's final commit"
    );

    let (a_ids, b_ids) = (g.ids(a), g.ids(b));
    let all: BTreeSet<usize> = a_ids.union(&b_ids).copied().collect();
    assert_eq!(all, (0..N).collect(), "every record handled by someone");
    let replayed: BTreeSet<usize> = a_ids.intersection(&b_ids).copied().collect();
    assert!(!replayed.is_empty(), "nothing replayed after the kill");
    assert_eq!(
        replayed, uncommitted,
        "B got again exactly what A handled after its last commit"
    );
    for p in 0..PARTITIONS {
        let first = g.members[b]
            .handled
            .iter()
            .filter(|h| h.partition == p)
            .map(|h| h.offset)
            .min();
        assert_eq!(
            first,
            Some(start(p)),
            "B starts partition {p} at the commit"
        );
    }
    eprintln!(
        "{N} records over {PARTITIONS} partitions; A handled {}, committed {at_kill:?}, \
         killed; B handled {}, of which {} replayed (A's uncommitted: {})",
        a_ids.len(),
        g.members[b].handled.len(),
        replayed.len(),
        uncommitted.len()
    );
    server.stop().await.unwrap();
}

/// Two members share the partitions; one is killed mid-stream. The survivor takes its
/// partitions over once its session has timed out, gets again what the dead one handled after
/// its last commit, and no record is lost. A commits only when partitions are taken from it
/// (B joining), so everything it handles after that rebalance is uncommitted at the kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_share_partitions_and_one_is_killed_mid_stream() {
    share_then_kill(Protocol::Classic).await;
}

/// The same with KIP-848's consumer protocol (incremental: B gets partitions without A
/// stopping).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_two_members_share_partitions_and_one_is_killed_mid_stream() {
    share_then_kill(Protocol::Consumer).await;
}

async fn share_then_kill(protocol: Protocol) {
    const PARTITIONS: i32 = 3;
    const N: usize = 3000;
    tokio::task::spawn_blocking(group_member_exe).await.unwrap();
    let (server, topic, ends) = setup(PARTITIONS, N).await;
    let group_id = rand_topic("g");
    let mut g = Group::new(server.url(), &topic, &group_id);

    // 3 ms per record, so the stream outlasts the rebalances.
    let mut args = vec![
        "--work-ms",
        "3",
        "--commit-every",
        "1000000",
        "--commit-interval-ms",
        "3600000",
    ];
    args.extend(session(protocol, true));
    let a = g.spawn(&args);
    g.wait_until("A handled 100 records", |g| {
        g.members[a].handled.len() >= 100
    })
    .await;
    let mut args = vec!["--work-ms", "3"];
    args.extend(session(protocol, false));
    let b = g.spawn(&args);
    g.wait_until("B was given partitions", |g| {
        !g.members[b].handled.is_empty()
    })
    .await;
    // B handles records only once A has given its partitions back (and committed them), so
    // A's records printed from now on were handled after the rebalance: never committed.
    let before = g.members[a].handled.len();
    g.wait_until("A handled 30 records after the rebalance", |g| {
        g.members[a].handled.len() >= before + 30
    })
    .await;
    assert!(
        g.log.len() < N,
        "the stream ended before the kill; slow the handler"
    );
    g.kill(a).await;

    g.wait_until("B read every partition to its end", |g| {
        g.reached_the_end(b, &ends)
    })
    .await;
    g.terminate(b).await;

    let (a_ids, b_ids) = (g.ids(a), g.ids(b));
    let all: BTreeSet<usize> = a_ids.union(&b_ids).copied().collect();
    assert_eq!(all, (0..N).collect(), "every record handled by someone");
    let replayed: BTreeSet<usize> = a_ids.intersection(&b_ids).copied().collect();
    assert!(!replayed.is_empty(), "nothing replayed after the kill");
    // One owner at a time: per partition, each member handled one run of consecutive
    // offsets, once each; A's from the start, B's to the end; they overlap only where B
    // replayed A's uncommitted tail.
    let mut overlap = 0;
    for p in 0..PARTITIONS {
        let runs: Vec<Vec<i64>> = [a, b]
            .iter()
            .map(|&m| {
                g.members[m]
                    .handled
                    .iter()
                    .filter(|h| h.partition == p)
                    .map(|h| h.offset)
                    .collect()
            })
            .collect();
        for (m, run) in runs.iter().enumerate() {
            assert!(
                run.windows(2).all(|w| w[1] == w[0] + 1),
                "member {m} on partition {p}: not one run of consecutive offsets"
            );
        }
        let (ra, rb) = (&runs[0], &runs[1]);
        if let Some(first) = ra.first() {
            assert_eq!(*first, 0, "A starts partition {p} at 0");
        }
        assert_eq!(
            rb.last(),
            Some(&(ends[p as usize] - 1)),
            "B ends partition {p}"
        );
        if let (Some(a_last), Some(b_first)) = (ra.last(), rb.first()) {
            overlap += (a_last + 1 - b_first).max(0);
        }
    }
    assert_eq!(overlap as usize, replayed.len());
    let mut times: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, h) in &g.log {
        *times.entry(h.id).or_default() += 1;
    }
    assert!(times.values().all(|&t| t <= 2), "a record handled 3 times");
    eprintln!(
        "{N} records over {PARTITIONS} partitions; A handled {} (killed), B handled {}, \
         {} replayed",
        a_ids.len(),
        b_ids.len(),
        replayed.len()
    );
    server.stop().await.unwrap();
}

/// Dropping a consumer whose handler holds a record (a cancelled task, a test that panicked)
/// closes it and returns: librdkafka's close revokes the partitions, and a revoke held back
/// for records in flight would wait for an unassign from a loop that is gone — for ever, in
/// `BaseConsumer`'s drop. The drop is done on a thread of its own so that a regression fails
/// this test instead of hanging it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_consumer_with_a_record_in_flight_closes_it() {
    use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
    let b = broker();
    let (server, reg) = common::services::registry().await;
    let topic = rand_topic("drop-in-flight");
    create_topic(&b.bootstrap, &topic, 2).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    for i in 0..20 {
        let mut e = common::avro_minimal();
        e.user_id = format!("user-{i}");
        let record = Record::to(&topic).key(e.user_id.as_bytes()).value(&e);
        producer.send(record).await.unwrap();
    }
    let (bootstrap, group) = (b.bootstrap.clone(), rand_topic("drop-group"));
    let (done, dropped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let consumer = TypedConsumer::<UserEvent>::new(
                ConsumerConfig::new(&bootstrap, group, &[&topic]),
                reg,
            )
            .unwrap();
            let (started, mut in_flight) = mpsc::channel::<()>(1);
            tokio::select! {
                r = consumer.run(
                    move |_m: Message<UserEvent>| {
                        let started = started.clone();
                        async move {
                            let _ = started.send(()).await;
                            // Never finishes: the record stays in flight.
                            std::future::pending::<()>().await;
                            Ok::<(), HandlerError>(())
                        }
                    },
                    std::future::pending(),
                ) => panic!("the run ended: {r:?}"),
                _ = in_flight.recv() => {}
            }
            // The run's future is gone with its record in flight; now the consumer.
            drop(consumer);
        });
        let _ = done.send(());
    });
    tokio::task::spawn_blocking(move || dropped.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("dropping the consumer returned");
    server.stop().await.unwrap();
}
