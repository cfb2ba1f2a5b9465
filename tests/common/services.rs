//! The embedded registry for integration tests: in-process, real HTTP on a free port, deciding
//! compatibility with the real engine.
#![allow(dead_code)]

use std::sync::Arc;

use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

/// Start a registry and a cached client for it.
pub async fn registry() -> (EmbeddedRegistry, CachedRegistry) {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let client = RegistryClient::new(ClientConfig::new(server.url())).unwrap();
    (server, CachedRegistry::new(client, CacheConfig::default()))
}
