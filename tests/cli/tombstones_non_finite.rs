//! `consume | produce` round-trips what JSON numbers and plain values cannot say, against a real
//! broker and the embedded registry: non-finite doubles and floats (consume prints `"NaN"`,
//! `"Infinity"`, `"-Infinity"`; produce reads those and `"INF"`/`"-INF"`) in Avro and Protobuf,
//! and tombstones (produce reads `null` as a record without a value, with `--key`, or keyed by
//! the line with `--metadata`), keys kept through `consume --metadata | produce --metadata`;
//! and union branches a plain value cannot tell apart (consume prints them wrapped,
//! `{"double": "NaN"}`, so the copy has the same bytes).
use crate::common;

use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{json_lines, ok, run, stderr};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use serde_json::{json, Value};

const AVRO: &str = r#"{"type": "record", "name": "Reading", "namespace": "t", "fields": [
  {"name": "id", "type": "string"},
  {"name": "d", "type": "double"},
  {"name": "f", "type": "float"},
  {"name": "o", "type": ["null", "double"]}
]}"#;

const PROTO: &str = r#"syntax = "proto3";
package t;
message Reading { string id = 1; double d = 2; float f = 3; }
"#;

/// `consume --metadata` of every record of `topic` (one partition), without the fields that
/// differ between two topics holding the same records.
async fn records(url: &str, topic: &str, n: usize) -> Vec<Value> {
    let out = run(
        url,
        &[
            "consume",
            "--topic",
            topic,
            "--from-beginning",
            "--metadata",
            "--max-messages",
            &n.to_string(),
            "--idle-timeout",
            "10",
        ],
        None,
    )
    .await;
    json_lines(&ok(&out))
        .into_iter()
        .map(|l| json!({"key": l["key"], "value": l["value"]}))
        .collect()
}

/// Whether each record of `topic` has a value, read with a plain Kafka consumer.
async fn has_value(topic: &str, n: usize) -> Vec<bool> {
    let c: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
            .await
            .expect("a record within 30 s")
            .unwrap();
        out.push(m.payload().is_some());
    }
    out
}

/// Write `records`' lines with `produce_args`, copy the topic with `consume --metadata |
/// produce --metadata`, and check both topics hold `expected`.
async fn round_trip(url: &str, name: &str, produce_args: &[&str], input: &str, expected: &[Value]) {
    let (topic, copy) = (rand_topic(name), rand_topic(&format!("{name}-copy")));
    create_topic(&broker().bootstrap, &topic, 1).await;
    create_topic(&broker().bootstrap, &copy, 1).await;
    let mut args = vec!["produce", "--topic", &topic];
    args.extend(produce_args);
    ok(&run(url, &args, Some(input)).await);
    let got = records(url, &topic, expected.len()).await;
    assert_eq!(got, expected);

    let printed = ok(&run(
        url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--metadata",
            "--max-messages",
            &expected.len().to_string(),
        ],
        None,
    )
    .await);
    let subject = format!("{topic}-value");
    ok(&run(
        url,
        &[
            "produce",
            "--topic",
            &copy,
            "--subject",
            &subject,
            "--metadata",
        ],
        Some(&printed),
    )
    .await);
    assert_eq!(records(url, &copy, expected.len()).await, expected);
    let tombstones: Vec<bool> = expected.iter().map(|e| !e["value"].is_null()).collect();
    assert_eq!(has_value(&copy, expected.len()).await, tombstones);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_non_finite_numbers_and_tombstones_round_trip() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("reading.avsc");
    std::fs::write(&schema, AVRO).unwrap();
    let schema = schema.to_str().unwrap().to_string();
    let input = [
        json!({"id": "a", "d": "NaN", "f": "INF", "o": "-INF"}),
        json!({"id": "b", "d": "-Infinity", "f": "NaN", "o": "Infinity"}),
        json!({"id": "c", "d": 1.5, "f": 0.5, "o": null}),
        Value::Null,
    ];
    let text: String = input.iter().map(|v| format!("{v}\n")).collect();
    let expected = vec![
        json!({"key": "k", "value": {"id": "a", "d": "NaN", "f": "Infinity", "o": "-Infinity"}}),
        json!({"key": "k", "value": {"id": "b", "d": "-Infinity", "f": "NaN", "o": "Infinity"}}),
        json!({"key": "k", "value": {"id": "c", "d": 1.5, "f": 0.5, "o": null}}),
        json!({"key": "k", "value": null}),
    ];
    round_trip(
        &url,
        "cli-nan-avro",
        &["--schema-file", &schema, "--key", "k"],
        &text,
        &expected,
    )
    .await;

    // A tombstone needs a key: without one, and with a --key-field it cannot come from, the
    // line is refused with its number.
    let topic = rand_topic("cli-tomb");
    create_topic(&broker().bootstrap, &topic, 1).await;
    for extra in [&[][..], &["--key-field", "id"][..]] {
        let mut args = vec!["produce", "--topic", &topic, "--schema-file", &schema];
        args.extend(extra);
        let out = run(&url, &args, Some("null\n")).await;
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(
            stderr(&out).contains("line 1:") && stderr(&out).contains("tombstone"),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_non_finite_numbers_and_keyed_tombstones_round_trip() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("reading.proto");
    std::fs::write(&schema, PROTO).unwrap();
    let schema = schema.to_str().unwrap().to_string();
    // Keys from the value, and --metadata lines: a tombstone keyed by its line.
    let text = [
        json!({"key": null, "value": {"id": "a", "d": "NaN", "f": "-INF"}}),
        json!({"key": null, "value": {"id": "b", "d": "INF", "f": 2.5}}),
        json!({"key": "a", "value": null}),
    ]
    .iter()
    .map(|v| format!("{v}\n"))
    .collect::<String>();
    let expected = vec![
        json!({"key": "a", "value": {"id": "a", "d": "NaN", "f": "-Infinity"}}),
        json!({"key": "b", "value": {"id": "b", "d": "Infinity", "f": 2.5}}),
        json!({"key": "a", "value": null}),
    ];
    round_trip(
        &url,
        "cli-nan-proto",
        &["--schema-file", &schema, "--metadata", "--key-field", "id"],
        &text,
        &expected,
    )
    .await;
    reg.stop().await.unwrap();
}

/// Every record value of `topic` (one partition), read with a plain Kafka consumer.
async fn payloads(topic: &str, n: usize) -> Vec<Vec<u8>> {
    let c: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
            .await
            .expect("a record within 30 s")
            .unwrap();
        out.push(m.payload().unwrap_or_default().to_vec());
    }
    out
}

/// Unions whose branches the plain JSON value cannot tell apart: `consume` prints the branch
/// where the plain value would read back as another one, so `consume | produce` writes the
/// same bytes (a NaN double stays a double, not the string "NaN" Python would then read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_union_branches_survive_consume_produce() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("note.avsc");
    std::fs::write(
        &schema,
        r#"{"type": "record", "name": "Note", "namespace": "t", "fields": [
          {"name": "note", "type": ["null", "string", "double"]},
          {"name": "n", "type": ["null", "int", "long"]},
          {"name": "c", "type": ["string", {"type": "enum", "name": "Color", "symbols": ["RED"]}]},
          {"name": "m", "type": [{"type": "record", "name": "P", "fields": [{"name": "a", "type": "string"}]},
                                 {"type": "map", "values": "string"}]}
        ]}"#,
    )
    .unwrap();
    let schema = schema.to_str().unwrap().to_string();
    let (topic, copy) = (rand_topic("cli-union"), rand_topic("cli-union-copy"));
    create_topic(&broker().bootstrap, &topic, 1).await;
    create_topic(&broker().bootstrap, &copy, 1).await;
    // Written in Avro's JSON encoding: every branch explicit.
    let input = [
        json!({"note": {"double": "NaN"}, "n": {"long": 5}, "c": {"t.Color": "RED"}, "m": {"map": {"a": "x"}}}),
        json!({"note": {"string": "NaN"}, "n": {"int": 5}, "c": {"string": "RED"}, "m": {"t.P": {"a": "x"}}}),
        json!({"note": {"double": "Infinity"}, "n": {"long": 5_000_000_000i64}, "c": {"string": "x"}, "m": {"map": {}}}),
    ];
    let text: String = input.iter().map(|v| format!("{v}\n")).collect();
    ok(&run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-file",
            &schema,
            "--json",
            "avro",
        ],
        Some(&text),
    )
    .await);
    let printed = ok(&run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "3",
            "--idle-timeout",
            "10",
        ],
        None,
    )
    .await);
    assert_eq!(
        json_lines(&printed),
        [
            json!({"note": {"double": "NaN"}, "n": {"long": 5}, "c": {"t.Color": "RED"}, "m": {"map": {"a": "x"}}}),
            json!({"note": "NaN", "n": 5, "c": "RED", "m": {"a": "x"}}),
            json!({"note": {"double": "Infinity"}, "n": 5_000_000_000i64, "c": "x", "m": {}}),
        ]
    );
    let subject = format!("{topic}-value");
    ok(&run(
        &url,
        &["produce", "--topic", &copy, "--subject", &subject],
        Some(&printed),
    )
    .await);
    assert_eq!(payloads(&copy, 3).await, payloads(&topic, 3).await);
    reg.stop().await.unwrap();
}
