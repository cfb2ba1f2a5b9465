//! A reader that goes away (`schemaflow … | head`) ends a command quietly with exit 0, as Unix
//! tools do — no panic, no backtrace, no error line — against a real broker and the embedded
//! registry; and `demo --count 0` finishes instead of hanging.
use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{command, ok, run};
use common::samples::avro::address::Address;
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};

/// Run `cmd`, read `lines` lines of its stdout (like `head -n LINES`), close the pipe, and
/// wait (at most `limit`) for it to end.
fn head(mut cmd: Command, lines: usize, limit: Duration) -> (Vec<String>, Output) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run schemaflow");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut read = Vec::new();
    for _ in 0..lines {
        let mut l = String::new();
        if stdout.read_line(&mut l).expect("read stdout") == 0 {
            break;
        }
        read.push(l);
    }
    drop(stdout); // the reader goes away
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("still running {limit:?} after its stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (read, child.wait_with_output().expect("output"))
}

fn quiet_success(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{what}: {err}"
    );
}

fn demo(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    cmd.arg("demo")
        .args(args)
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL");
    cmd
}

#[test]
fn demo_head_two_lines_ends_quietly() {
    let (read, out) = head(demo(&["--count", "1000"]), 2, Duration::from_secs(60));
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].trim(), "schemaflow demo");
    quiet_success(&out, "demo | head -2");
}

#[test]
fn demo_count_zero_finishes() {
    let (read, out) = head(demo(&["--count", "0"]), usize::MAX, Duration::from_secs(90));
    quiet_success(&out, "demo --count 0");
    let text = read.concat();
    for expected in [
        "produced 0 Avro events",
        "a v1 consumer read the v2 record",
        "3 poison records went to user-events.dlq",
        "events        0 Avro + 0 Protobuf produced and consumed",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_and_listing_commands_end_quietly_when_stdout_closes() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-head");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&broker().bootstrap), cached).unwrap();
    // 300 records of 1 KiB: more than a pipe buffers (64 KiB), so a consumer whose reader
    // went away still has records to write, and so learns of it.
    let mut pending = Vec::new();
    for i in 0..300 {
        let a = Address {
            street: format!("{i} {}", "x".repeat(1024)),
            city: "c".into(),
            country_code: "US".into(),
        };
        pending.push(
            producer
                .enqueue(Record::to(&topic).value(&a))
                .await
                .unwrap(),
        );
    }
    for p in pending {
        p.await.unwrap();
    }
    let group = rand_topic("g-head");
    let subject = format!("{topic}-value");
    let cases: Vec<(Vec<&str>, usize)> = vec![
        (vec!["consume", "--topic", &topic, "--from-beginning"], 1),
        (
            vec![
                "consume",
                "--topic",
                &topic,
                "--from-beginning",
                "--group",
                &group,
            ],
            3,
        ),
        (vec!["schemas", "list"], 0),
        (vec!["topics", "list"], 0),
        (vec!["schemas", "versions", "--subject", &subject], 0),
    ];
    for (args, lines) in cases {
        let what = format!("{args:?} | head -{lines}");
        let (u, a) = (
            url.clone(),
            args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let (read, out) = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            head(command(&u, &a), lines, Duration::from_secs(60))
        })
        .await
        .unwrap();
        assert_eq!(read.len(), lines, "{what}");
        quiet_success(&out, &what);
    }
    // The group member committed what it wrote before the pipe broke, not past it: the next
    // member of the group resumes in the middle, not at the end nor at the start.
    let rest = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--idle-timeout",
            "8",
        ],
        None,
    )
    .await);
    let left = rest.lines().count();
    assert!(left > 0 && left <= 300 - 3, "{left} records left");
    reg.stop().await.unwrap();
}
