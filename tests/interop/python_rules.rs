//! Data-contract rules across languages, against the embedded registry and the test broker:
//! Confluent's Python client registers a schema with a CEL WRITE condition and our producer
//! enforces it; our `schemaflow register --rule-set` registers one and Confluent's Python
//! `AvroSerializer` (with its CEL executor) enforces it; a `CEL_FIELD` transform masking the
//! fields tagged `PII` gives byte-identical frames from Python's serializer and our producer,
//! and each side reads the other's — for Avro and for JSON Schema (tags by the `confluent:tags`
//! keyword, Confluent's `JSONSerializer`); a breaking change made safe with Confluent's JSONata
//! migration rules (registered by Python): Python writes v1 and our consumer on v2 reads it
//! upgraded, we write v2 and Python's deserializer on v1 reads it downgraded.
//!
//! Needs Python 3 and PyPI on first run: the venv is made (then reused) by scripts/python-env.
use crate::common;

use common::broker::{broker, create_topic, rand_topic};
use common::python::python;
use common::samples::avro::address::Address;
use common::services::registry;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cel_field_mask_gives_python_and_us_the_same_bytes() {
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("py-field");
    let bootstrap = &broker().bootstrap;
    create_topic(bootstrap, &topic, 1).await;
    // Python registers: `street` and `city` tagged PII in the schema, and the CEL_FIELD
    // transform (rules_peer.py's MASK) on PII strings longer than four characters.
    let id: u32 = peer(&[
        "field-register",
        &url,
        &format!("{topic}-value"),
        SCHEMA_FILE,
    ])
    .await
    .trim()
    .parse()
    .unwrap();
    let python_frame = hex::decode(
        peer(&["field-serialize", &url, &topic, SCHEMA_FILE])
            .await
            .trim(),
    )
    .unwrap();

    // Ours: the same record through our producer, then Python's frame as it is.
    let producer = TypedProducer::new(
        ProducerConfig::new(bootstrap).schema_ids(SchemaIdSource::UseLatest),
        reg.clone(),
    )
    .unwrap();
    producer
        .send(Record::to(&topic).value(&address("US")))
        .await
        .unwrap();
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    raw.send(
        FutureRecord::<(), _>::to(&topic).payload(&python_frame),
        std::time::Duration::from_secs(30),
    )
    .await
    .unwrap();

    let reader: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader.subscribe(&[&topic]).unwrap();
    let ours = tokio::time::timeout(std::time::Duration::from_secs(60), reader.recv())
        .await
        .unwrap()
        .unwrap()
        .payload()
        .unwrap()
        .to_vec();
    let (frame_id, _) = schemaflow::wire::read_header(&ours).unwrap();
    assert_eq!(frame_id.0, id, "we wrote with Python's version");
    assert_eq!(
        hex::encode(&ours),
        hex::encode(&python_frame),
        "our frame and Python's differ"
    );

    let masked = Address {
        street: "XXXX-street".into(),
        city: "XXXX-city".into(),
        // Not tagged, and too short for the mask anyway: as sent.
        country_code: "US".into(),
    };
    // Python's deserializer reads ours.
    let read = peer(&[
        "field-deserialize",
        &url,
        &topic,
        SCHEMA_FILE,
        &hex::encode(&ours),
    ])
    .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(read.trim()).unwrap(),
        serde_json::json!({"street": "XXXX-street", "city": "XXXX-city", "country_code": "US"})
    );
    // Our consumer reads both: ours and Python's.
    let consumer = TypedConsumer::<Address>::new(
        ConsumerConfig::new(bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = std::sync::Arc::new(tokio::sync::Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    consumer
        .run(
            move |m: Message<Address>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    let mut v = s.lock().unwrap();
                    v.extend(m.value);
                    if v.len() >= 2 {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![masked.clone(), masked]);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cel_field_mask_on_json_schema_gives_python_and_us_the_same_bytes() {
    use common::samples::json::address::Address as JsonAddress;
    const JSON_FILE: &str = "schemas/json/address.json";
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("py-json-field");
    let bootstrap = &broker().bootstrap;
    create_topic(bootstrap, &topic, 1).await;
    // Python registers: `street` and `city` tagged PII in the schema, and the same mask.
    let id: u32 = peer(&[
        "json-field-register",
        &url,
        &format!("{topic}-value"),
        JSON_FILE,
    ])
    .await
    .trim()
    .parse()
    .unwrap();
    let python_frame = hex::decode(
        peer(&["json-field-serialize", &url, &topic, JSON_FILE])
            .await
            .trim(),
    )
    .unwrap();
    let producer = TypedProducer::new(
        ProducerConfig::new(bootstrap).schema_ids(SchemaIdSource::UseLatest),
        reg.clone(),
    )
    .unwrap();
    let sent = JsonAddress {
        street: "1 Main St".into(),
        city: "Springfield".into(),
        country_code: "US".into(),
    };
    producer
        .send(Record::to(&topic).value(&sent))
        .await
        .unwrap();
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    raw.send(
        FutureRecord::<(), _>::to(&topic).payload(&python_frame),
        std::time::Duration::from_secs(30),
    )
    .await
    .unwrap();
    let reader: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader.subscribe(&[&topic]).unwrap();
    let ours = tokio::time::timeout(std::time::Duration::from_secs(60), reader.recv())
        .await
        .unwrap()
        .unwrap()
        .payload()
        .unwrap()
        .to_vec();
    let (frame_id, _) = schemaflow::wire::read_header(&ours).unwrap();
    assert_eq!(frame_id.0, id, "we wrote with Python's version");
    assert_eq!(
        String::from_utf8_lossy(&ours[5..]),
        String::from_utf8_lossy(&python_frame[5..]),
        "our payload and Python's differ"
    );
    assert_eq!(hex::encode(&ours), hex::encode(&python_frame));

    // Python's deserializer reads ours; our consumer reads both.
    let read = peer(&[
        "json-field-deserialize",
        &url,
        &topic,
        JSON_FILE,
        &hex::encode(&ours),
    ])
    .await;
    let masked =
        serde_json::json!({"street": "XXXX-street", "city": "XXXX-city", "country_code": "US"});
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(read.trim()).unwrap(),
        masked
    );
    let consumer = TypedConsumer::<JsonAddress>::new(
        ConsumerConfig::new(bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = std::sync::Arc::new(tokio::sync::Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    consumer
        .run(
            move |m: Message<JsonAddress>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    let mut v = s.lock().unwrap();
                    v.extend(m.value);
                    if v.len() >= 2 {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    let expected = JsonAddress {
        street: "XXXX-street".into(),
        city: "XXXX-city".into(),
        country_code: "US".into(),
    };
    assert_eq!(*seen.lock().unwrap(), vec![expected.clone(), expected]);
    server.stop().await.unwrap();
}

const CUSTOMER_V1: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"}, {"name": "ssn", "type": "string"}]}"#;
const CUSTOMER_V2: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"},
             {"name": "socialSecurityNumber", "type": "string"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonata_migrations_registered_by_python_work_both_ways() {
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("py-migrate");
    let subject = format!("{topic}-value");
    let bootstrap = &broker().bootstrap;
    create_topic(bootstrap, &topic, 1).await;
    let config = reqwest::Client::new()
        .put(format!("{url}/config/{subject}"))
        .json(&serde_json::json!({"compatibilityGroup": "major_version"}))
        .send()
        .await
        .unwrap();
    assert!(config.status().is_success(), "{config:?}");
    let dir = tempfile::tempdir().unwrap();
    let (v1_file, v2_file) = (dir.path().join("v1.avsc"), dir.path().join("v2.avsc"));
    std::fs::write(&v1_file, CUSTOMER_V1).unwrap();
    std::fs::write(&v2_file, CUSTOMER_V2).unwrap();
    let (v1_file, v2_file) = (v1_file.to_str().unwrap(), v2_file.to_str().unwrap());
    let ids = peer(&["migrate-register", &url, &subject, v1_file, v2_file]).await;
    let ids: Vec<u32> = ids.split_whitespace().map(|i| i.parse().unwrap()).collect();
    let [_, v2] = ids[..] else {
        panic!("not two ids: {ids:?}")
    };

    // Python writes v1; we write v2.
    let python_v1 = hex::decode(
        peer(&["migrate-serialize", &url, &topic, v1_file])
            .await
            .trim(),
    )
    .unwrap();
    let mut ours_v2 = Vec::new();
    schemaflow::codec::json::json_to_avro_frame(
        &serde_json::json!({"name": "Bob", "socialSecurityNumber": "222"}),
        &schemaflow::codec::avro::AvroSchema::parse(CUSTOMER_V2, &[]).unwrap(),
        schemaflow::wire::SchemaId(v2),
        schemaflow::codec::json::AvroJsonForm::Natural,
        &mut ours_v2,
    )
    .unwrap();
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for payload in [&python_v1, &ours_v2] {
        raw.send(
            FutureRecord::<(), _>::to(&topic).payload(payload),
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    }

    // Python's deserializer on v1 reads our v2 record downgraded.
    let read = peer(&[
        "migrate-deserialize",
        &url,
        &topic,
        v1_file,
        &hex::encode(&ours_v2),
    ])
    .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(read.trim()).unwrap(),
        serde_json::json!({"name": "Bob", "ssn": "222"})
    );
    // Our consumer on v2 (the latest) reads Python's v1 record upgraded.
    let mut cfg = ConsumerConfig::new(bootstrap, rand_topic("g"), &[&topic]);
    cfg.reader_version = schemaflow::registry::ReaderVersion::Latest;
    let consumer = TypedConsumer::<serde_json::Value>::new(cfg, reg.clone()).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = std::sync::Arc::new(tokio::sync::Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    consumer
        .run(
            move |m: Message<serde_json::Value>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    let mut v = s.lock().unwrap();
                    v.extend(m.value);
                    if v.len() >= 2 {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            serde_json::json!({"name": "Ann", "socialSecurityNumber": "111"}),
            serde_json::json!({"name": "Bob", "socialSecurityNumber": "222"}),
        ]
    );
    server.stop().await.unwrap();
}
