//! Keys land where Java's producer puts them. The expected partitions come from kafka-clients'
//! own `BuiltInPartitioner.partitionForKey` (run by the Java peer), not from a reimplementation:
//! `TypedProducer` and `schemaflow produce --key-field` must agree with it on a 3- and a
//! 7-partition topic.
use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use common::broker::{broker, create_topic, rand_topic};
use common::java::java;
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use serde_json::Value;

fn keys() -> Vec<String> {
    let mut k: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
    k.extend(
        [
            "user-42",
            "21",
            "foobar",
            "a-little-bit-long-string",
            "ünïcödé",
        ]
        .map(String::from),
    );
    k
}

/// key → partition, as Java's producer computes it for `partitions` partitions.
fn java_partitions(partitions: usize, keys: &[String]) -> BTreeMap<String, i32> {
    let mut args = vec!["partition".to_string(), partitions.to_string()];
    args.extend(keys.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    java(&args, "")
        .iter()
        .map(|l| {
            let (k, p) = l.rsplit_once('\t').unwrap();
            (k.to_string(), p.parse().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_producer_and_cli_put_keys_where_java_does() {
    let (server, registry) = common::services::registry().await;
    let keys = keys();
    for partitions in [3usize, 7] {
        let expected = java_partitions(partitions, &keys);
        assert_eq!(expected.len(), keys.len());
        // Not a constant: the keys spread over every partition.
        assert_eq!(
            expected
                .values()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            partitions
        );

        let topic = rand_topic("t-keys");
        create_topic(&broker().bootstrap, &topic, partitions as i32).await;
        let producer =
            TypedProducer::new(ProducerConfig::new(&broker().bootstrap), registry.clone()).unwrap();
        for k in &keys {
            let d = producer
                .send(
                    Record::to(&topic)
                        .key(k.as_bytes())
                        .value(&common::avro_full()),
                )
                .await
                .unwrap();
            assert_eq!(
                d.partition, expected[k],
                "TypedProducer, key {k:?}, {partitions} partitions"
            );
        }

        // The CLI: `--key-field user_id` takes the string's bytes as the key.
        let cli_topic = rand_topic("t-keys-cli");
        create_topic(&broker().bootstrap, &cli_topic, partitions as i32).await;
        let lines: String = keys
            .iter()
            .map(|k| format!("{}\n", serde_json::json!({ "user_id": k })))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let schema = dir.path().join("keyed.avsc");
        std::fs::write(
            &schema,
            r#"{"type":"record","name":"Keyed","fields":[{"name":"user_id","type":"string"}]}"#,
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(["produce", "--topic", &cli_topic, "--schema-file"])
            .arg(&schema)
            .args(["--key-field", "user_id"])
            .args(["--brokers", &broker().bootstrap, "--registry", server.url()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args([
                "consume",
                "--topic",
                &cli_topic,
                "--from-beginning",
                "--metadata",
            ])
            .args(["--max-messages", &keys.len().to_string()])
            .args(["--brokers", &broker().bootstrap, "--registry", server.url()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut seen = 0;
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            let k = v["key"].as_str().unwrap();
            assert_eq!(
                v["partition"].as_i64().unwrap(),
                i64::from(expected[k]),
                "CLI, key {k:?}, {partitions} partitions"
            );
            seen += 1;
        }
        assert_eq!(seen, keys.len());
    }
}
