//! `schemaflow produce/consume --schema-type json`: a value that breaks its schema is the
//! record's fault (dead-lettered with the JSON pointer in its error header, or a bad input
//! line with its number), `--no-validate` lets it through, and an unreachable registry is the
//! environment's fault (exit 3, nothing dead-lettered).
use crate::common;

use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Reading","type":"object","properties":{"sensor":{"type":"string"},"celsius":{"type":"number","minimum":-273.15}},"required":["sensor","celsius"],"additionalProperties":false}"#;

fn raw_send(topic: &str, payload: &[u8]) {
    let p: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .expect("producer");
    p.send(BaseRecord::<(), [u8]>::to(topic).payload(payload))
        .expect("send");
    p.flush(Duration::from_secs(10)).expect("flush");
}

/// A record read raw: its payload and headers (as text).
type RawRecord = (Vec<u8>, Vec<(String, String)>);

/// The records of partition 0 of `topic`: payload and headers.
fn read_all(topic: &str, n: usize) -> Vec<RawRecord> {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while out.len() < n && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_secs(1)) {
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            (
                                h.key.to_string(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((m.payload().unwrap_or_default().to_vec(), headers));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_values_are_the_records_fault_and_a_dead_registry_the_environments() {
    let (server, _) = common::services::registry().await;
    let url = server.url().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("reading.json");
    std::fs::write(&schema, SCHEMA).expect("schema file");
    let schema = schema.to_string_lossy().into_owned();
    let (topic, dlq) = (rand_topic("t-json-cli"), rand_topic("t-json-cli-dlq"));
    create_topic(&broker().bootstrap, &topic, 1).await;
    create_topic(&broker().bootstrap, &dlq, 1).await;

    // produce: a line below absolute zero is refused with its number and pointer; with
    // --skip-invalid the others go through.
    let lines = "{\"sensor\":\"a\",\"celsius\":21.5}\n{\"sensor\":\"b\",\"celsius\":-300}\n{\"celsius\":1e-7,\"sensor\":\"c\"}\n";
    let args = [
        "produce",
        "--topic",
        &topic,
        "--schema-type",
        "json",
        "--schema-file",
        &schema,
    ];
    let out = common::cli::run(&url, &args, Some(lines)).await;
    assert_eq!(out.status.code(), Some(1), "{}", common::cli::stderr(&out));
    let err = common::cli::stderr(&out);
    assert!(
        err.contains("line 2") && err.contains("at /celsius: keyword minimum"),
        "{err}"
    );
    let mut skipping = args.to_vec();
    skipping.push("--skip-invalid");
    let out = common::cli::run(
        &url,
        &skipping,
        Some(&lines[lines.find('\n').unwrap_or(0) + 1..]),
    )
    .await;
    common::cli::ok(&out);
    assert!(common::cli::stderr(&out).contains("1 invalid line(s) skipped"));
    // --no-validate writes it as it is.
    let mut unchecked = args.to_vec();
    unchecked.push("--no-validate");
    let out = common::cli::run(
        &url,
        &unchecked,
        Some("{\"sensor\":\"d\",\"celsius\":-999}\n"),
    )
    .await;
    common::cli::ok(&out);

    // Frames as Python writes them: keys in the line's order, Python's float form.
    let written = read_all(&topic, 3);
    let texts: Vec<String> = written
        .iter()
        .map(|(p, _)| String::from_utf8_lossy(&p[5..]).into_owned())
        .collect();
    assert_eq!(
        texts,
        [
            "{\"sensor\":\"a\",\"celsius\":21.5}",
            "{\"celsius\":1e-07,\"sensor\":\"c\"}",
            "{\"sensor\":\"d\",\"celsius\":-999}"
        ]
    );

    // consume: the invalid record is dead-lettered, with its pointer; the others print.
    let out = common::cli::run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &rand_topic("g"),
            "--from-beginning",
            "--dlq-topic",
            &dlq,
            "--idle-timeout",
            "5",
        ],
        None,
    )
    .await;
    let printed = common::cli::json_lines(&common::cli::ok(&out));
    assert_eq!(
        printed,
        [
            serde_json::json!({"sensor": "a", "celsius": 21.5}),
            serde_json::json!({"sensor": "c", "celsius": 1e-7})
        ]
    );
    let letters = read_all(&dlq, 1);
    assert_eq!(letters.len(), 1);
    assert_eq!(&letters[0].0[5..], b"{\"sensor\":\"d\",\"celsius\":-999}");
    let message = letters[0]
        .1
        .iter()
        .find(|(k, _)| k == "__connect.errors.exception.message")
        .map(|(_, v)| v.clone())
        .expect("error header");
    assert!(
        message.contains("at /celsius: keyword minimum"),
        "{message}"
    );
    // `dlq inspect` shows the value as it is, and why it was dead-lettered.
    let out = common::cli::run(
        &url,
        &["dlq", "inspect", "--topic", &dlq, "--max-messages", "1"],
        None,
    )
    .await;
    let inspected = common::cli::json_lines(&common::cli::ok(&out));
    assert_eq!(
        inspected[0]["value"],
        serde_json::json!({"sensor": "d", "celsius": -999})
    );
    assert!(inspected[0]["error"]["exception.message"]
        .as_str()
        .is_some_and(|m| m.contains("/celsius")));

    // consume --no-validate prints all three.
    let out = common::cli::run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "3",
            "--no-validate",
        ],
        None,
    )
    .await;
    assert_eq!(common::cli::json_lines(&common::cli::ok(&out)).len(), 3);

    // The registry gone: the environment's fault: retried, then exit 3, no dead letter.
    raw_send(&topic, &written[0].0);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let out = common::cli::run(
        &dead,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &rand_topic("g"),
            "--from-beginning",
            "--dlq-topic",
            &dlq,
            "--registry-retry-timeout",
            "2",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", common::cli::stderr(&out));
    assert_eq!(read_all(&dlq, 2).len(), 1, "nothing more dead-lettered");
}

/// `produce --schema-type json --schema-file` parses the schema (and compiles its validator)
/// before anything is registered or any line is read, as it does an Avro or Protobuf file: a
/// bad schema is a usage error at the user's file, naming the keyword and pointer at fault,
/// and the topic stays empty.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_schema_file_is_refused_before_anything_is_sent() {
    let (server, registry) = common::services::registry().await;
    let url = server.url().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.json");
    // `minimum` must be a number.
    std::fs::write(
        &file,
        r#"{"title":"Reading","type":"object","properties":{"celsius":{"type":"number","minimum":"cold"}}}"#,
    )
    .expect("schema file");
    let file = file.to_string_lossy().into_owned();
    let topic = rand_topic("t-json-bad-schema");
    create_topic(&broker().bootstrap, &topic, 1).await;

    let out = common::cli::run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-type",
            "json",
            "--schema-file",
            &file,
        ],
        Some("{\"celsius\":21.5}\n"),
    )
    .await;
    let err = common::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{file}: parsing JSON Schema bad.json"))
            && err.contains("keyword minimum at #/properties/celsius/minimum"),
        "{err}"
    );
    // Refused here, not by the registry: nothing was registered…
    let subjects = registry.client().subjects(false).await.expect("subjects");
    assert!(!subjects.iter().any(|s| s.contains(&topic)), "{subjects:?}");
    // …and nothing was written.
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .expect("consumer");
    let (_, high) = c
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!(high, 0);
}
