//! The embedded registry for integration tests: in-process, real HTTP on a free port, deciding
//! compatibility with the real engine.
#![allow(dead_code)]

use std::sync::Arc;

use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

/// Start a registry and a cached client for it.
pub async fn registry() -> (EmbeddedRegistry, CachedRegistry) {
    registry_with(ServerConfig::default()).await
}

/// [`registry`] that accepts rule sets whose expressions do not compile (as Confluent's
/// does): for tests of what a client does with a rule that cannot run.
pub async fn registry_unchecked() -> (EmbeddedRegistry, CachedRegistry) {
    registry_with(ServerConfig::default().check_rule_expressions(false)).await
}

/// [`registry`] with `config` (its listen address replaced by a free port).
pub async fn registry_with(config: ServerConfig) -> (EmbeddedRegistry, CachedRegistry) {
    let server = EmbeddedRegistry::start(
        config.listen("127.0.0.1:0".parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let client = RegistryClient::new(ClientConfig::new(server.url())).unwrap();
    (server, CachedRegistry::new(client, CacheConfig::default()))
}
