//! One access line per request, as operators read them from any HTTP server: method, route
//! template (`/subjects/{subject}/versions`, never the raw path, so lines group by endpoint
//! and a subject name is not a label), status, latency and the authenticated principal.
//!
//! The line is written by the outermost layer, so it covers every answer: the readiness
//! gate's 503, the rate limit's 429, an authentication failure's 401. What only the inner
//! layers know travels back to it in the response's extensions: the route template
//! ([`record_route`], a route layer, where axum has matched it) and the principal (the `auth`
//! layer). Credentials never reach it: only the user name a password was checked for.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The route template that answered, carried in the response's extensions.
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplate(pub(crate) String);

/// The authenticated user (`-` when the registry has no authentication), carried in the
/// response's extensions.
#[derive(Debug, Clone)]
pub(crate) struct AccessPrincipal(pub(crate) String);

/// Route layer: records which route template answered.
pub(crate) async fn record_route(matched: MatchedPath, req: Request, next: Next) -> Response {
    let template = matched.as_str().to_owned();
    let mut response = next.run(req).await;
    response.extensions_mut().insert(RouteTemplate(template));
    response
}

/// Outermost layer: writes the access line once the response is ready (target
/// `schemaflow_registry::access`, level `info`; 5xx at `warn`).
pub(crate) async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.run(req).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("(no route)", |r| r.0.as_str());
    let principal = response
        .extensions()
        .get::<AccessPrincipal>()
        .map_or("-", |p| p.0.as_str());
    let status = response.status().as_u16();
    if response.status().is_server_error() {
        tracing::warn!(target: "schemaflow_registry::access", %method, route, status, latency_ms, principal, "request");
    } else {
        tracing::info!(target: "schemaflow_registry::access", %method, route, status, latency_ms, principal, "request");
    }
    response
}
