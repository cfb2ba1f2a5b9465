//! A Kafka cluster that does not answer is one clear line and exit 3 within seconds, for
//! every command that talks to it — not librdkafka's silent five-minute message timeout — and
//! nothing is registered or half-sent before the cluster has answered.
use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SCHEMA: &str = r#"{"type":"record","name":"Tick","namespace":"unreachable.test","fields":[{"name":"seq","type":"long"}]}"#;

/// A loopback port nothing listens on.
fn dead_brokers() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("127.0.0.1:{port}")
}

fn run(registry: &str, args: &[&str], stdin: &str) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(args)
        .args(["--brokers", &dead_brokers(), "--registry", registry])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed())
}

fn assert_one_clear_line(out: &Output, command: &str) {
    assert_eq!(out.status.code(), Some(3), "{command}: exit 3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{command}: one line: {stderr}");
    assert!(
        lines[0].starts_with(&format!("schemaflow {command}: "))
            && lines[0].contains("did not answer")
            && lines[0].contains("--brokers"),
        "{command}: says what failed and what to do: {stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kafka_command_fails_fast_and_clearly_when_the_cluster_does_not_answer() {
    let (registry, client) = common::services::registry().await;
    let url = registry.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("tick.avsc");
    std::fs::write(&schema, SCHEMA).unwrap();
    let schema = schema.to_str().unwrap().to_string();

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "produce",
            vec![
                "produce",
                "--topic",
                "t",
                "--schema-type",
                "avro",
                "--schema-file",
                &schema,
            ],
        ),
        (
            "consume",
            vec!["consume", "--topic", "t", "--from-beginning"],
        ),
        ("consume", vec!["consume", "--topic", "t", "--group", "g"]),
        ("dlq", vec!["dlq", "inspect", "--topic", "t.dlq"]),
        ("dlq", vec!["dlq", "replay", "--topic", "t.dlq"]),
        ("topics", vec!["topics", "list"]),
    ];
    // All at once: each only waits on the network.
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(command, args)| {
            let (url, args) = (
                url.clone(),
                args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            );
            (
                command,
                tokio::task::spawn_blocking(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    run(&url, &args, "{\"seq\": 1}\n")
                }),
            )
        })
        .collect();
    for (command, run) in runs {
        let (out, took) = run.await.unwrap();
        // Bounded, not timed: the metadata request waits 10 s; a hang would be minutes.
        assert!(took < Duration::from_secs(60), "{command} took {took:?}");
        if command == "topics" {
            assert_eq!(out.status.code(), Some(3));
            continue;
        }
        assert_one_clear_line(&out, command);
    }
    // produce checked the cluster before registering anything.
    assert!(client.client().subjects(true).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn producing_to_a_missing_topic_says_so_before_registering_anything() {
    let (registry, client) = common::services::registry().await;
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("tick.avsc");
    std::fs::write(&schema, SCHEMA).unwrap();
    let topic = common::broker::rand_topic("t-missing");
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["produce", "--topic", &topic, "--schema-file"])
        .arg(&schema)
        .args(["--brokers", &common::broker::broker().bootstrap])
        .args(["--registry", registry.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"seq\": 1}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("topic {topic} not found"))
            && stderr.contains("schemaflow topics create"),
        "{stderr}"
    );
    assert!(client.client().subjects(true).await.unwrap().is_empty());
}
