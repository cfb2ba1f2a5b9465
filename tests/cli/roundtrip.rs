//! The CLI as an operator uses it, against a real broker (Apache Kafka) and the embedded registry
//! over HTTP: produce JSON → consume JSON round trips for Avro and Protobuf, a bad line, an
//! unknown subject, and `consume | produce` into another topic.
use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use common::broker::{broker, rand_topic};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use serde_json::{json, Value};

fn cli(registry: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    cmd.args(args)
        .args(["--brokers", &broker().bootstrap, "--registry", registry])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run schemaflow");
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

async fn run(registry: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let (r, a, s) = (
        registry.to_string(),
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        stdin.map(str::to_string),
    );
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        cli(&r, &a, s.as_deref())
    })
    .await
    .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:{}\nstderr:{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn registry() -> EmbeddedRegistry {
    EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap()
}

fn avro_event(i: usize) -> Value {
    json!({
        "event_id": format!("6f1c2b9e-3d4a-4f5b-8c7d-{i:012}"),
        "user_id": format!("user-{i}"),
        "action": "PURCHASE",
        "occurred_at": 1_700_000_000_000i64 + i as i64,
        "amount": format!("{i}.25"),
        "session_id": if i.is_multiple_of(2) { Value::Null } else { json!("sess") },
        "device": {"platform": "ios", "app_version": null},
        "shipping_address": if i.is_multiple_of(3) { json!({"street": "1 Main St", "city": "Springfield", "country_code": "US"}) } else { Value::Null },
        "tags": ["a", "b"],
        "attributes": {"k": format!("v{i}")}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_json_round_trip_and_consume_pipe_produce() {
    let reg = registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-avro");
    let copy = rand_topic("cli-avro-copy");
    ok(&run(
        &url,
        &["topics", "create", "--topic", &topic, "--partitions", "1"],
        None,
    )
    .await);
    ok(&run(&url, &["topics", "create", "--topic", &copy], None).await);
    let listed = ok(&run(&url, &["topics", "list"], None).await);
    assert!(
        listed.lines().any(|l| l == format!("{topic}\t1")),
        "{listed}"
    );
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "com.example.events.Address",
            "--schema-file",
            "schemas/address.avsc",
        ],
        None,
    )
    .await);
    let input: Vec<Value> = (0..20).map(avro_event).collect();
    let text: String = input.iter().map(|v| format!("{v}\n")).collect();
    let out = run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-file",
            "schemas/user_event.avsc",
            "--reference",
            "com.example.events.Address=com.example.events.Address:1",
            "--key-field",
            "user_id",
        ],
        Some(&text),
    )
    .await;
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("20 record(s)"));

    let consumed = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "20",
        ],
        None,
    )
    .await);
    assert_eq!(lines(&consumed), input, "consume prints what produce read");

    // --metadata wraps the value.
    let meta = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--metadata",
        ],
        None,
    )
    .await);
    let m = &lines(&meta)[0];
    assert_eq!(m["key"], "user-0");
    assert_eq!(m["partition"], 0);
    assert!(m["schema_id"].as_u64().is_some());
    assert_eq!(m["value"], input[0]);

    // consume | produce into another topic, by subject (latest version), then read it back.
    ok(&run(
        &url,
        &[
            "produce",
            "--topic",
            &copy,
            "--subject",
            &format!("{topic}-value"),
        ],
        Some(&consumed),
    )
    .await);
    let again = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &copy,
            "--offset",
            "beginning",
            "--max-messages",
            "20",
        ],
        None,
    )
    .await);
    assert_eq!(lines(&again), input);
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_json_round_trip() {
    let reg = registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-proto");
    ok(&run(&url, &["topics", "create", "--topic", &topic], None).await);
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "events/v1/common.proto",
            "--schema-file",
            "proto/events/v1/common.proto",
        ],
        None,
    )
    .await);
    let input = vec![
        json!({"eventId": "e-1", "userId": "user-1", "action": "ACTION_PURCHASE", "occurredAt": "2023-11-14T22:13:20.123Z", "amountCents": "1234", "sessionId": "s", "device": {"platform": "ios", "appVersion": "17.1"}, "tags": ["new"], "attributes": {"campaign": "fall"}, "items": [{"sku": "sku-1", "quantity": 2}]}),
        json!({"userId": "user-2"}),
    ];
    // Input may use the .proto field names too.
    let text = format!("{}\n{}\n", input[0], json!({"user_id": "user-2"}));
    ok(&run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-file",
            "proto/events/v1/user_event.proto",
            "--message",
            "events.v1.UserEvent",
            "--reference",
            "events/v1/common.proto=events/v1/common.proto:1",
        ],
        Some(&text),
    )
    .await);
    let consumed = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "2",
        ],
        None,
    )
    .await);
    assert_eq!(lines(&consumed), input);
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_line_stops_with_its_number_after_delivering_the_rest_and_unknown_subject_is_clear() {
    let reg = registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-bad");
    ok(&run(&url, &["topics", "create", "--topic", &topic], None).await);
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "com.example.events.Address",
            "--schema-file",
            "schemas/address.avsc",
        ],
        None,
    )
    .await);
    let good = |s: &str| json!({"street": s, "city": "c", "country_code": "US"}).to_string();
    let text = format!(
        "{}\n{}\n{{\"street\": 5}}\n{}\n",
        good("a"),
        good("b"),
        good("d")
    );
    let out = run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--subject",
            "com.example.events.Address",
        ],
        Some(&text),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("$.street"), "{err}");
    let consumed = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--idle-timeout",
            "5",
        ],
        None,
    )
    .await);
    assert_eq!(
        lines(&consumed).len(),
        2,
        "the two lines before the bad one were delivered, nothing after"
    );

    // --skip-invalid goes on and counts.
    let out = run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--subject",
            "com.example.events.Address",
            "--skip-invalid",
        ],
        Some(&text),
    )
    .await;
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 invalid line(s) skipped"));

    // Unknown subject: one clear line, exit 3.
    let out = run(
        &url,
        &["produce", "--topic", &topic, "--subject", "no-such-subject"],
        Some("{}\n"),
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("Subject 'no-such-subject' not found"), "{err}");

    // Undecodable records are reported and skipped by consume, never fatal.
    let raw: rdkafka::producer::FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .unwrap();
    raw.send(
        rdkafka::producer::FutureRecord::<(), _>::to(&topic).payload(&b"\x01junk"[..]),
        std::time::Duration::from_secs(5),
    )
    .await
    .unwrap();
    let out = run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--idle-timeout",
            "5",
            "--dlq-topic",
            &format!("{topic}.dlq"),
        ],
        None,
    )
    .await;
    let printed = ok(&out);
    assert_eq!(lines(&printed).len(), 2 + 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dead-lettered to"), "{stderr}");
    assert!(stderr.contains("1 undecodable dead-lettered"), "{stderr}");
    let dlq = ok(&run(
        &url,
        &[
            "dlq",
            "inspect",
            "--topic",
            &format!("{topic}.dlq"),
            "--idle-timeout",
            "5",
        ],
        None,
    )
    .await);
    let d = lines(&dlq);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["error"]["topic"], topic.as_str());
    assert_eq!(d[0]["value_hex"], "016a756e6b");

    // Replay it (to another topic here): the original bytes, without the error headers; a
    // second replay sends nothing (progress is committed).
    let replayed = rand_topic("cli-replayed");
    ok(&run(&url, &["topics", "create", "--topic", &replayed], None).await);
    let dlq_topic = format!("{topic}.dlq");
    let args = [
        "dlq",
        "replay",
        "--topic",
        dlq_topic.as_str(),
        "--to",
        replayed.as_str(),
        "--idle-timeout",
        "5",
    ];
    let out = run(&url, &args, None).await;
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("replayed 1 record(s)"));
    let out = run(&url, &args, None).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("replayed 0 record(s)"));
    use rdkafka::consumer::Consumer as _;
    use rdkafka::message::{Headers as _, Message as _};
    let c: rdkafka::consumer::StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("replay-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[&replayed]).unwrap();
    let m = tokio::time::timeout(std::time::Duration::from_secs(30), c.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.payload(), Some(&b"\x01junk"[..]));
    assert!(m
        .headers()
        .is_none_or(|h| h.iter().all(|h| !h.key.starts_with("__connect.errors."))));
    reg.stop().await.unwrap();
}

/// A consumer process killed with SIGKILL mid-stream: the next one in the group resumes from
/// the last commit — nothing lost, only the uncommitted tail seen twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_process_killed_and_restarted_resumes_from_the_last_commit() {
    use std::io::{BufRead, BufReader};
    const N: usize = 2000;
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-kill");
    ok(&run(&url, &["topics", "create", "--topic", &topic], None).await);
    let producer = schemaflow::producer::TypedProducer::new(
        schemaflow::producer::ProducerConfig::new(&broker().bootstrap),
        cached,
    )
    .unwrap();
    let mut pending = Vec::new();
    let events: Vec<_> = (0..N)
        .map(|i| {
            let mut e = common::avro_minimal();
            e.user_id = format!("user-{i}");
            e
        })
        .collect();
    for e in &events {
        pending.push(
            producer
                .enqueue(schemaflow::producer::Record::to(&topic).value(e))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    let group = rand_topic("g");
    let spawn = |extra: &[&str]| {
        let mut args = vec![
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--metadata",
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
            "--brokers",
            &broker().bootstrap,
            "--registry",
            &url,
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The offsets it prints, one at a time as the test takes them (a test that stops
        // taking them stops the consumer too, once the pipe is full); the channel closes when
        // its stdout does.
        let (tx, rx) = std::sync::mpsc::sync_channel::<i64>(0);
        let stdout = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let offset = serde_json::from_str::<Value>(&line).unwrap()["offset"]
                    .as_i64()
                    .unwrap();
                if tx.send(offset).is_err() {
                    break;
                }
            }
        });
        (child, rx)
    };
    let next = |rx: &std::sync::mpsc::Receiver<i64>| {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("the consumer printed nothing for 60 s, or ended")
    };
    // The group's committed offset of partition 0 (the topic's only one), as the broker has it.
    let committed = || {
        use rdkafka::consumer::Consumer as _;
        let c: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition(&topic, 0);
        let got = c
            .committed_offsets(tpl, std::time::Duration::from_secs(10))
            .unwrap();
        match got.find_partition(&topic, 0).unwrap().offset() {
            rdkafka::Offset::Offset(o) => o,
            _ => 0,
        }
    };

    let (mut first, rx) = spawn(&["--offset", "beginning", "--commit-every", "500"]);
    let mut seen_first = Vec::new();
    while seen_first.len() < N / 2 {
        seen_first.push(next(&rx));
    }
    // It is held there (its stdout full) before the end. Kill it once a commit of its has
    // reached the broker (it commits every 500 records: its stdout blocked, its loop does
    // not reach the one-second commit).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while committed() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no commit within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    first.kill().unwrap(); // SIGKILL: no clean shutdown, no final commit
    first.wait().unwrap();
    // Whatever it printed before dying counts as handled.
    seen_first.extend(rx.iter());
    let crashed_after = *seen_first.iter().max().unwrap();
    let committed_at_kill = committed();

    // The killed member never left the group: the new one is admitted after its session
    // (6 s here) times out. It runs until it has printed the last record.
    let (mut second, rx) = spawn(&[]);
    let mut seen_second = Vec::new();
    while seen_second.last() != Some(&(N as i64 - 1)) {
        seen_second.push(next(&rx));
    }
    second.kill().unwrap();
    second.wait().unwrap();
    let resumed_at = *seen_second.iter().min().unwrap();
    let all: std::collections::BTreeSet<i64> =
        seen_first.iter().chain(&seen_second).copied().collect();
    assert_eq!(all.len(), N, "nothing lost");
    assert!(
        resumed_at <= crashed_after + 1,
        "gap: resumed at {resumed_at} after {crashed_after}"
    );
    assert!(resumed_at > 0, "no commit survived the kill");
    assert_eq!(resumed_at, committed_at_kill, "resumed at the last commit");
    assert_eq!(
        seen_second.len() as i64,
        N as i64 - resumed_at,
        "each record once"
    );
    eprintln!(
        "first printed {} (to offset {crashed_after}), committed {committed_at_kill}; \
         second resumed at {resumed_at}: {} replayed",
        seen_first.len(),
        crashed_after + 1 - resumed_at
    );
    reg.stop().await.unwrap();
}
