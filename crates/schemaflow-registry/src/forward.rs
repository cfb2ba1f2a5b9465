//! Followers forward writes to the leader, as Confluent's followers do
//! (`KafkaSchemaRegistry.forward*RequestToLeader`): register, delete, config and mode changes
//! go to the URL the leader announced, with the caller's body and credentials, and the
//! leader's answer goes back as it is. Reads (including `POST /subjects/{s}` lookups and
//! compatibility checks) are served from this instance's own copy.
//!
//! While no leader is known the answer is 50004 (unknown leader); when the leader cannot be
//! reached, 50003 (error forwarding). Both are 500s, which Confluent's clients (and ours)
//! retry. After a forwarded write succeeds, this instance waits until its own reader has
//! applied it (a `NOOP` marker behind it) before answering: read-your-writes here too. A
//! request that was forwarded once is never forwarded again (a leader that lost the
//! lead meanwhile answers 50004 instead), so two instances cannot bounce it between them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::answer::error;
use super::authz::Permission;
use super::core::Registry;
use super::metrics::Metrics;
use super::schemas_topic::leader::Leadership;
use schemaflow::registry::protocol::ErrorCode;

/// Marks a request a follower forwarded.
const FORWARDED: &str = "x-schemaflow-forwarded";

/// The forwarding layer's state.
#[derive(Clone)]
pub(super) struct Forwarder {
    pub(super) leadership: Arc<Leadership>,
    /// This instance's registry: after a forwarded write it catches up with the topic.
    pub(super) registry: Arc<Registry>,
    pub(super) http: reqwest::Client,
    pub(super) max_body_bytes: usize,
    pub(super) metrics: Metrics,
}

impl Forwarder {
    pub(super) fn new(
        leadership: Arc<Leadership>,
        registry: Arc<Registry>,
        max_body_bytes: usize,
        metrics: Metrics,
    ) -> Self {
        Forwarder {
            leadership,
            registry,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            max_body_bytes,
            metrics,
        }
    }
}

/// Whether a request changes the registry (and so must run on the leader): its route's
/// declared [`Permission`] is a `Write`, as the auth layer (outside this one) recorded it.
fn is_write(req: &Request) -> bool {
    req.extensions()
        .get::<Permission>()
        .is_some_and(|p| p.is_write())
}

/// The middleware: run writes here only when leading, else forward them.
pub(super) async fn forward_writes(
    State(f): State<Option<Forwarder>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(f) = f else {
        return next.run(req).await;
    };
    if f.leadership.is_leader() || !is_write(&req) {
        return next.run(req).await;
    }
    if req.headers().contains_key(FORWARDED) {
        return error(
            ErrorCode::UnknownLeader,
            "this instance is no longer the leader; retry",
        );
    }
    let Some(leader) = f.leadership.leader_url() else {
        return error(
            ErrorCode::UnknownLeader,
            "no registry leader is known yet (an election is under way); retry",
        );
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, f.max_body_bytes).await else {
        return error(ErrorCode::Other(413), "request body too large");
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let url = format!("{}{path}", leader.trim_end_matches('/'));
    let Ok(method) = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()) else {
        return error(ErrorCode::Other(405), "method not allowed");
    };
    f.metrics.forwarded.inc();
    let mut out = f.http.request(method, &url).header(FORWARDED, "1");
    for name in [header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT] {
        if let Some(v) = parts.headers.get(&name).and_then(|v| v.to_str().ok()) {
            out = out.header(name.as_str(), v);
        }
    }
    let answer = match out.body(bytes.to_vec()).send().await {
        Ok(a) => a,
        Err(e) => {
            return error(
                ErrorCode::ForwardingError,
                &format!("error while forwarding the request to the leader at {leader}: {e}"),
            )
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match answer.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return error(
                ErrorCode::ForwardingError,
                &format!("error while reading the leader's answer from {leader}: {e}"),
            )
        }
    };
    if status.is_success() {
        // The leader answered once *its* reader applied the write; this instance answers once
        // its own has, so the caller's next read here sees what it wrote.
        let registry = Arc::clone(&f.registry);
        let synced = tokio::task::spawn_blocking(move || registry.sync()).await;
        if let Err(e) = synced.map_err(std::io::Error::other).and_then(|r| r) {
            return error(
                ErrorCode::OperationTimeout,
                &format!(
                    "the leader applied the write, but this instance did not catch up with it: {e}"
                ),
            );
        }
    }
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r
}
