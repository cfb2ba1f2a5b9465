//! `dlq inspect` tells dead letters from ordinary records, against a real broker: a topic whose
//! records carry no `__connect.errors.*` headers is not a dead-letter topic (exit 1, one line
//! naming it, nothing printed as a dead letter); in a dead-letter topic a stray record without
//! them is printed marked `"not_a_dead_letter": true`.
use crate::common;

use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{json_lines, ok, run, stderr};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

async fn send(topic: &str, payload: &[u8], headers: Option<OwnedHeaders>) {
    let p: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .unwrap();
    let mut rec = FutureRecord::<(), [u8]>::to(topic).payload(payload);
    if let Some(h) = headers {
        rec = rec.headers(h);
    }
    p.send(rec, Duration::from_secs(30)).await.unwrap();
}

fn error_headers(original: &str) -> OwnedHeaders {
    OwnedHeaders::new()
        .insert(Header {
            key: "__connect.errors.topic",
            value: Some(original),
        })
        .insert(Header {
            key: "__connect.errors.exception.message",
            value: Some("bad magic byte"),
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_of_ordinary_records_is_not_a_dead_letter_topic() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-not-dlq");
    create_topic(&broker().bootstrap, &topic, 1).await;
    send(&topic, b"\x01one", None).await;
    send(&topic, b"\x01two", None).await;
    let out = run(
        &url,
        &["dlq", "inspect", "--topic", &topic, "--idle-timeout", "30"],
        None,
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{topic} is not a dead-letter topic")),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stray_record_in_a_dead_letter_topic_is_marked() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dlq = rand_topic("cli-dlq-mixed");
    create_topic(&broker().bootstrap, &dlq, 1).await;
    send(&dlq, b"\x01junk", Some(error_headers("orders"))).await;
    send(&dlq, b"\x01stray", None).await;
    let out = run(
        &url,
        &[
            "dlq",
            "inspect",
            "--topic",
            &dlq,
            "--max-messages",
            "2",
            "--idle-timeout",
            "30",
        ],
        None,
    )
    .await;
    let lines = json_lines(&ok(&out));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error"]["topic"], "orders");
    assert!(lines[0].get("not_a_dead_letter").is_none(), "{}", lines[0]);
    assert_eq!(lines[1]["not_a_dead_letter"], true);
    assert_eq!(lines[1]["value_hex"], "017374726179");
    let err = stderr(&out);
    assert!(
        err.contains("1 dead letter(s)") && err.contains("1 record(s) without"),
        "{err}"
    );
    reg.stop().await.unwrap();
}
