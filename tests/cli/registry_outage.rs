//! Whose fault is it? The consumer loop (the library's `TypedConsumer` and `schemaflow
//! consume`, which runs it) against a real broker and a real `schemaflow registry serve`
//! process that is stopped and started again on the same port and data:
//! - the registry down while records wait: nothing dead-lettered, nothing skipped, every
//!   record printed exactly once when it comes back;
//! - down past the retry budget: exit 3, and the group resumes at the first unprinted record;
//! - an id the registry does not know (40403) is the record's fault: dead-lettered at once;
//! - the rule without a DLQ: `--group` stops with exit 1 uncommitted, `--skip-undecodable` and
//!   no group skip with one line;
//! - records written by Confluent's Python serializer with the schema id in a header.
use crate::common;

use common::python::python;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use schemaflow::consumer::{ConsumerConfig, DeadLetter, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
use serde_json::{json, Value};

const SCHEMA: &str = r#"{"type":"record","name":"Tick","namespace":"outage.test","fields":[
  {"name":"seq","type":"long"},{"name":"label","type":"string"}]}"#;

/// `schemaflow registry serve` on a fixed port and data folder, so it can come back as itself.
struct RegistryProcess {
    child: Child,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(dir: &Path, port: u16) -> RegistryProcess {
    let (child, url) = common::serve::Serve::on(&format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir)
        .serving();
    RegistryProcess { child, url }
}

impl RegistryProcess {
    fn stop(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for RegistryProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(registry: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    cmd.args(args)
        .args(["--brokers", &broker().bootstrap, "--registry", registry])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn cli(registry: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = command(registry, args).spawn().expect("run schemaflow");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A running command whose stderr lines arrive on a channel (so a test can wait for a state)
/// and whose stdout is collected.
struct Running {
    child: Child,
    stderr: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

fn spawn(registry: &str, args: &[&str]) -> Running {
    let mut child = command(registry, args).spawn().expect("run schemaflow");
    drop(child.stdin.take());
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).unwrap();
        s
    });
    Running {
        child,
        stderr: rx,
        stderr_seen: Vec::new(),
        stdout,
    }
}

impl Running {
    /// Wait (bounded) for a stderr line containing `text`.
    fn wait_for_stderr(&mut self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.stderr_seen.iter().any(|l| l.contains(text)) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.stderr_seen.push(line),
                Err(_) => panic!(
                    "no stderr line with {text:?} within {within:?}; saw {:?}",
                    self.stderr_seen
                ),
            }
        }
    }

    /// Wait (bounded) for the process to exit; its exit code, stdout and whole stderr.
    fn finish(mut self, within: Duration) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "still running after {within:?}; stderr {:?}",
                    self.stderr_seen
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = self.stdout.join().unwrap();
        self.stderr_seen.extend(self.stderr.iter());
        (status.code(), stdout, self.stderr_seen.join("\n"))
    }
}

fn ticks(range: std::ops::Range<usize>) -> String {
    range
        .map(|i| format!("{}\n", json!({"seq": i, "label": format!("tick-{i}")})))
        .collect()
}

fn seqs(stdout: &str) -> Vec<i64> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["seq"].as_i64().unwrap()
        })
        .collect()
}

fn schema_file(dir: &Path) -> PathBuf {
    let p = dir.join("tick.avsc");
    std::fs::write(&p, SCHEMA).unwrap();
    p
}

fn produce(registry: &str, topic: &str, schema: &Path, range: std::ops::Range<usize>) {
    let out = cli(
        registry,
        &[
            "produce",
            "--topic",
            topic,
            "--schema-type",
            "avro",
            "--schema-file",
            schema.to_str().unwrap(),
        ],
        Some(&ticks(range)),
    );
    assert!(
        out.status.success(),
        "produce: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records in a topic (high − low watermark of partition 0), or 0 if it does not exist.
fn records_in(topic: &str) -> i64 {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .unwrap();
    match c.fetch_watermarks(topic, 0, Duration::from_secs(10)) {
        Ok((low, high)) => high - low,
        Err(_) => 0,
    }
}

fn raw_send(topic: &str, payloads: &[&[u8]]) {
    let p: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .unwrap();
    for payload in payloads {
        p.send(BaseRecord::<(), [u8]>::to(topic).payload(*payload))
            .unwrap();
    }
    p.flush(Duration::from_secs(10)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn consume_waits_out_a_registry_outage_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let registry = serve(dir.path(), port);
    let url = registry.url.clone();
    let (topic, dlq) = (rand_topic("t-out"), rand_topic("t-out-dlq"));
    create_topic(&broker().bootstrap, &topic, 1).await;
    create_topic(&broker().bootstrap, &dlq, 1).await;
    let schema = schema_file(dir.path());
    produce(&url, &topic, &schema, 0..100);

    // The registry goes away before the consumer has fetched a single schema.
    registry.stop();
    let group = rand_topic("g");
    let mut consume = spawn(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--dlq-topic",
            &dlq,
            "--max-messages",
            "100",
        ],
    );
    consume.wait_for_stderr("waiting at", Duration::from_secs(60));
    let registry = serve(dir.path(), port);
    let (code, stdout, stderr) = consume.finish(Duration::from_secs(120));
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(
        seqs(&stdout),
        (0..100).collect::<Vec<i64>>(),
        "each once, in order"
    );
    assert!(
        !stderr.contains("skipping") && !stderr.contains("dead-lettered"),
        "{stderr}"
    );
    assert_eq!(records_in(&dlq), 0, "nothing dead-lettered");

    // The group committed all 100: a second run in it finds nothing new.
    produce(&registry.url, &topic, &schema, 100..101);
    let out = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--max-messages",
            "1",
        ],
        None,
    );
    assert!(out.status.success());
    assert_eq!(seqs(&String::from_utf8_lossy(&out.stdout)), vec![100]);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_down_past_the_budget_exits_3_and_the_group_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let registry = serve(dir.path(), port);
    let url = registry.url.clone();
    let topic = rand_topic("t-budget");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let schema = schema_file(dir.path());
    produce(&url, &topic, &schema, 0..10);
    let group = rand_topic("g");
    let first = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "4",
        ],
        None,
    );
    assert!(first.status.success());
    assert_eq!(
        seqs(&String::from_utf8_lossy(&first.stdout)),
        vec![0, 1, 2, 3]
    );

    registry.stop();
    let (code, stdout, stderr) = spawn(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--max-messages",
            "6",
            "--registry-retry-timeout",
            "2",
        ],
    )
    .finish(Duration::from_secs(60));
    assert_eq!(code, Some(3), "stderr: {stderr}");
    assert!(stdout.is_empty(), "nothing printed: {stdout}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("schemaflow consume: ")
            && last.contains(&format!("{topic}/0@4"))
            && last.contains("gave up after"),
        "one clear last line naming the record: {stderr}"
    );
    // The time retried is rounded for people (`2.0 s`), not `Debug`'s `2.000431s`.
    let waited = last
        .split("gave up after ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_default();
    let human = waited.strip_suffix(" s").is_some_and(|n| {
        n.parse::<f64>().is_ok() && n.split('.').nth(1).is_none_or(|d| d.len() == 1)
    });
    assert!(human, "gave up after {waited:?}: {last}");

    let _registry = serve(dir.path(), port);
    let again = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--max-messages",
            "6",
        ],
        None,
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        seqs(&String::from_utf8_lossy(&again.stdout)),
        vec![4, 5, 6, 7, 8, 9],
        "resumes at the first record not printed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_id_is_the_records_fault_and_the_rule_without_a_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let registry = serve(dir.path(), free_port());
    let url = registry.url.clone();
    let (topic, dlq) = (rand_topic("t-unknown"), rand_topic("t-unknown-dlq"));
    create_topic(&broker().bootstrap, &topic, 1).await;
    // Offset 0: a well-formed frame with an id the registry never gave (404, 40403).
    raw_send(&topic, &[b"\x00\x00\x0f\x42\x3f\x02\x04"]);
    let schema = schema_file(dir.path());
    produce(&url, &topic, &schema, 0..1);

    // With a DLQ: dead-lettered at once (no waiting, whatever the retry budget), then on.
    let (code, stdout, stderr) = spawn(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--dlq-topic",
            &dlq,
            "--max-messages",
            "1",
            "--registry-retry-timeout",
            "600",
        ],
    )
    .finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(seqs(&stdout), vec![0]);
    assert!(!stderr.contains("waiting at"), "not retried: {stderr}");
    assert!(stderr.contains("40403"), "{stderr}");
    assert_eq!(records_in(&dlq), 1);

    // With a group and no DLQ: exit 1 at the record, nothing committed past it…
    let group = rand_topic("g");
    let stop = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
        ],
        None,
    );
    assert_eq!(stop.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&stop.stderr);
    assert!(stderr.contains(&format!("{topic}/0@0")), "{stderr}");
    assert!(String::from_utf8_lossy(&stop.stdout).is_empty());
    // …so with --skip-undecodable the same group starts at that record again and passes it
    // (the group has no committed offset: nothing was committed past offset 0).
    let skip = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--skip-undecodable",
            "--max-messages",
            "1",
        ],
        None,
    );
    assert!(skip.status.success());
    assert_eq!(seqs(&String::from_utf8_lossy(&skip.stdout)), vec![0]);
    let stderr = String::from_utf8_lossy(&skip.stderr);
    assert_eq!(
        stderr.matches(&format!("skipping {topic}/0@0")).count(),
        1,
        "{stderr}"
    );

    // Without a group: skipped with one line.
    let look = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "1",
        ],
        None,
    );
    assert!(look.status.success());
    assert_eq!(seqs(&String::from_utf8_lossy(&look.stdout)), vec![0]);
    assert!(String::from_utf8_lossy(&look.stderr).contains("skipping"));

    // `dlq inspect` says why a value is not shown: the record's fault, or — said plainly —
    // a registry it cannot reach now.
    let inspect = |url: &str| {
        let out = cli(
            url,
            &["dlq", "inspect", "--topic", &dlq, "--idle-timeout", "3"],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line: Value =
            serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
        line["value_not_decoded"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        inspect(&url).starts_with("undecodable: "),
        "{}",
        inspect(&url)
    );
    registry.stop();
    let why = inspect(&url);
    assert!(why.starts_with("registry unreachable"), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn records_with_the_schema_id_in_a_header_from_confluent_python_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let registry = serve(dir.path(), free_port());
    let topic = rand_topic("t-header-id");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/header_id_producer.py"
    );
    let sent = Command::new(python())
        .args([script, &broker().bootstrap, &registry.url, &topic, "20"])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let sent: Vec<Value> = String::from_utf8_lossy(&sent.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sent.len(), 20);
    let out = cli(
        &registry.url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "20",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed, sent);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("skipping"));
}

async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typed_consumer_waits_out_a_registry_outage_too() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let registry = serve(dir.path(), port);
    let url = registry.url.clone();
    let topic = rand_topic("t-typed-outage");
    create_topic(&broker().bootstrap, &topic, 2).await;
    let client = |url: &str| {
        CachedRegistry::new(
            RegistryClient::new(ClientConfig::new(url)).unwrap(),
            CacheConfig::default(),
        )
    };
    let producer =
        TypedProducer::new(ProducerConfig::new(&broker().bootstrap), client(&url)).unwrap();
    let n = 50;
    for i in 0..n {
        let mut e = common::avro_full();
        e.user_id = format!("u{i}");
        producer
            .send(Record::to(&topic).key(b"k").value(&e))
            .await
            .unwrap();
    }
    registry.stop();

    let mut config = ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[&topic]);
    config.dead_letter = DeadLetter::PerTopic;
    let consumer = Arc::new(TypedConsumer::<UserEvent>::new(config, client(&url)).unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = {
        let (consumer, seen) = (consumer.clone(), seen.clone());
        tokio::spawn(async move {
            consumer
                .run(
                    move |m: Message<UserEvent>| {
                        seen.lock().unwrap().push(m.value.unwrap().user_id);
                        async { Ok::<(), HandlerError>(()) }
                    },
                    async {
                        let _ = stopped.await;
                    },
                )
                .await
        })
    };
    wait_until("a retry", || consumer.stats().environment_retries > 0).await;
    let _registry = serve(dir.path(), port);
    wait_until("every record", || seen.lock().unwrap().len() >= n).await;
    stop.send(()).unwrap();
    let stats = run.await.unwrap().unwrap();
    let mut ids = seen.lock().unwrap().clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "every record handled");
    assert_eq!(stats.dead_lettered, 0);
    assert_eq!(records_in(&format!("{topic}.dlq")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_waiting_for_the_registry_stops_at_once_and_commits_nothing_past() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let registry = serve(dir.path(), port);
    let url = registry.url.clone();
    let topic = rand_topic("t-term");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let schema = schema_file(dir.path());
    produce(&url, &topic, &schema, 0..3);
    registry.stop();
    let group = rand_topic("g");
    let mut consume = spawn(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--registry-retry-timeout",
            "600",
        ],
    );
    consume.wait_for_stderr("waiting at", Duration::from_secs(60));
    let term = Command::new("kill")
        .args(["-TERM", &consume.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    // Well inside the 600 s budget: the retry is cut short by the signal.
    let (code, stdout, stderr) = consume.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty());

    let _registry = serve(dir.path(), port);
    let again = cli(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "3",
        ],
        None,
    );
    assert!(again.status.success());
    assert_eq!(seqs(&String::from_utf8_lossy(&again.stdout)), vec![0, 1, 2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_schema_record_is_read_and_one_breaking_its_schema_is_the_records_fault() {
    let dir = tempfile::tempdir().unwrap();
    let registry = serve(dir.path(), free_port());
    let client = RegistryClient::new(ClientConfig::new(&registry.url)).unwrap();
    let (topic, dlq) = (rand_topic("t-json"), rand_topic("t-json-dlq"));
    create_topic(&broker().bootstrap, &topic, 1).await;
    let json_schema = schemaflow::registry::Schema {
        schema: r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.into(),
        schema_type: schemaflow::SchemaType::Json,
        references: vec![],
    };
    let (id, _) = client
        .register("json-value", &json_schema, false)
        .await
        .unwrap();
    let mut frame = vec![0];
    frame.extend_from_slice(&id.0.to_be_bytes());
    // A value that breaks the schema (`a` is a number): dead-lettered; the good one printed.
    let mut bad = frame.clone();
    frame.extend_from_slice(br#"{"a":"x"}"#);
    bad.extend_from_slice(br#"{"a":5}"#);
    raw_send(&topic, &[&bad, &frame]);
    let (code, stdout, stderr) = spawn(
        &registry.url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--dlq-topic",
            &dlq,
            "--idle-timeout",
            "3",
        ],
    )
    .finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("dead-lettered") && stderr.contains("at /a: keyword type"),
        "{stderr}"
    );
    assert!(!stderr.contains("parsing Avro"), "{stderr}");
    assert_eq!(stdout.trim(), r#"{"a":"x"}"#);
    assert_eq!(records_in(&dlq), 1);
}
