//! `registry_http`: a short sequence of arbitrary HTTP requests to the registry's router.
//!
//! Input layout: requests separated by NUL bytes (at most [`MAX_REQUESTS`]); each is a first
//! line `METHOD PATH` (the path may carry a query) and the body after it, sent as the
//! registry's JSON content type. Requests run in order against one registry, so a register
//! followed by reads and deletes reaches the handlers' later states.
//!
//! Whatever the request, the registry answers: never a panic, never a 5xx (outside input is
//! a 4xx with Confluent's error body), and a JSON content type means a JSON body.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Method, Request, Uri};
use schemaflow_registry::{router, CompatibilityEngine, Registry, Store, CONTENT_TYPE};
use tower::ServiceExt as _;

/// Requests read from one input; the rest is ignored (the state space, not the length, is
/// what matters).
pub const MAX_REQUESTS: usize = 8;

/// Largest body the router accepts here (the server's default is 16 MiB; inputs are small).
const MAX_BODY_BYTES: usize = 1 << 20;

/// Largest answer read back.
const MAX_ANSWER_BYTES: usize = 16 << 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts")
    })
}

/// Send the requests in `data` to a fresh in-memory registry.
pub fn registry_http(data: &[u8]) {
    let registry = Arc::new(Registry::new(
        Store::in_memory(),
        Arc::new(CompatibilityEngine),
    ));
    let app = router(registry, None, MAX_BODY_BYTES);
    runtime().block_on(async {
        for raw in data.split(|&b| b == 0).take(MAX_REQUESTS) {
            let Some(request) = parse(raw) else {
                continue;
            };
            let what = format!("{} {}", request.method(), request.uri());
            let answer = match app.clone().oneshot(request).await {
                Ok(a) => a,
                Err(never) => match never {},
            };
            let status = answer.status();
            let json = answer
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("json"));
            let body = axum::body::to_bytes(answer.into_body(), MAX_ANSWER_BYTES)
                .await
                .unwrap_or_else(|e| panic!("{what}: the answer's body does not read: {e}"));
            assert!(
                !status.is_server_error(),
                "{what}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            if json {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&body) {
                    panic!(
                        "{what}: a JSON answer is not JSON ({e}): {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
        }
    });
}

/// `METHOD PATH\nbody` as a request; `None` when the first line is not a method and a path.
fn parse(raw: &[u8]) -> Option<Request<Body>> {
    let (line, body) = match raw.iter().position(|&b| b == b'\n') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (raw, &[][..]),
    };
    let line = std::str::from_utf8(line).ok()?;
    let (method, path) = line.trim_end_matches('\r').split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    if !path.starts_with('/') {
        return None;
    }
    let uri: Uri = path.parse().ok()?;
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, CONTENT_TYPE)
        .body(Body::from(body.to_vec()))
        .ok()
}
