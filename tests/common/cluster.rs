//! A replicated Apache Kafka cluster for fault tests: `scripts/kafka cluster N` (KRaft nodes,
//! each broker and controller, topics RF 3 with `min.insync.replicas` 2) in a temp dir, stopped
//! and removed when the test process exits (the same watcher as the single broker's). Its nodes
//! are real processes: a test kills (SIGKILL), pauses (SIGSTOP) and restarts them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use super::broker::watched_kafka;

/// A running cluster of nodes `1..=n` (node id = broker id).
pub struct Cluster {
    /// `host:port,host:port,…` of every node.
    pub bootstrap: String,
    dir: PathBuf,
    _watcher: Child,
}

impl Cluster {
    /// Start `nodes` nodes and wait until each one's metadata lists them all.
    pub fn start(nodes: usize) -> Cluster {
        let (bootstrap, watcher, dir) = watched_kafka(&format!("cluster {nodes}"));
        Cluster {
            bootstrap,
            dir,
            _watcher: watcher,
        }
    }

    fn node_dir(&self, node: i32) -> PathBuf {
        self.dir.join(format!("node-{node}"))
    }

    fn pid(&self, node: i32) -> String {
        let pid = std::fs::read_to_string(self.node_dir(node).join("kafka.pid"))
            .unwrap_or_else(|e| panic!("node {node} has no pid file: {e}"));
        pid.trim().to_string()
    }

    fn signal(&self, node: i32, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid(node)])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} node {node}");
    }

    /// SIGKILL node `node` and wait until its process is gone (a crash: no clean shutdown, no
    /// leadership handed over).
    pub fn kill(&self, node: i32) {
        let pid = self.pid(node);
        self.signal(node, "-KILL");
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            // Reaped by init (the node runs detached): gone within milliseconds.
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGSTOP node `node`: alive, holding its connections, answering nothing.
    pub fn pause(&self, node: i32) -> Paused<'_> {
        self.signal(node, "-STOP");
        Paused {
            cluster: self,
            node,
        }
    }

    /// Start a stopped (or killed) node again on its data and ports; returns once it answers.
    pub fn restart(&self, node: i32) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka");
        let out = Command::new(script)
            .arg("start")
            .arg(self.node_dir(node))
            .output()
            .expect("scripts/kafka start");
        assert!(
            out.status.success(),
            "restarting node {node}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Node `node`'s second listener, for a fault proxy: (`127.0.0.1:PORT` the node advertises
    /// on it, where a proxy must listen; `127.0.0.1:PORT` the node listens on, the proxy's
    /// upstream). A client bootstrapping through the proxies meets only proxies.
    pub fn proxied(&self, node: i32) -> (String, String) {
        let line = std::fs::read_to_string(self.node_dir(node).join("proxied"))
            .unwrap_or_else(|e| panic!("node {node} has no proxied listener: {e}"));
        let mut ports = line.split_whitespace();
        let (Some(proxy), Some(listener)) = (ports.next(), ports.next()) else {
            panic!("node {node}'s proxied file: {line:?}");
        };
        (
            format!("127.0.0.1:{proxy}"),
            format!("127.0.0.1:{listener}"),
        )
    }

    /// The node leading `topic`'s `partition` now (a fresh client's metadata request), or `None`
    /// while no node answers for it (a node paused or leadership moving).
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .expect("metadata client");
        let md = client
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .ok()?;
        md.topics()
            .iter()
            .find(|t| t.name() == topic)
            .and_then(|t| t.partitions().iter().find(|p| p.id() == partition))
            .filter(|p| p.error().is_none() && p.leader() >= 0)
            .map(|p| p.leader())
    }
}

/// A paused node, resumed (SIGCONT) when this is dropped — also when the test panics, so the
/// watcher's clean stop is not left waiting on a stopped process.
pub struct Paused<'a> {
    cluster: &'a Cluster,
    node: i32,
}

impl Paused<'_> {
    /// Resume the node now.
    pub fn resume(self) {}
}

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        self.cluster.signal(self.node, "-CONT");
    }
}
