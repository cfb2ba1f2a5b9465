//! Confluent's own Python `SchemaRegistryClient`, `AvroSerializer` and `ProtobufSerializer`
//! (confluent-kafka 2.16.0, pinned in scripts/requirements.txt) against the embedded registry
//! over real HTTP; and frames written by schemaflow read by Confluent's deserializers.
//!
//! Needs Python 3 and PyPI on first run: the venv is made (then reused) by scripts/python-env.
use crate::common;

use common::python::python;
use std::process::Command;
use std::sync::Arc;

use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use schemaflow::codec::avro::AvroCodec;
use schemaflow::codec::protobuf;
use schemaflow::registry::{ClientConfig, RegistryClient, Schema, SchemaReference};
use schemaflow::GeneratedSchema;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

#[tokio::test(flavor = "multi_thread")]
async fn confluent_python_client_and_serdes_against_embedded_registry() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    interop(server.url()).await;
    server.stop().await.unwrap();
}

/// The same against a *follower* of two instances on a Kafka store: Confluent's client cannot
/// tell it from the leader (its writes are forwarded, its reads served locally).
#[tokio::test(flavor = "multi_thread")]
async fn confluent_python_client_against_a_follower_on_kafka() {
    let topic = common::broker::rand_topic("schemas-py");
    let start = || {
        let mut store = KafkaStoreConfig::new(common::broker::broker().bootstrap.clone());
        store.topic = topic.clone();
        store.leader.group_id = format!("sr-{topic}");
        EmbeddedRegistry::start(
            ServerConfig::default()
                .listen("127.0.0.1:0".parse().unwrap())
                .kafka_store(store),
            Arc::new(CompatibilityEngine),
        )
    };
    let a = start().await.unwrap();
    let b = start().await.unwrap();
    let health = |url: String| async move {
        reqwest::get(format!("{url}/health"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let follower = loop {
        let (ha, hb) = (health(a.url().into()).await, health(b.url().into()).await);
        if ha["leader"] == true && hb["leader_url"] == ha["leader_url"] {
            break b.url().to_string();
        }
        if hb["leader"] == true && ha["leader_url"] == hb["leader_url"] {
            break a.url().to_string();
        }
        assert!(std::time::Instant::now() < deadline, "no leader: {ha} {hb}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    interop(&follower).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// schemaflow writes through `url`, then Confluent's Python client and serdes work against it.
async fn interop(url: &str) {
    let client = RegistryClient::new(ClientConfig::new(url)).unwrap();

    // schemaflow registers (as .proto text / .avsc text) and writes frames.
    let address = UserEvent::REFERENCES[0];
    client
        .register(address.name, &Schema::avro(address.schema_text), false)
        .await
        .unwrap();
    let aref = vec![SchemaReference {
        name: address.name.into(),
        subject: address.name.into(),
        version: 1,
    }];
    let (avro_id, _) = client
        .register(
            "rust-avro-value",
            &Schema::avro(UserEvent::SCHEMA_TEXT).with_references(aref),
            false,
        )
        .await
        .unwrap();
    let mut avro_frame = Vec::new();
    AvroCodec::<UserEvent>::new()
        .unwrap()
        .encode(avro_id, &common::avro_full(), &mut avro_frame)
        .unwrap();

    let imp = pb::UserEvent::REFERENCES[0];
    client
        .register(imp.name, &Schema::protobuf(imp.schema_text), false)
        .await
        .unwrap();
    let pref = vec![SchemaReference {
        name: imp.name.into(),
        subject: imp.name.into(),
        version: 1,
    }];
    let (proto_id, _) = client
        .register(
            "rust-proto-value",
            &Schema::protobuf(pb::UserEvent::SCHEMA_TEXT).with_references(pref),
            false,
        )
        .await
        .unwrap();
    let mut proto_frame = Vec::new();
    protobuf::encode(proto_id, &common::proto_full(), &mut proto_frame);

    let py = python();
    let url = url.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/registry_interop.py"
            ))
            .env("REGISTRY_URL", url)
            .env("RUST_AVRO_FRAME", hex::encode(&avro_frame))
            .env("RUST_PROTO_FRAME", hex::encode(&proto_frame))
            .output()
            .expect("run the Python interop script")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "Python interop checks failed:\n{stdout}"
    );
    assert!(stdout.contains("7 passed, 0 failed"), "{stdout}");

    // Confluent's ProtobufSerializer registered common.proto as a base64 descriptor: the
    // registry recognised it as the version schemaflow registered as text (one version).
    assert_eq!(client.subject_versions(imp.name).await.unwrap(), vec![1]);
}
