//! Serving before the store is ready. An instance binds its port at once and answers while it
//! reads its log (a long `_schemas` topic takes a while), so that operators, orchestrators and
//! load balancers can tell "starting" from "down" — where Confluent's server only opens its
//! port once its store is initialized.
//!
//! Until the store is open, `GET /health` answers HTTP 503 `{"status": "STARTING", …}` and
//! every other call HTTP 503 with a Confluent error body (50001, the backend store's code): a
//! fault of the environment that clients retry, never an answer about a schema. Once the store
//! is read to its end the real router answers everything, `/health` included.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt as _;

use super::answer::answer;
use schemaflow::registry::protocol::{ErrorBody, ErrorCode, HealthResponse};

/// Where the real router goes once the store is ready.
pub(super) type Slot = Arc<OnceLock<Router>>;

/// A router that answers "not ready" until `slot` holds the real one, then hands every
/// request to it.
pub(super) fn gated(slot: Slot) -> Router {
    let started = Instant::now();
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let slot = Arc::clone(&slot);
        async move {
            Ok::<Response, Infallible>(match slot.get() {
                Some(router) => router.clone().oneshot(req).await.into_response(),
                None => not_ready(req.uri().path(), started),
            })
        }
    }))
}

fn not_ready(path: &str, started: Instant) -> Response {
    let waited = started.elapsed().as_secs();
    let mut r = if path == "/health" {
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            &HealthResponse {
                leader: None,
                leader_url: None,
                ready: false,
                starting_for_seconds: Some(waited),
                status: "STARTING".into(),
            },
        )
    } else {
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            &ErrorBody::new(
                ErrorCode::StoreError,
                format!(
                    "Schema registry is not ready: still reading its store ({waited} s so far); retry"
                ),
            ),
        )
    };
    // Tell well-behaved clients to come back shortly rather than hammer a loading instance.
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}
