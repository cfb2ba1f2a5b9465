//! The HTTP face of the embedded registry: Confluent's REST paths, with the bodies of
//! [`schemaflow::registry::protocol`]. Handlers are thin: parse, call [`Registry`], shape the
//! answer. One file per resource (`subjects`, `schemas`, `config`, `mode`, `compatibility`,
//! `meta`), each declaring its routes in a [`Route`] table: path, method, handler and the
//! [`Permission`] the route needs. The `auth` layer reads that permission from the route axum
//! matched — there is no second route table that parses URLs again.
//!
//! Every error answer is a Confluent error body ([`ErrorBody`] in [`CONTENT_TYPE`]), also
//! those axum makes itself in plain text or with no body at all — a body over the size limit
//! (413), a path that does not decode (400), a method a route does not have (405):
//! `confluent_errors` rewrites them on the way out, keeping the status and the headers
//! (`Allow`, `Retry-After`, …). Confluent's clients read `error_code` from every error and
//! fail on a body they cannot parse.

mod compatibility;
mod config;
mod meta;
mod mode;
mod schemas;
mod subjects;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, Extension, FromRequestParts, MatchedPath, Query, RawPathParams, Request,
    State,
};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{self, MethodRouter};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::access_log::{record_route, AccessPrincipal};
use super::answer::{answer, encode, error};
use super::authz::{AuthFile, Authorizer, Denied, Permission, Principal};
use super::contract::{Metadata, RuleSet};
use super::core::{ApiError, Registry, SchemaContract};
use super::event::StoredSchema;
use super::forward::{forward_writes, Forwarder};
use super::metrics::{track, Metrics};
use schemaflow::codec::protobuf::serialized_as_text;
use schemaflow::registry::protocol::{ErrorBody, ErrorCode, SchemaRequest};
use schemaflow::registry::types::{Schema, Version};

pub use meta::OPENAPI;
pub use schemaflow::registry::protocol::CONTENT_TYPE;

/// The handlers' state.
#[derive(Clone)]
struct App {
    registry: Arc<Registry>,
    auth: Option<Arc<Authorizer>>,
    metrics: Metrics,
    /// What each (route template, method) needs, from the [`Route`] tables.
    permissions: Arc<HashMap<(&'static str, Method), Permission>>,
}

type Q = Query<HashMap<String, String>>;
/// The caller, as the `auth` layer identified them.
type Who = Extension<Principal>;
type Answer = Result<Response, ApiError>;

/// One route: its path template, method, handler, and the permission it needs.
struct Route {
    path: &'static str,
    method: Method,
    permission: Permission,
    handler: MethodRouter<App>,
}

impl Route {
    fn get<H: Handler<T, App>, T: 'static>(
        path: &'static str,
        permission: Permission,
        handler: H,
    ) -> Self {
        Route {
            path,
            method: Method::GET,
            permission,
            handler: routing::get(handler),
        }
    }

    fn post<H: Handler<T, App>, T: 'static>(
        path: &'static str,
        permission: Permission,
        handler: H,
    ) -> Self {
        Route {
            path,
            method: Method::POST,
            permission,
            handler: routing::post(handler),
        }
    }

    fn put<H: Handler<T, App>, T: 'static>(
        path: &'static str,
        permission: Permission,
        handler: H,
    ) -> Self {
        Route {
            path,
            method: Method::PUT,
            permission,
            handler: routing::put(handler),
        }
    }

    fn delete<H: Handler<T, App>, T: 'static>(
        path: &'static str,
        permission: Permission,
        handler: H,
    ) -> Self {
        Route {
            path,
            method: Method::DELETE,
            permission,
            handler: routing::delete(handler),
        }
    }
}

/// Every route of the registry, resource by resource.
fn routes() -> Vec<Route> {
    [
        meta::routes(),
        schemas::routes(),
        subjects::routes(),
        config::routes(),
        mode::routes(),
        compatibility::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `(path template, method)` of every route the registry serves (`/subjects/{subject}`,
/// `get`), as an OpenAPI document names them.
pub fn api_routes() -> Vec<(&'static str, String)> {
    routes()
        .into_iter()
        .map(|r| (r.path, r.method.as_str().to_ascii_lowercase()))
        .collect()
}

/// The router for `registry`; `basic_auth` (`user:password`) makes every call need it.
pub fn router(registry: Arc<Registry>, basic_auth: Option<&str>, max_body_bytes: usize) -> Router {
    let auth = basic_auth.map(|a| Arc::new(Authorizer::new(AuthFile::single_user(a))));
    router_with_auth(registry, auth, max_body_bytes)
}

/// The router for `registry`, checking every call against `auth` when set.
pub(crate) fn router_with_auth(
    registry: Arc<Registry>,
    authorizer: Option<Arc<Authorizer>>,
    max_body_bytes: usize,
) -> Router {
    let metrics = Metrics::new();
    let mut permissions = HashMap::new();
    let mut router = Router::new();
    for r in routes() {
        permissions.insert((r.path, r.method), r.permission);
        // A second method on a path merges into the path's method router.
        router = router.route(r.path, r.handler);
    }
    let app = App {
        metrics: metrics.clone(),
        registry,
        auth: authorizer,
        permissions: Arc::new(permissions),
    };
    router
        .fallback(|| async { error(ErrorCode::Other(404), "HTTP 404 Not Found") })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // Inside auth: a follower forwards only what it would have accepted itself.
        .layer(middleware::from_fn_with_state(
            app.registry.leadership().map(|l| {
                Forwarder::new(
                    l,
                    Arc::clone(&app.registry),
                    max_body_bytes,
                    metrics.clone(),
                )
            }),
            forward_writes,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), auth))
        .route_layer(middleware::from_fn_with_state(metrics, track))
        .route_layer(middleware::from_fn(record_route))
        // Outermost: whatever answered below, an error leaves as a Confluent body.
        .layer(middleware::from_fn_with_state(
            max_body_bytes,
            confluent_errors,
        ))
        .with_state(app)
        // After the layers: the page's files need no credentials (they hold no data; the
        // page's API calls carry the user's) and are not API routes.
        .merge(super::ui::router())
}

/// The most of a non-Confluent error body read to reuse as the message: axum's texts are one
/// short line.
const PLAIN_ERROR_MAX: usize = 4096;

/// Rewrite an error answer that is not a Confluent error body into one (see the module docs):
/// `error_code` is the HTTP status, as Confluent's server does for the errors its framework
/// raises (`{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`); the message is the
/// plain text, if any.
async fn confluent_errors(
    State(max_body_bytes): State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let r = next.run(req).await;
    let status = r.status();
    let is_ours = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes() == CONTENT_TYPE.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_ours {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, PLAIN_ERROR_MAX)
        .await
        .unwrap_or_default();
    // Already a Confluent body under another content type (a leader's answer, relayed):
    // keep it, under ours.
    let body = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => b,
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                // axum's "Failed to buffer the request body: length limit exceeded" does not
                // say which limit.
                format!(
                    "Request body too large: the limit is {max_body_bytes} bytes (registry serve --max-body-bytes)"
                )
            } else if text.is_empty() {
                // What Confluent's server (Jersey) says for these.
                format!(
                    "HTTP {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("Error")
                )
            } else {
                text
            };
            ErrorBody::new(ErrorCode::Other(i32::from(status.as_u16())), message)
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Response::from_parts(parts, axum::body::Body::from(encode(&body)))
}

/// Authentication and authorization, on the instance the client called (before a follower
/// forwards a write; the leader checks the forwarded credentials again). What the request
/// needs is the [`Permission`] declared with the route axum matched (a path no route has
/// needs only credentials, and gets a 404); the permission travels on in the request's
/// extensions, for the forwarding layer.
async fn auth(State(app): State<App>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    // `get` routes answer HEAD too, with the same permission.
    let method = if parts.method == Method::HEAD {
        Method::GET
    } else {
        parts.method.clone()
    };
    let permission = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|m| app.permissions.get(&(m.as_str(), method)))
        .copied()
        .unwrap_or(Permission::Authenticated);
    let principal = match &app.auth {
        None => Principal::anyone(),
        Some(authz) => {
            // Percent-decoded; a path that does not decode is refused by the handler's own
            // extractor anyway.
            let subject = RawPathParams::from_request_parts(&mut parts, &())
                .await
                .ok()
                .and_then(|p| {
                    p.iter()
                        .find(|(name, _)| *name == "subject")
                        .map(|(_, v)| v.to_owned())
                });
            let given = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match authz
                .check(given.as_deref(), permission.need(subject.as_deref()))
                .await
            {
                Ok(p) => p,
                Err(Denied::Unauthorized) => {
                    let mut r = error(ErrorCode::Unauthorized, "Unauthorized");
                    r.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"schemaflow\""),
                    );
                    return r;
                }
                Err(Denied::Forbidden(message)) => return error(ErrorCode::Forbidden, &message),
            }
        }
    };
    let mut req = Request::from_parts(parts, body);
    let name = AccessPrincipal(principal.name().to_owned());
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(permission);
    let mut response = next.run(req).await;
    response.extensions_mut().insert(name);
    response
}

/// A 200 answer with `body`.
fn ok<T: Serialize>(body: &T) -> Response {
    answer(StatusCode::OK, body)
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(ErrorCode::Other(400), format!("Malformed JSON body: {e}")))
}

/// The schema of a register, lookup or compatibility request, and the id it asks for.
fn schema_request(bytes: &Bytes) -> Result<(Schema, Option<u32>), ApiError> {
    body::<SchemaRequest>(bytes)?.into_schema().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidSchema,
            format!("Invalid schema type {}", e.0),
        )
    })
}

/// The `metadata` and `ruleSet` of a register, lookup or compatibility request (the shared
/// request type predates them). A field that is not Confluent's shape (a rule `kind` or `mode`
/// outside its enum) is refused as Jackson's mapping error is: HTTP 422, error code 422.
fn contract_request(bytes: &Bytes) -> Result<SchemaContract, ApiError> {
    #[derive(serde::Deserialize)]
    struct Contract {
        #[serde(default)]
        metadata: Option<Metadata>,
        #[serde(default, rename = "ruleSet")]
        rule_set: Option<RuleSet>,
    }
    let c: Contract = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(ErrorCode::Other(422), format!("Unprocessable entity: {e}")))?;
    Ok(SchemaContract {
        metadata: c.metadata,
        rule_set: c.rule_set,
    })
}

/// `answer` (a JSON object) with the stored schema's `metadata` and `ruleSet`, when it has
/// them, as Confluent's `Schema` and `SchemaString` carry them.
fn with_contract<T: Serialize>(answer: &T, stored: &StoredSchema) -> Response {
    let mut v = serde_json::to_value(answer).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        if let Some(m) = &stored.metadata {
            o.insert(
                "metadata".into(),
                serde_json::to_value(m).unwrap_or_default(),
            );
        }
        if let Some(r) = &stored.rule_set {
            o.insert(
                "ruleSet".into(),
                serde_json::to_value(r).unwrap_or_default(),
            );
        }
    }
    ok(&v)
}

fn flag(q: &Q, name: &str) -> bool {
    q.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn parse_version(v: &str) -> Result<Version, ApiError> {
    v.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidVersion,
            format!("The specified version '{v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
        )
    })
}

/// The schema text in the asked format: `format=serialized`, Protobuf as a base64
/// descriptor; `format=default`, Protobuf as `.proto` text also when it was registered as a
/// descriptor (Confluent's `ProtobufSchema.formattedString("default")`, its canonical text);
/// otherwise as registered.
fn schema_text(app: &App, s: &StoredSchema, q: &Q) -> Result<String, ApiError> {
    match q.get("format").map(String::as_str) {
        Some("serialized") => app.registry.serialized_form(s),
        Some("default") if s.schema_type == schemaflow::SchemaType::Protobuf => {
            Ok(serialized_as_text(&s.schema).unwrap_or_else(|| s.schema.clone()))
        }
        _ => Ok(s.schema.clone()),
    }
}

/// A schema served as itself (`…/schema` routes): a JSON text (Avro, JSON Schema) byte for
/// byte, as Confluent's `getSchemaOnly` answers the stored string — re-encoding it would
/// re-order its keys and lose the canonical text; other texts as a JSON string.
fn raw(text: String) -> Answer {
    match serde_json::value::RawValue::from_string(text.clone()) {
        Ok(json) => Ok(ok(&json)),
        Err(_) => Ok(ok(&serde_json::Value::String(text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Need, Operation, Resource, Scope};

    fn permission(path: &str, method: Method) -> Permission {
        routes()
            .into_iter()
            .find(|r| r.path == path && r.method == method)
            .map(|r| r.permission)
            .unwrap_or_else(|| panic!("no route {method} {path}"))
    }

    #[test]
    fn each_route_declares_its_permission() {
        use Permission::*;
        let cases = [
            ("/health", Method::GET, Open),
            ("/metrics", Method::GET, Authenticated),
            ("/", Method::GET, Authenticated),
            ("/subjects", Method::GET, Authenticated),
            ("/schemas/ids/{id}", Method::GET, Authenticated),
            ("/subjects/{subject}", Method::POST, Read(Scope::Subject)),
            ("/subjects/{subject}", Method::DELETE, Write(Scope::Subject)),
            (
                "/subjects/{subject}/versions",
                Method::GET,
                Read(Scope::Subject),
            ),
            (
                "/subjects/{subject}/versions",
                Method::POST,
                Write(Scope::Subject),
            ),
            (
                "/subjects/{subject}/versions/{version}",
                Method::GET,
                Read(Scope::Subject),
            ),
            (
                "/subjects/{subject}/versions/{version}",
                Method::DELETE,
                Write(Scope::Subject),
            ),
            ("/config", Method::GET, Read(Scope::Config)),
            ("/config", Method::PUT, Write(Scope::Config)),
            ("/config", Method::DELETE, Write(Scope::Config)),
            ("/mode", Method::PUT, Write(Scope::Config)),
            ("/config/{subject}", Method::GET, Read(Scope::Subject)),
            ("/mode/{subject}", Method::PUT, Write(Scope::Subject)),
            (
                "/compatibility/subjects/{subject}/versions/{version}",
                Method::POST,
                Read(Scope::Subject),
            ),
        ];
        for (path, method, expected) in cases {
            assert_eq!(
                permission(path, method.clone()),
                expected,
                "{method} {path}"
            );
        }
        assert_eq!(
            Write(Scope::Subject).need(Some("a/b")),
            Need::Allowed(Operation::Write, Resource::Subject("a/b".into()))
        );
    }

    #[test]
    fn subject_permissions_are_on_routes_with_a_subject_and_writes_change_something() {
        for r in routes() {
            if let Permission::Read(Scope::Subject) | Permission::Write(Scope::Subject) =
                r.permission
            {
                assert!(r.path.contains("{subject}"), "{} {}", r.method, r.path);
            }
            // The forwarding layer sends exactly the writes to the leader.
            let changes = r.method == Method::DELETE
                || r.method == Method::PUT
                || (r.method == Method::POST
                    && r.path.ends_with("/versions")
                    && r.path.starts_with("/subjects/"));
            assert_eq!(r.permission.is_write(), changes, "{} {}", r.method, r.path);
        }
    }
}
