//! The routes about the registry itself: `/`, `/health`, `/metrics`, `/v1/metadata/id`,
//! `/v1/metadata/version`, `/v1/metadata/permissions`, `/contexts` and `/openapi.json`.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{ok, App, Route, Who};
use crate::authz::Permission::{Authenticated, Open};
use crate::authz::{Operation, Resource};
use schemaflow::registry::protocol::{ClusterScope, HealthResponse, RootResponse, ServerClusterId};

/// The OpenAPI 3.1 document of the routes (`tests/registry/openapi.rs` checks that it lists
/// every route and nothing else).
pub const OPENAPI: &str = include_str!("openapi.json");

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/", Authenticated, || async { ok(&RootResponse {}) }),
        // Open: probes carry no credentials.
        Route::get("/health", Open, health),
        Route::get("/metrics", Authenticated, metrics_text),
        Route::get("/v1/metadata/id", Authenticated, metadata_id),
        Route::get("/v1/metadata/version", Authenticated, metadata_version),
        Route::get("/v1/metadata/permissions", Authenticated, permissions),
        // Only the default context: Confluent's KafkaSchemaRegistry.listContexts always lists
        // "." first, then the contexts of qualified subjects (which this registry does not
        // support).
        Route::get("/contexts", Authenticated, || async { ok(&["."]) }),
        Route::get("/openapi.json", Authenticated, openapi),
    ]
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics_text(State(app): State<App>) -> Response {
    let (schemas, subjects, lag) = app.registry.gauges();
    let m = &app.metrics;
    m.schemas.set(i64::try_from(schemas).unwrap_or(i64::MAX));
    m.subjects.set(i64::try_from(subjects).unwrap_or(i64::MAX));
    m.leader.set(
        app.registry
            .leadership()
            .map_or(1, |l| i64::from(l.is_leader())),
    );
    m.reader_lag.set(lag.unwrap_or(0));
    let mut r = (StatusCode::OK, m.render()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// `GET /openapi.json`: [`OPENAPI`].
async fn openapi() -> Response {
    let mut r = (StatusCode::OK, OPENAPI).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /v1/metadata/id`: Confluent's `ServerClusterId`. Without a Kafka store there is no
/// Kafka cluster to name.
async fn metadata_id(State(app): State<App>) -> Response {
    let (kafka, group) = app.registry.cluster_ids();
    let mut clusters = BTreeMap::new();
    if let Some(kafka) = kafka {
        clusters.insert("kafka-cluster".to_string(), kafka);
    }
    clusters.insert("schema-registry-cluster".to_string(), group);
    ok(&ServerClusterId {
        scope: ClusterScope {
            clusters,
            path: Vec::new(),
        },
    })
}

/// `GET /v1/metadata/version`: Confluent's `SchemaRegistryServerVersion` (`version`,
/// `commitId`), here this crate's version; no commit id is built in.
async fn metadata_version() -> Response {
    ok(&serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "commitId": ""}))
}

/// `GET /health`: this instance serves (it answers only after reading its store to the end)
/// and, on a Kafka store, who leads.
async fn health(State(app): State<App>) -> Response {
    let leadership = app.registry.leadership();
    ok(&HealthResponse {
        leader: leadership.as_ref().map(|l| l.is_leader()),
        leader_url: leadership.as_ref().map(|l| l.leader_url()),
        ready: true,
        starting_for_seconds: None,
        status: "UP".into(),
    })
}

/// `GET /v1/metadata/permissions[?subject=S…]`: what the caller may do — `user` (absent
/// without authorization), `config` (the global config and mode) and each asked subject:
/// `WRITE`, `READ` or `NONE`. Not Confluent's (its RBAC lives in another service): the web
/// page asks it which controls to show; the routes check every call anyway.
async fn permissions(who: Who, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let level = |resource: &Resource| {
        if who.may(Operation::Write, resource) {
            "WRITE"
        } else if who.may(Operation::Read, resource) {
            "READ"
        } else {
            "NONE"
        }
    };
    let subjects: BTreeMap<&str, &str> = pairs
        .iter()
        .filter(|(k, _)| k == "subject")
        .map(|(_, s)| (s.as_str(), level(&Resource::Subject(s.clone()))))
        .collect();
    let mut answer = serde_json::json!({
        "config": level(&Resource::Config),
        "subjects": subjects,
    });
    if let (Some(user), Some(o)) = (who.user(), answer.as_object_mut()) {
        o.insert("user".into(), user.into());
    }
    ok(&answer)
}
