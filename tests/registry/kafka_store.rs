//! The registry on Kafka (`_schemas` in Confluent's format) on the real broker, over real HTTP:
//! an instance's state comes from the topic alone (restart with no local state gives the same
//! subjects, versions, ids, guids, configs, modes and soft deletes), a second instance on the
//! same topic serves what the first wrote, and a topic that is not a registry log (several
//! partitions, no compaction) is refused at start-up with a clear error.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::broker::{broker, rand_topic};
use schemaflow::registry::{
    ClientConfig, CompatibilityLevel, Mode, RegistryClient, Schema, SchemaReference, Version,
};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"home","type":["null","Address"],"default":null}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"home","type":["null","Address"],"default":null},{"name":"email","type":["null","string"],"default":null}]}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nmessage Ping {\n  string id = 1;\n}\n";

async fn start(topic: &str) -> std::io::Result<EmbeddedRegistry> {
    let mut store = KafkaStoreConfig::new(broker().bootstrap.clone());
    store.topic = topic.to_string();
    store.timeout = Duration::from_secs(20);
    EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .kafka_store(store),
        Arc::new(CompatibilityEngine),
    )
    .await
}

fn client(server: &EmbeddedRegistry) -> RegistryClient {
    RegistryClient::new(ClientConfig::new(server.url())).expect("client")
}

/// Everything an instance serves, as one comparable value.
async fn snapshot(c: &RegistryClient) -> serde_json::Value {
    let http = reqwest::Client::new();
    let base = c.config().urls[0].clone();
    let get = |path: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.expect("GET");
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
            serde_json::json!({"status": status, "body": body})
        }
    };
    let subjects = get("/subjects?deleted=true".into()).await;
    let mut out = serde_json::json!({
        "subjects": subjects,
        "config": get("/config".into()).await,
        "mode": get("/mode".into()).await,
    });
    let names: Vec<String> = subjects["body"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for s in names {
        let versions = get(format!("/subjects/{s}/versions?deleted=true")).await;
        let mut vs = Vec::new();
        for v in versions["body"].as_array().cloned().unwrap_or_default() {
            vs.push(get(format!("/subjects/{s}/versions/{v}?deleted=true")).await);
        }
        out[format!("subject:{s}")] = serde_json::json!({
            "versions": versions,
            "each": vs,
            "config": get(format!("/config/{s}")).await,
            "mode": get(format!("/mode/{s}")).await,
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_comes_from_the_topic_alone() {
    let topic = rand_topic("schemas");
    let a = start(&topic).await.expect("first instance starts");
    let c = client(&a);
    let (address_id, _) = c
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("Address");
    let refs = vec![SchemaReference {
        name: "shop.Address".into(),
        subject: "shop.Address".into(),
        version: 1,
    }];
    let (u1, _) = c
        .register(
            "users-value",
            &Schema::avro(USER_V1).with_references(refs.clone()),
            false,
        )
        .await
        .expect("users v1");
    let (u2, _) = c
        .register(
            "users-value",
            &Schema::avro(USER_V2).with_references(refs.clone()),
            false,
        )
        .await
        .expect("users v2");
    assert!(address_id.0 < u1.0 && u1.0 < u2.0, "ids increase");
    // The same schema under another subject keeps its id.
    let (same, _) = c
        .register(
            "users-copy",
            &Schema::avro(USER_V1).with_references(refs),
            false,
        )
        .await
        .expect("copy");
    assert_eq!(same, u1);
    c.register("ping-value", &Schema::protobuf(PROTO), false)
        .await
        .expect("proto");
    c.set_compatibility(None, CompatibilityLevel::Full)
        .await
        .expect("global config");
    c.set_compatibility(Some("users-value"), CompatibilityLevel::None)
        .await
        .expect("subject config");
    c.set_mode(Some("ping-value"), Mode::Readonly)
        .await
        .expect("subject mode");
    c.delete_version("users-copy", Version::Number(1), false)
        .await
        .expect("soft delete");
    let (gone, _) = c
        .register(
            "gone-value",
            &Schema::avro(r#"{"type":"fixed","name":"F","size":2}"#),
            false,
        )
        .await
        .expect("gone");
    c.delete_version("gone-value", Version::Number(1), false)
        .await
        .expect("soft delete gone");
    c.delete_version("gone-value", Version::Number(1), true)
        .await
        .expect("hard delete gone");
    let before = with_ids(snapshot(&c).await, &a, &[gone.0, u1.0, u2.0]).await;
    // A hard-deleted id no subject uses any more stops resolving (Confluent's 40403); the ids
    // still used resolve. Part of the snapshot, so every instance and the restart agree.
    assert_eq!(
        before[format!("id:{}", gone.0)],
        serde_json::json!({"status": 404, "code": 40403}),
        "a hard-deleted id no longer resolves"
    );
    assert_eq!(before[format!("id:{}", u1.0)]["status"], 200);
    // Soft-deleted users-copy is still listed with ?deleted=true; hard-deleted gone-value is not.
    let listed = before["subjects"]["body"].to_string();
    assert!(
        listed.contains("users-copy") && !listed.contains("gone-value"),
        "{before}"
    );
    let guid_before = c
        .version("users-value", Version::Number(1))
        .await
        .expect("v1")
        .guid;

    // A second instance on the same topic, no local state: the same answers.
    let b = start(&topic).await.expect("second instance starts");
    let cb = client(&b);
    assert_eq!(
        with_ids(snapshot(&cb).await, &b, &[gone.0, u1.0, u2.0]).await,
        before
    );
    assert_eq!(
        cb.version("users-value", Version::Number(1))
            .await
            .expect("v1")
            .guid,
        guid_before,
        "every instance serves the same guid"
    );
    // What A writes next, B reads (its reader tails the topic).
    c.register("later-value", &Schema::avro(r#""string""#), false)
        .await
        .expect("later");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cb.subject_versions("later-value").await.is_err() {
        assert!(Instant::now() < deadline, "B never saw A's write");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ids = [gone.0, u1.0, u2.0];
    let last = with_ids(snapshot(&cb).await, &b, &ids).await;
    assert_eq!(
        last["subjects"],
        with_later(&before["subjects"]),
        "B holds A's later write"
    );
    a.stop().await.expect("stop a");
    b.stop().await.expect("stop b");

    // Restart from the topic alone: everything the instances served, the same — subjects,
    // versions (soft-deleted ones too), texts, ids, guids, configs, modes, and the
    // hard-deleted id still unresolved.
    let c2 = start(&topic).await.expect("restart");
    let after = with_ids(snapshot(&client(&c2)).await, &c2, &ids).await;
    assert_eq!(after, last);
    c2.stop().await.expect("stop");
}

/// `snapshot` with `/schemas/ids/{id}`'s status and error code for each of `ids`.
async fn with_ids(
    mut snap: serde_json::Value,
    server: &EmbeddedRegistry,
    ids: &[u32],
) -> serde_json::Value {
    let http = reqwest::Client::new();
    for id in ids {
        let r = http
            .get(format!("{}/schemas/ids/{id}", server.url()))
            .send()
            .await
            .expect("GET id");
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.expect("a JSON answer");
        snap[format!("id:{id}")] =
            serde_json::json!({"status": status, "code": body["error_code"]});
    }
    snap
}

/// The subject list with `later-value` added.
fn with_later(subjects: &serde_json::Value) -> serde_json::Value {
    let mut s = subjects.clone();
    if let Some(a) = s["body"].as_array_mut() {
        a.push("later-value".into());
        a.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_that_is_not_a_registry_log_is_refused() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig as KafkaConfig;
    let admin: AdminClient<DefaultClientContext> = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .expect("admin");
    let multi = rand_topic("schemas-multi");
    let plain = rand_topic("schemas-plain");
    admin
        .create_topics(
            &[
                NewTopic::new(&multi, 3, TopicReplication::Fixed(1))
                    .set("cleanup.policy", "compact"),
                NewTopic::new(&plain, 1, TopicReplication::Fixed(1)),
            ],
            &AdminOptions::new(),
        )
        .await
        .expect("create topics");
    let e = start(&multi).await.expect_err("3 partitions refused");
    assert!(e.to_string().contains("has 3 partitions"), "{e}");
    let e = start(&plain).await.expect_err("no compaction refused");
    assert!(e.to_string().contains("not compact"), "{e}");
}

/// `GET /v1/metadata/id` answers Confluent's `ServerClusterId`: the Kafka cluster the brokers
/// report and the registry group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_id_names_the_kafka_cluster_and_the_group() {
    use rdkafka::config::ClientConfig as KafkaConfig;
    use rdkafka::producer::{BaseProducer, Producer};
    let server = start(&rand_topic("schemas-meta")).await.expect("start");
    let answer: serde_json::Value = reqwest::get(format!("{}/v1/metadata/id", server.url()))
        .await
        .expect("GET /v1/metadata/id")
        .json()
        .await
        .expect("json");
    let probe: BaseProducer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .create()
        .expect("probe");
    let cluster = probe
        .client()
        .fetch_cluster_id(Duration::from_secs(10))
        .expect("the broker reports a cluster id");
    assert_eq!(
        answer,
        serde_json::json!({"scope": {"path": [], "clusters": {
            "kafka-cluster": cluster,
            "schema-registry-cluster": "schema-registry",
        }}})
    );
    server.stop().await.expect("stop");
}

/// An instance serves from the moment it listens, but says "not ready" until it has read its
/// store: `/health` 503 STARTING, every other call 503 with a Confluent error body (a fault of
/// the environment clients retry). Here the store's brokers never answer, so it stays not
/// ready until its start-up bound, then exits with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_is_not_ready_until_it_has_read_its_store() {
    use std::process::{Command, Stdio};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // Nothing listens on the port of a listener just dropped: brokers that never answer.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args([
            "registry",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--kafkastore-bootstrap-servers", &dead.to_string()])
        .args(["--kafkastore-timeout-ms", "6000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("registry serve starts");
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let health = loop {
        match http.get(format!("{url}/health")).send().await {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the port never answered: {e}"),
        }
    };
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.expect("json");
    assert_eq!(body["status"], "STARTING", "{body}");
    assert_eq!(body["ready"], false, "{body}");
    let subjects = http
        .get(format!("{url}/subjects"))
        .send()
        .await
        .expect("GET");
    assert_eq!(subjects.status(), 503);
    assert_eq!(
        subjects.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let body: serde_json::Value = subjects.json().await.expect("json");
    assert_eq!(body["error_code"], 50001, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not ready")),
        "{body}"
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("exits");
    assert!(
        !out.status.success(),
        "start-up fails once its bound passed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot start the registry"), "{stderr}");
    assert!(out.stdout.is_empty(), "no URL printed: it never served");
}
