//! A real Kafka-compatible broker for integration tests: Tansu (crates.io `tansu` 0.6.0,
//! libsql storage), one process per test binary, in a fresh temp dir, on a free port.
//! It is stopped when the test process exits (a watcher shell kills it), even on a panic.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

/// A running broker.
pub struct Broker {
    /// `host:port` to bootstrap from.
    pub bootstrap: String,
    _dir: tempfile::TempDir,
    _watcher: Child,
}

/// The Tansu binary: `$TANSU_BIN`, else what `scripts/tansu` prints (building it if needed).
pub fn tansu_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU_BIN") {
        return PathBuf::from(p);
    }
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/tansu"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/tansu");
    assert!(out.status.success(), "scripts/tansu failed");
    PathBuf::from(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .trim(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The broker of this test binary, started on first use.
pub fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(start)
}

fn start() -> Broker {
    let bin = tansu_bin();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    // The shell starts the broker, then waits for the test process (its parent) to go away
    // and stops the broker: no orphans, whatever way the tests end.
    let script = r#"parent=$PPID; "$0" broker --listener-url "$1" --advertised-listener-url "$1" --storage-engine sqlite://tansu.db >tansu.log 2>&1 & child=$!; while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done; kill "$child" 2>/dev/null; wait "$child""#;
    let watcher = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&bin)
        .arg(&url)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .spawn()
        .expect("start tansu");
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "tansu did not start; log: {}",
            std::fs::read_to_string(dir.path().join("tansu.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Broker {
        bootstrap: addr,
        _dir: dir,
        _watcher: watcher,
    }
}

/// A topic name unique to this run.
pub fn rand_topic(name: &str) -> String {
    format!("{name}-{:08x}", fastrand::u32(..))
}

/// Create `topic` with `partitions` (Tansu never auto-creates topics).
pub async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let res = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
}
