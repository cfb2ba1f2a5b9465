//! The per-client rate limit (`ServerConfig::rate_limit`, `registry serve --rate-limit N`):
//! a client over it gets HTTP 429 with `Retry-After` and a Confluent error body, probes
//! (`/health`) are never limited, the bucket refills, and our client rides it out by waiting.

use std::sync::Arc;
use std::time::Duration;

use schemaflow::registry::{ClientConfig, RegistryClient};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, RateLimit, ServerConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_the_limit_is_told_to_wait_and_then_served() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .rate_limit(RateLimit {
                per_second: 4.0,
                burst: 4.0,
            }),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let http = reqwest::Client::new();
    let url = server.url().to_string();
    for i in 0..4 {
        let r = http
            .get(format!("{url}/subjects"))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "request {i} is within the burst");
    }
    let r = http
        .get(format!("{url}/subjects"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error_code"], 42901, "{body}");
    // Probes are not limited.
    for _ in 0..10 {
        let r = http.get(format!("{url}/health")).send().await.expect("GET");
        assert_eq!(r.status(), 200);
    }
    // The bucket refills at 4 per second.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = http
        .get(format!("{url}/subjects"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200, "refilled");
    // Our client, hitting the limit, waits as told and gets its answers.
    let mut c = ClientConfig::new(&url);
    c.retry_base = Duration::from_millis(50);
    let client = RegistryClient::new(c).expect("client");
    for _ in 0..8 {
        client.subjects(false).await.expect("served after waiting");
    }
    server.stop().await.expect("stop");
}
