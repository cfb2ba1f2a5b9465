//! Confluent's own Python `SchemaRegistryClient`, `AvroSerializer` and `ProtobufSerializer`
//! (confluent-kafka 2.16.0, pinned in scripts/requirements.txt) against the embedded registry
//! over real HTTP; and frames written by schemaflow read by Confluent's deserializers.
//!
//! Needs Python 3 and PyPI on first run: the venv is made (then reused) by scripts/python-env.
mod common;

use common::python::python;
use std::process::Command;
use std::sync::Arc;

use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use schemaflow::codec::avro::AvroCodec;
use schemaflow::codec::protobuf;
use schemaflow::registry::server::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use schemaflow::registry::{ClientConfig, RegistryClient, Schema, SchemaReference};
use schemaflow::GeneratedSchema;

#[tokio::test(flavor = "multi_thread")]
async fn confluent_python_client_and_serdes_against_embedded_registry() {
    let server = EmbeddedRegistry::start(
        ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        },
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let client = RegistryClient::new(ClientConfig::new(server.url())).unwrap();

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
    let url = server.url().to_string();
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
    server.stop().await.unwrap();
}
