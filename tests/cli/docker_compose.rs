//! docker-compose.yml cannot run here (no Docker engine); this checks what can be checked
//! without one: it parses, and has the services, ports, listeners, replication settings,
//! health checks and start order the README's `docker compose up -d --wait` relies on.
use yaml_rust2::{Yaml, YamlLoader};

fn compose() -> Yaml {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"))
        .unwrap();
    YamlLoader::load_from_str(&text)
        .expect("valid YAML")
        .remove(0)
}

fn env<'a>(service: &'a Yaml, key: &str) -> &'a str {
    let v = &service["environment"][key];
    v.as_str()
        .or_else(|| v.as_i64().map(|_| "int"))
        .unwrap_or_else(|| panic!("environment {key} missing"))
}

#[test]
fn kafka_kraft_single_node_with_host_and_container_listeners() {
    let c = compose();
    let kafka = &c["services"]["kafka"];
    assert!(kafka["image"]
        .as_str()
        .unwrap()
        .starts_with("apache/kafka:"));
    let ports: Vec<&str> = kafka["ports"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(ports, ["9092:9092"]);
    assert_eq!(env(kafka, "KAFKA_PROCESS_ROLES"), "broker,controller");
    let listeners = env(kafka, "KAFKA_ADVERTISED_LISTENERS");
    assert!(
        listeners.contains("HOST://localhost:9092"),
        "clients on the host"
    );
    assert!(
        listeners.contains("DOCKER://kafka:19092"),
        "clients in containers"
    );
    for key in [
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_MIN_INSYNC_REPLICAS",
    ] {
        assert_eq!(
            c["services"]["kafka"]["environment"][key].as_i64(),
            Some(1),
            "{key} must be 1 on one node"
        );
    }
    assert!(
        kafka["healthcheck"]["test"].as_vec().is_some(),
        "kafka needs a healthcheck for --wait"
    );
}

#[test]
fn schema_registry_waits_for_a_healthy_kafka_and_uses_its_container_listener() {
    let c = compose();
    let sr = &c["services"]["schema-registry"];
    assert!(sr["image"]
        .as_str()
        .unwrap()
        .starts_with("confluentinc/cp-schema-registry:"));
    assert_eq!(sr["ports"][0].as_str(), Some("8081:8081"));
    assert_eq!(
        sr["depends_on"]["kafka"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert_eq!(
        env(sr, "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"),
        "PLAINTEXT://kafka:19092"
    );
    assert_eq!(env(sr, "SCHEMA_REGISTRY_LISTENERS"), "http://0.0.0.0:8081");
    assert!(sr["healthcheck"]["test"].as_vec().is_some());
}
