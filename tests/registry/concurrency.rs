//! Sixteen clients registering at once — the same schemas and different ones, under the same
//! subjects and different ones — on the file backend and on the Kafka backend (real HTTP, real
//! broker): every acknowledged registration is there afterwards (for the file log, after a
//! restart too), one schema always has one id, different schemas never share one, and every
//! subject's versions run 1..n without a gap, each schema once.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::broker::{broker, rand_topic};
use schemaflow::registry::{ClientConfig, CompatibilityLevel, RegistryClient, Schema, Version};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 24;
const SCHEMAS: usize = 10;
const SUBJECTS: usize = 4;

/// Schema `n` of the pool: a record with `n + 1` fields, so no two are alike.
fn schema(n: usize) -> String {
    let fields: Vec<String> = (0..=n)
        .map(|f| format!(r#"{{"name":"f{f}","type":"int"}}"#))
        .collect();
    format!(
        r#"{{"type":"record","name":"Load","namespace":"conc","fields":[{}]}}"#,
        fields.join(",")
    )
}

/// (subject, schema index) → the id acknowledged, from every client's every registration.
type Acks = Vec<(String, usize, u32)>;

async fn register_at_once(url: &str) -> Acks {
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let client = RegistryClient::new(ClientConfig::new(&url)).expect("client");
            let mut acks = Vec::new();
            for j in 0..PER_CLIENT {
                // Clients collide on purpose: the same (subject, schema) from many at once.
                let subject = format!("load-{}", (c + j) % SUBJECTS);
                let n = (c * 7 + j * 3) % SCHEMAS;
                let (id, _) = client
                    .register(&subject, &Schema::avro(schema(n)), false)
                    .await
                    .unwrap_or_else(|e| panic!("client {c} #{j}: {e}"));
                acks.push((subject, n, id.0));
            }
            acks
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    all
}

/// Check the invariants against what `url` serves now; `acks` are the acknowledgements.
async fn check(url: &str, acks: &Acks) {
    let client = RegistryClient::new(ClientConfig::new(url)).expect("client");
    let mut id_of: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    for (_, n, id) in acks {
        id_of.entry(*n).or_default().insert(*id);
    }
    for (n, ids) in &id_of {
        assert_eq!(ids.len(), 1, "schema {n} got several ids: {ids:?}");
    }
    let distinct: BTreeSet<u32> = id_of.values().flatten().copied().collect();
    assert_eq!(distinct.len(), id_of.len(), "two schemas share an id");
    let mut acked: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (s, n, _) in acks {
        acked.entry(s.clone()).or_default().insert(*n);
    }
    for (subject, wanted) in &acked {
        let versions = client.subject_versions(subject).await.expect("versions");
        let expect: Vec<i32> = (1..=versions.len() as i32).collect();
        assert_eq!(versions, expect, "{subject}: versions with a gap");
        let mut held = BTreeMap::new();
        for v in versions {
            let r = client
                .version(subject, Version::Number(v))
                .await
                .expect("version");
            let n = (0..SCHEMAS)
                .find(|n| id_of.get(n).is_some_and(|ids| ids.contains(&r.id.0)))
                .unwrap_or_else(|| panic!("{subject} v{v}: id {} never acknowledged", r.id.0));
            assert!(
                held.insert(n, v).is_none(),
                "{subject}: schema {n} registered twice"
            );
            assert_eq!(r.schema.schema, schema(n), "{subject} v{v}: not its schema");
        }
        let held: BTreeSet<usize> = held.into_keys().collect();
        assert_eq!(&held, wanted, "{subject}: acknowledged schemas missing");
    }
}

async fn none_compatibility(url: &str) {
    // Different schemas under one subject: compatibility is not what this test is about.
    RegistryClient::new(ClientConfig::new(url))
        .expect("client")
        .set_compatibility(None, CompatibilityLevel::None)
        .await
        .expect("global NONE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_clients_at_once_on_the_file_log() {
    let dir = tempfile::tempdir().expect("dir");
    let config = || {
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .data_dir(dir.path().to_path_buf())
    };
    let server = EmbeddedRegistry::start(config(), Arc::new(CompatibilityEngine))
        .await
        .expect("start");
    none_compatibility(server.url()).await;
    let acks = register_at_once(server.url()).await;
    assert_eq!(acks.len(), CLIENTS * PER_CLIENT);
    check(server.url(), &acks).await;
    server.stop().await.expect("stop");
    // Everything acknowledged was on disk: the restarted registry serves the same.
    let again = EmbeddedRegistry::start(config(), Arc::new(CompatibilityEngine))
        .await
        .expect("restart");
    check(again.url(), &acks).await;
    again.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_clients_at_once_on_the_kafka_store() {
    let mut store = KafkaStoreConfig::new(broker().bootstrap.clone());
    store.topic = rand_topic("schemas-conc");
    let config = |store: KafkaStoreConfig| {
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .kafka_store(store)
    };
    let server = EmbeddedRegistry::start(config(store.clone()), Arc::new(CompatibilityEngine))
        .await
        .expect("start");
    none_compatibility(server.url()).await;
    let acks = register_at_once(server.url()).await;
    check(server.url(), &acks).await;
    server.stop().await.expect("stop");
    // From the topic alone, a new instance serves the same.
    let again = EmbeddedRegistry::start(config(store), Arc::new(CompatibilityEngine))
        .await
        .expect("restart");
    check(again.url(), &acks).await;
    again.stop().await.expect("stop");
}
