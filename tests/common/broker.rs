//! A real broker for integration tests: Apache Kafka (KRaft, one node; see `scripts/kafka`).
//!
//! `SCHEMAFLOW_TEST_BROKERS` set (as `scripts/test` does, one broker for the whole run): that
//! broker. Otherwise the first call starts one for this test binary with `scripts/kafka start`
//! in a fresh temp dir (installing Kafka first if needed), and a watcher shell stops it and
//! removes the dir when the test process exits, whatever way it ends (even on a panic or a
//! SIGKILL). A test never skips for want of a broker.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// The env var naming a running broker (`host:port[,host:port…]`) for the tests to use.
pub const BROKERS_ENV: &str = "SCHEMAFLOW_TEST_BROKERS";

/// A running broker.
pub struct Broker {
    /// `host:port` to bootstrap from.
    pub bootstrap: String,
    /// Stops the broker we started when this process exits (none for `SCHEMAFLOW_TEST_BROKERS`).
    _watcher: Option<Child>,
}

/// The broker of this test binary: `$SCHEMAFLOW_TEST_BROKERS`, else one started on first use.
pub fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(|| match std::env::var(BROKERS_ENV) {
        Ok(b) if !b.trim().is_empty() => Broker {
            bootstrap: b.trim().to_string(),
            _watcher: None,
        },
        _ => start(),
    })
}

fn start() -> Broker {
    let (bootstrap, watcher, _) = watched_kafka("start");
    Broker {
        bootstrap,
        _watcher: Some(watcher),
    }
}

/// `scripts/kafka COMMAND DIR` (`start`, or `cluster N`) in a fresh temp dir, under a watcher
/// that stops it and removes the dir when this process exits: the bootstrap list, the watcher
/// and the dir.
pub fn watched_kafka(command: &str) -> (String, Child, std::path::PathBuf) {
    watched_kafka_env(command, &[])
}

/// [`watched_kafka`] with environment variables for `scripts/kafka` (e.g.
/// `SCHEMAFLOW_KAFKA_ADVERTISED`).
pub fn watched_kafka_env(
    command: &str,
    env: &[(&str, &str)],
) -> (String, Child, std::path::PathBuf) {
    // A cold install resolves Kafka from Maven Central first: allow for a slow network.
    watched("kafka", command, env, Duration::from_secs(900))
}

/// `scripts/NAME COMMAND DIR` (NAME is `kafka` or `toxiproxy`) in a fresh temp dir, under a
/// watcher that runs `scripts/NAME stop DIR` and removes the dir when this process exits:
/// the last line the script printed (an address), the watcher and the dir. `limit` bounds the
/// start (a cold install included).
pub fn watched(
    name: &str,
    command: &str,
    env: &[(&str, &str)],
    limit: Duration,
) -> (String, Child, std::path::PathBuf) {
    let script = format!("{}/scripts/{name}", env!("CARGO_MANIFEST_DIR"));
    // Kept past this process: the watcher removes it after stopping the service.
    let dir = tempfile::Builder::new()
        .prefix(&format!("schemaflow-{name}-"))
        .tempdir()
        .unwrap()
        .keep();
    // The watcher runs `scripts/NAME start` (so that a stop can never race a start), records
    // its outcome, then waits for the test process (its parent) to go away and stops the
    // service and removes its dir: no orphans, whatever way the tests end. It survives Ctrl-C
    // and SIGTERM sent to the whole process group (caught, not ignored: its children get the
    // defaults back), so it outlives the test process and does its job (the service runs in a
    // session of its own).
    let watch = r#"trap : INT TERM HUP; parent=$PPID
"$0" $2 "$1" >"$1/start.out" 2>"$1/start.err"; echo $? >"$1/start.rc.tmp"; mv "$1/start.rc.tmp" "$1/start.rc"
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
"$0" stop "$1" >/dev/null 2>&1; rm -rf "$1""#;
    let mut watcher = Command::new("sh")
        .arg("-c")
        .arg(watch)
        .arg(&script)
        .arg(&dir)
        .arg(command)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start the {name} watcher: {e}"));
    let deadline = Instant::now() + limit;
    let rc = loop {
        if let Ok(rc) = std::fs::read_to_string(dir.join("start.rc")) {
            break rc.trim().to_string();
        }
        if let Ok(Some(status)) = watcher.try_wait() {
            panic!("the {name} watcher exited ({status}) before scripts/{name} {command} finished");
        }
        assert!(
            Instant::now() < deadline,
            "scripts/{name} {command} did not finish within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(dir.join("start.err")).unwrap_or_default();
    assert!(
        rc == "0",
        "scripts/{name} {command} {} failed (exit {rc}):\n{err}\nlog: {}",
        dir.display(),
        log_tail(&dir.join("kafka.log"))
    );
    eprint!("{err}");
    let address = std::fs::read_to_string(dir.join("start.out"))
        .unwrap()
        .lines()
        .last()
        .unwrap_or_else(|| panic!("scripts/{name} printed no address"))
        .trim()
        .to_string();
    (address, watcher, dir)
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A topic name unique to this run.
pub fn rand_topic(name: &str) -> String {
    format!("{name}-{:08x}", fastrand::u32(..))
}

/// Create `topic` with `partitions`, and wait until the broker serves every partition (so a
/// producer or consumer started next sees them all). Explicit, though the test broker would
/// auto-create topics: tests say how many partitions they need.
pub async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    create_replicated_topic(bootstrap, topic, partitions, 1).await
}

/// [`create_topic`] with `replicas` copies of each partition (on a cluster).
pub async fn create_replicated_topic(bootstrap: &str, topic: &str, partitions: i32, replicas: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let res = admin
        .create_topics(
            &[NewTopic::new(
                topic,
                partitions,
                TopicReplication::Fixed(replicas),
            )],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
    wait_for_topic(bootstrap, topic, partitions).await;
}

async fn wait_for_topic(bootstrap: &str, topic: &str, partitions: i32) {
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = client
                .fetch_metadata(Some(&topic), Duration::from_secs(5))
                .ok()
                .and_then(|md| {
                    md.topics().iter().find(|t| t.name() == topic).map(|t| {
                        t.error().is_none()
                            && t.partitions().len() == partitions as usize
                            && t.partitions()
                                .iter()
                                .all(|p| p.leader() >= 0 && p.error().is_none())
                    })
                })
                .unwrap_or(false);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "topic {topic} not served with {partitions} partitions within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
}
