//! The client under faults, against real sockets: a registry that is down then back, 503s,
//! 429 with Retry-After, failover to a second URL, and caches that never keep an error.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient, Schema};
use schemaflow::wire::SchemaId;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

fn fast(url: &str, retries: u32) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.max_retries = retries;
    c.retry_base = Duration::from_millis(50);
    c.retry_cap = Duration::from_millis(400);
    c.request_timeout = Duration::from_secs(5);
    c
}

/// A fake registry answering `/schemas/types` with `failures` errors of `status` first.
async fn flaky(
    status: StatusCode,
    failures: usize,
    retry_after: Option<&'static str>,
) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = Router::new().route(
        "/schemas/types",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    let mut r =
                        (status, r#"{"error_code":50001,"message":"try later"}"#).into_response();
                    if let Some(ra) = retry_after {
                        r.headers_mut().insert("retry-after", ra.parse().unwrap());
                    }
                    r
                } else {
                    (StatusCode::OK, r#"["AVRO"]"#).into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let (url, calls) = flaky(StatusCode::SERVICE_UNAVAILABLE, 2, None).await;
    let c = RegistryClient::new(fast(&url, 3)).unwrap();
    assert_eq!(c.schema_types().await.unwrap(), vec!["AVRO"]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_last_error() {
    let (url, calls) = flaky(StatusCode::SERVICE_UNAVAILABLE, 100, None).await;
    let c = RegistryClient::new(fast(&url, 2)).unwrap();
    let e = c.schema_types().await.unwrap_err();
    assert!(e.is_transient());
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "one try plus two retries");
}

#[tokio::test]
async fn non_transient_errors_are_not_retried() {
    let (url, calls) = flaky(StatusCode::UNPROCESSABLE_ENTITY, 100, None).await;
    let c = RegistryClient::new(fast(&url, 3)).unwrap();
    assert!(c.schema_types().await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let (url, calls) = flaky(StatusCode::TOO_MANY_REQUESTS, 1, Some("1")).await;
    let mut cfg = fast(&url, 3);
    cfg.retry_cap = Duration::from_secs(5);
    let c = RegistryClient::new(cfg).unwrap();
    let t = Instant::now();
    assert_eq!(c.schema_types().await.unwrap(), vec!["AVRO"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The server asked for one second; the default backoff here would be ≤ 50 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn fails_over_to_the_second_url() {
    let dead = free_port().await;
    let (url, calls) = flaky(StatusCode::OK, 0, None).await;
    let c = RegistryClient::new(fast(&format!("http://127.0.0.1:{dead},{url}"), 0)).unwrap();
    assert_eq!(c.schema_types().await.unwrap(), vec!["AVRO"]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn registry_down_then_back_and_errors_are_not_cached() {
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{port}");
    let cached = CachedRegistry::new(
        RegistryClient::new(fast(&url, 0)).unwrap(),
        CacheConfig::default(),
    );
    // Down: a transport error, typed.
    let e = cached.schema_by_id(SchemaId(1)).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    // Back up (same port): the same call now reaches it, and the earlier error was not kept.
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen(format!("127.0.0.1:{port}").parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let id = cached
        .register("s", &Schema::avro(r#""string""#), false)
        .await
        .unwrap();
    assert_eq!(
        cached.schema_by_id(id).await.unwrap().schema.schema,
        r#""string""#
    );
    server.stop().await.unwrap();
    // Down again: cached answers keep working.
    assert_eq!(
        cached.schema_by_id(id).await.unwrap().schema.schema,
        r#""string""#
    );
    assert_eq!(
        cached
            .register("s", &Schema::avro(r#""string""#), false)
            .await
            .unwrap(),
        id
    );
}

#[tokio::test]
async fn retries_span_a_restart() {
    // Down: the first attempt's connection is accepted and closed unanswered, and nothing
    // listens after it; the registry starts only once that attempt has failed.
    let down = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = down.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let mut cfg = fast(&url, 8);
    cfg.retry_base = Duration::from_millis(100);
    let c = RegistryClient::new(cfg).unwrap();
    let call = tokio::spawn(async move { c.schema_types().await });
    let (first, _) = tokio::time::timeout(Duration::from_secs(10), down.accept())
        .await
        .expect("the client's first attempt")
        .unwrap();
    drop(first);
    drop(down);
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen(format!("127.0.0.1:{port}").parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    assert_eq!(
        call.await.unwrap().unwrap(),
        vec!["JSON", "PROTOBUF", "AVRO"]
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn concurrent_first_requests_make_one_call() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().unwrap()),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let cached = CachedRegistry::new(
        RegistryClient::new(fast(server.url(), 0)).unwrap(),
        CacheConfig::default(),
    );
    let id = cached
        .client()
        .register("s", &Schema::avro(r#""long""#), false)
        .await
        .unwrap()
        .0;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let c = cached.clone();
            tokio::spawn(async move { c.schema_by_id(id).await.map(|s| s.schema.schema.clone()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), r#""long""#);
    }
    let stats = cached.stats();
    assert_eq!(stats.misses, 1, "{stats:?}");
    assert_eq!(stats.hits, 31, "{stats:?}");
    server.stop().await.unwrap();
}
