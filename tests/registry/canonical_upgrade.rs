//! Issue 28: Avro text is now stored in Confluent's canonical string, but `_schemas` topics
//! written before hold schemas as they were registered (pretty, keys in any order). Such a
//! history — written here as Confluent's record format by a plain producer — must read back
//! unchanged, under the same ids, and registering the same schema again (as written then, or
//! in its canonical string) must find it, not make a new version or id.

use crate::common;
use crate::http::Http;

use std::sync::Arc;
use std::time::Duration;

use common::broker::{broker, rand_topic};
use rdkafka::config::ClientConfig as KafkaConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};
use serde_json::json;

/// An Avro schema as an earlier schemaflow stored it: as registered, pretty, keys not in
/// Avro's order, an attribute-free primitive spelled as an object.
const AS_REGISTERED: &str = "{\n  \"fields\": [{\"type\": {\"type\": \"string\"}, \"name\": \"id\"}],\n  \"name\": \"Legacy\",\n  \"type\": \"record\"\n}";
/// Its canonical string (Avro Java's `Schema.toString()`).
const CANONICAL: &str =
    r#"{"type":"record","name":"Legacy","fields":[{"name":"id","type":"string"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_stored_as_registered_reads_back_the_same_and_keeps_its_ids() {
    let topic = rand_topic("canonical-upgrade");
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        KafkaConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .create()
            .expect("admin");
    let created =
        admin
            .create_topics(
                &[rdkafka::admin::NewTopic::new(
                    &topic,
                    1,
                    rdkafka::admin::TopicReplication::Fixed(1),
                )
                .set("cleanup.policy", "compact")],
                &rdkafka::admin::AdminOptions::new(),
            )
            .await
            .expect("create topic");
    for r in created {
        r.expect("topic created");
    }
    let producer: FutureProducer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    let value = json!({"subject": "legacy-value", "version": 1, "id": 7, "schema": AS_REGISTERED, "deleted": false})
        .to_string();
    producer
        .send(
            FutureRecord::to(&topic)
                .partition(0)
                .key(r#"{"keytype":"SCHEMA","subject":"legacy-value","version":1,"magic":1}"#)
                .payload(&value),
            Duration::from_secs(10),
        )
        .await
        .expect("written");

    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .kafka_store(
                KafkaStoreConfig::new(broker().bootstrap.clone())
                    .topic(&topic)
                    .timeout(Duration::from_secs(20)),
            ),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("the registry starts on the old topic");
    let h = Http::new(server.url());

    // Read back byte for byte, as stored.
    for path in [
        "/schemas/ids/7/schema",
        "/subjects/legacy-value/versions/1/schema",
    ] {
        let (status, text) = h.get_text(path).await;
        assert_eq!((status, text.as_str()), (200, AS_REGISTERED), "{path}");
    }
    let (status, body) = h.get("/schemas/ids/7").await;
    assert_eq!((status, &body["schema"]), (200, &json!(AS_REGISTERED)));

    // The same schema again, as written then or canonical, here or under another subject:
    // the same id, no new version.
    for (subject, text) in [
        ("legacy-value", AS_REGISTERED),
        ("legacy-value", CANONICAL),
        ("legacy-other", AS_REGISTERED),
    ] {
        let (status, body) = h
            .post(
                &format!("/subjects/{subject}/versions"),
                json!({ "schema": text }),
            )
            .await;
        assert_eq!((status, &body["id"]), (200, &json!(7)), "{subject}: {body}");
    }
    let (status, body) = h
        .post("/subjects/legacy-value", json!({ "schema": CANONICAL }))
        .await;
    assert_eq!(
        (status, &body["id"], &body["version"]),
        (200, &json!(7), &json!(1)),
        "{body}"
    );
    let (status, body) = h.get("/subjects/legacy-value/versions").await;
    assert_eq!((status, body), (200, json!([1])));
    // A new schema gets a new id, above the ones in the history.
    let (status, body) = h
        .post(
            "/subjects/legacy-new/versions",
            json!({"schema": r#"{"type":"record","name":"Fresh","fields":[]}"#}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_u64().is_some_and(|id| id > 7), "{body}");
    server.stop().await.expect("stops");
}
