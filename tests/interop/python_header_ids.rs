//! Schema ids in headers, both ways with Confluent's pinned Python client (confluent-kafka
//! 2.16): `TypedProducer` with `SchemaIdPlacement::HeaderGuid` writes Confluent 8's form
//! (`__value_schema_id` = magic 1 + GUID, no payload prefix), Confluent's `AvroDeserializer`
//! reads it, and so does `TypedConsumer`. (The other way — Python's header serializer read by
//! `schemaflow consume` — is in tests/cli/registry_outage.rs.)
use crate::common;

use common::python::python;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, SchemaIdPlacement, TypedProducer};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn header_guid_ids_written_by_us_are_read_by_confluent_python_and_by_us() {
    let (server, registry) = common::services::registry().await;
    let topic = rand_topic("t-header-out");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let config =
        ProducerConfig::new(&broker().bootstrap).schema_id_placement(SchemaIdPlacement::HeaderGuid);
    let producer = TypedProducer::new(config, registry.clone()).unwrap();
    let sent: Vec<UserEvent> = (0..5)
        .map(|i| UserEvent {
            user_id: format!("user-{i}"),
            ..common::avro_full()
        })
        .collect();
    for e in &sent {
        producer
            .send(Record::to(&topic).value(e).header("trace", b"t-1"))
            .await
            .unwrap();
    }

    // On the wire: the GUID header, and a payload without the 5-byte prefix.
    let raw: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    raw.subscribe(&[&topic]).unwrap();
    let first = loop {
        if let Some(m) = raw.poll(std::time::Duration::from_secs(10)) {
            break m.unwrap().detach();
        }
    };
    let headers = first.headers().unwrap();
    let id_header = headers
        .iter()
        .find(|h| h.key == "__value_schema_id")
        .and_then(|h| h.value)
        .unwrap();
    assert_eq!(id_header.len(), 17);
    assert_eq!(id_header[0], 1);
    assert!(headers.iter().any(|h| h.key == "trace"));
    let mut expected = Vec::new();
    schemaflow::codec::avro::AvroCodec::<UserEvent>::new()
        .unwrap()
        .encode(schemaflow::wire::SchemaId(1), &sent[0], &mut expected)
        .unwrap();
    assert_eq!(first.payload().unwrap(), &expected[5..]);

    // Confluent's Python deserializer reads them.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/header_id_consumer.py"
    );
    let out = Command::new(python())
        .args([script, &broker().bootstrap, server.url(), &topic, "5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(read.len(), 5);
    for (r, e) in read.iter().zip(&sent) {
        assert_eq!(r["user_id"], e.user_id.as_str());
        assert_eq!(r["amount"], "12.34");
        assert_eq!(r["event_id"], e.event_id.to_string().as_str());
        assert_eq!(r["shipping_address"]["city"], "Springfield");
    }

    // And so does our consumer.
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[&topic]),
        registry,
    )
    .unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    consumer
        .run(
            {
                let (got, done) = (got.clone(), done.clone());
                move |m: Message<UserEvent>| {
                    let mut g = got.lock().unwrap();
                    g.push(m.value.unwrap());
                    if g.len() == 5 {
                        done.notify_one();
                    }
                    async { Ok::<(), HandlerError>(()) }
                }
            },
            done.notified(),
        )
        .await
        .unwrap();
    assert_eq!(*got.lock().unwrap(), sent);
}
