//! The downstream crate end to end: its binary sends its own Avro, Protobuf and JSON Schema
//! types (the invoice's `$ref` to party.json registered as a reference) through
//! a registry to a real Kafka broker and reads them back (the orders as v2). The registry is
//! `schemaflow-registry` embedded in this test (a dev-dependency, as a team's own integration
//! tests would use it), on real HTTP.
//!
//! The broker: `SCHEMAFLOW_TEST_BROKERS` (as the repository's `scripts/test` sets it), else one
//! started here with the repository's `scripts/kafka` and stopped at the end. Never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Broker {
    bootstrap: String,
    /// The data dir of a broker this test started (stopped on drop).
    started: Option<PathBuf>,
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(dir) = &self.started {
            let _ = Command::new(kafka_script()).arg("stop").arg(dir).status();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn kafka_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/kafka")
}

fn broker() -> Broker {
    if let Ok(b) = std::env::var("SCHEMAFLOW_TEST_BROKERS") {
        if !b.trim().is_empty() {
            return Broker {
                bootstrap: b.trim().to_string(),
                started: None,
            };
        }
    }
    let dir = std::env::temp_dir().join(format!("orders-service-kafka-{}", std::process::id()));
    let out = Command::new(kafka_script())
        .arg("start")
        .arg(&dir)
        .output()
        .expect("run scripts/kafka start");
    assert!(
        out.status.success(),
        "scripts/kafka start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let bootstrap = stdout.lines().last().unwrap_or_default().trim().to_string();
    Broker {
        bootstrap,
        started: Some(dir),
    }
}

// The blocking `Command::output` holds one worker; the registry serves on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_and_reads_its_own_types_through_the_registry_and_kafka() {
    let broker = broker();
    let registry = schemaflow_registry::EmbeddedRegistry::start(
        schemaflow_registry::ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("a socket address")),
        std::sync::Arc::new(schemaflow_registry::CompatibilityEngine),
    )
    .await
    .expect("start the embedded registry");
    let prefix = format!("os-{}-{}-", std::process::id(), fastish_nonce());
    let out = Command::new(env!("CARGO_BIN_EXE_orders-service"))
        .args([broker.bootstrap.as_str(), "50", prefix.as_str()])
        .env("SCHEMA_REGISTRY_URL", registry.url())
        .output()
        .expect("run orders-service");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(&format!(
            "{prefix}orders: sent 50 orders (v1), read 50 as v2"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{prefix}shipments: sent 50 shipments, read 50")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{prefix}invoices: sent 50 invoices (JSON Schema), read 50"
        )),
        "{stdout}"
    );
}

/// Distinct topic names per run on a shared broker.
fn fastish_nonce() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}
