//! Data-contract rules across languages, against the embedded registry and the test broker:
//! Confluent's Python client registers a schema with a CEL WRITE condition and our producer
//! enforces it; our `schemaflow register --rule-set` registers one and Confluent's Python
//! `AvroSerializer` (with its CEL executor) enforces it.
//!
//! Needs Python 3 and PyPI on first run: the venv is made (then reused) by scripts/python-env.
use crate::common;

use common::broker::{broker, create_topic, rand_topic};
use common::python::python;
use common::samples::avro::address::Address;
use common::services::registry;
use schemaflow::producer::{ProducerConfig, Record, SchemaIdSource, TypedProducer};
use schemaflow::rules::RuleError;

const SCHEMA_FILE: &str = "schemas/address.avsc";

fn address(country: &str) -> Address {
    Address {
        street: "1 Main St".into(),
        city: "Springfield".into(),
        country_code: country.into(),
    }
}

/// Run tests/python/rules_peer.py with `args`; its stdout (a failure shows both streams).
async fn peer(args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(python());
    cmd.arg("tests/python/rules_peer.py").args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "rules_peer.py {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cel_rule_registered_by_python_is_enforced_by_our_producer() {
    let (server, reg) = registry().await;
    let topic = rand_topic("py-rule");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let id: u32 = peer(&[
        "register",
        server.url(),
        &format!("{topic}-value"),
        SCHEMA_FILE,
    ])
    .await
    .trim()
    .parse()
    .unwrap();
    let producer = TypedProducer::new(
        ProducerConfig::new(&broker().bootstrap).schema_ids(SchemaIdSource::UseLatest),
        reg.clone(),
    )
    .unwrap();
    assert_eq!(
        producer.preload::<Address>(&topic).await.unwrap().0,
        id,
        "our producer writes with Python's version"
    );
    producer
        .send(Record::to(&topic).value(&address("US")))
        .await
        .unwrap();
    match producer
        .send(Record::to(&topic).value(&address("FR")))
        .await
    {
        Err(schemaflow::Error::Rule(RuleError::Failed(f))) => {
            assert_eq!(f.rule, "us_only");
            assert_eq!(
                f.exception,
                "Rule expr failed: message.country_code == 'US'"
            );
        }
        other => panic!("a FR address was not refused by the rule: {other:?}"),
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_register_rule_set_is_enforced_by_pythons_serializer() {
    let (server, _) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("our-rule");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        serde_json::json!({"domainRules": [{
            "name": "us_only", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.country_code == 'US'"
        }]})
        .to_string(),
    )
    .unwrap();
    common::cli::ok(
        &common::cli::run(
            &url,
            &[
                "register",
                "--subject",
                &format!("{topic}-value"),
                "--schema-file",
                SCHEMA_FILE,
                "--rule-set",
                rules.to_str().unwrap(),
            ],
            None,
        )
        .await,
    );
    let out = peer(&["serialize", &url, &topic, SCHEMA_FILE]).await;
    assert!(out.contains("2 passed, 0 failed"), "{out}");
    server.stop().await.unwrap();
}
