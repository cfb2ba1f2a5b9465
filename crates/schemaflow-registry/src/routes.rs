//! The HTTP face of the embedded registry: Confluent's REST paths, JSON shapes, content type
//! and error bodies. Handlers are thin: parse, call [`Registry`], shape the answer.
//!
//! Every error answer is a Confluent error body (`{"error_code": …, "message": …}` in
//! [`CONTENT_TYPE`]), also those axum makes itself in plain text or with no body at all — a
//! body over the size limit (413), a path that does not decode (400), a method a route does
//! not have (405): `confluent_errors` rewrites them on the way out, keeping the status and
//! the headers (`Allow`, `Retry-After`, …). Confluent's clients read `error_code` from every
//! error and fail on a body they cannot parse.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::access_log::{record_route, AccessPrincipal};
use super::authz::{AuthFile, Authorizer, Denied, Principal};
use super::core::{ApiError, Registry};
use super::forward::{forward_writes, Forwarder};
use super::metrics::{track, Metrics};
use super::store::StoredSchema;
use schemaflow::registry::error::ErrorCode;
use schemaflow::registry::types::{
    CompatibilityLevel, Mode, RegisteredSchema, Schema, SchemaReference, Version,
};
use schemaflow::SchemaType;

/// The registry's JSON content type.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

#[derive(Clone)]
struct App {
    registry: Arc<Registry>,
    auth: Option<Arc<Authorizer>>,
    metrics: Metrics,
}

type Q = Query<HashMap<String, String>>;
/// The caller, as the `auth` layer identified them.
type Who = Extension<Principal>;

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
    let app = App {
        metrics: metrics.clone(),
        registry,
        auth: authorizer,
    };
    Router::new()
        .route("/", get(|| async { ok(json!({})) }))
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/metadata/id", get(metadata_id))
        .route("/openapi.json", get(openapi))
        .route(
            "/schemas/types",
            get(|| async { ok(json!(["JSON", "PROTOBUF", "AVRO"])) }),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/subjects", get(id_subjects))
        .route("/schemas/ids/{id}/versions", get(id_versions))
        .route("/schemas/guids/{guid}", get(schema_by_guid))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(raw_version),
        )
        .route(
            "/config",
            get(get_global_config)
                .put(put_global_config)
                .delete(delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(get_config).put(put_config).delete(delete_config),
        )
        .route("/mode", get(get_global_mode).put(put_global_mode))
        .route("/mode/{subject}", get(get_mode).put(put_mode))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compat_version),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compat_all),
        )
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
    let confluent_body = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(|v| v.get("error_code").is_some_and(Value::is_i64) && v.get("message").is_some());
    let body = match confluent_body {
        Some(v) => v,
        None => {
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
            json!({"error_code": status.as_u16(), "message": message})
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
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

/// The OpenAPI 3.1 document of the routes below (`tests/registry/openapi.rs` checks that it
/// lists every route and nothing else).
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`: [`OPENAPI`].
async fn openapi() -> Response {
    let mut r = (StatusCode::OK, OPENAPI).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /v1/metadata/id`: Confluent's `ServerClusterId` (`{"scope": {"path": [], "clusters":
/// {"kafka-cluster": …, "schema-registry-cluster": …}}}`; its empty `id` is left out, as its
/// `@JsonInclude(NON_EMPTY)` does). Without a Kafka store there is no Kafka cluster to name.
async fn metadata_id(State(app): State<App>) -> Response {
    let (kafka, group) = app.registry.cluster_ids();
    let mut clusters = serde_json::Map::new();
    if let Some(kafka) = kafka {
        clusters.insert("kafka-cluster".into(), json!(kafka));
    }
    clusters.insert("schema-registry-cluster".into(), json!(group));
    ok(json!({"scope": {"path": [], "clusters": clusters}}))
}

/// `GET /health`: this instance serves (it answers only after reading its store to the end)
/// and, on a Kafka store, who leads.
async fn health(State(app): State<App>) -> Response {
    let mut body = json!({"status": "UP", "ready": true});
    if let Some(l) = app.registry.leadership() {
        body["leader"] = json!(l.is_leader());
        body["leader_url"] = json!(l.leader_url());
    }
    ok(body)
}

/// Authentication and authorization, on the instance the client called (before a follower
/// forwards a write; the leader checks the forwarded credentials again).
async fn auth(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let principal = match &app.auth {
        None => Principal::anyone(),
        Some(authz) => {
            let need = super::authz::needed(req.method(), req.uri().path());
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match authz.check(given.as_deref(), need).await {
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
    let name = AccessPrincipal(principal.name().to_owned());
    req.extensions_mut().insert(principal);
    let mut response = next.run(req).await;
    response.extensions_mut().insert(name);
    response
}

/// Ids are served only to callers who may read a subject using them (else 40403, as if the
/// id did not exist, so ids cannot be probed). Answers the readable (subject, version)s.
fn readable_id(
    app: &App,
    who: &Principal,
    id: u32,
    deleted: bool,
) -> Result<Vec<(String, i32)>, ApiError> {
    let all = app.registry.id_versions(id, true)?;
    if !who.unrestricted() && !all.iter().any(|(s, _)| who.may_read(s)) {
        return Err(ApiError::new(
            ErrorCode::SchemaNotFound,
            format!("Schema {id} not found"),
        ));
    }
    Ok(app
        .registry
        .id_versions(id, deleted)?
        .into_iter()
        .filter(|(s, _)| who.may_read(s))
        .collect())
}

fn ok(body: Value) -> Response {
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

fn error(code: ErrorCode, message: &str) -> Response {
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error_code": code.code(), "message": message});
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.code, &self.message)
    }
}

type Answer = Result<Response, ApiError>;

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(ErrorCode::Other(400), format!("Malformed JSON body: {e}")))
}

fn flag(q: &Q, name: &str) -> bool {
    q.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn parse_id(id: &str) -> Result<u32, ApiError> {
    id.parse()
        .map_err(|_| ApiError::new(ErrorCode::SchemaNotFound, format!("Schema {id} not found")))
}

fn parse_version(v: &str) -> Result<Version, ApiError> {
    v.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidVersion,
            format!("The specified version '{v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
        )
    })
}

/// The schema text in the asked format (`format=serialized`: Protobuf as base64 descriptor).
fn schema_text(app: &App, s: &StoredSchema, q: &Q) -> Result<String, ApiError> {
    if q.get("format").is_some_and(|f| f == "serialized") {
        app.registry.serialized_form(s)
    } else {
        Ok(s.schema.clone())
    }
}

fn schema_json(
    text: String,
    schema_type: SchemaType,
    references: &[SchemaReference],
) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("schema".into(), json!(text));
    if schema_type != SchemaType::Avro {
        m.insert("schemaType".into(), json!(schema_type.as_str()));
    }
    if !references.is_empty() {
        m.insert("references".into(), json!(references));
    }
    m
}

fn registered_json(app: &App, r: &RegisteredSchema, q: &Q) -> Answer {
    let stored = StoredSchema {
        id: r.id.0,
        schema_type: r.schema.schema_type,
        schema: r.schema.schema.clone(),
        references: r.schema.references.clone(),
        guid: r.guid.clone().unwrap_or_default(),
    };
    let mut m = schema_json(
        schema_text(app, &stored, q)?,
        r.schema.schema_type,
        &r.schema.references,
    );
    m.insert("subject".into(), json!(r.subject));
    m.insert("version".into(), json!(r.version));
    m.insert("id".into(), json!(r.id.0));
    if let Some(g) = &r.guid {
        m.insert("guid".into(), json!(g));
    }
    Ok(ok(Value::Object(m)))
}

async fn schema_by_id(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let id = parse_id(&id)?;
    readable_id(&app, &who, id, true)?;
    let s = app.registry.schema_by_id(id)?;
    let mut m = schema_json(schema_text(&app, &s, &q)?, s.schema_type, &s.references);
    m.insert("guid".into(), json!(s.guid));
    Ok(ok(Value::Object(m)))
}

async fn raw_schema_by_id(
    State(app): State<App>,
    who: Who,
    Path(id): Path<String>,
    q: Q,
) -> Answer {
    let id = parse_id(&id)?;
    readable_id(&app, &who, id, true)?;
    let s = app.registry.schema_by_id(id)?;
    raw(schema_text(&app, &s, &q)?)
}

fn raw(text: String) -> Answer {
    // Avro schemas are JSON and served as such; other types as a JSON string.
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    Ok(ok(body))
}

async fn schema_by_guid(
    State(app): State<App>,
    who: Who,
    Path(guid): Path<String>,
    q: Q,
) -> Answer {
    let s = app.registry.schema_by_guid(&guid)?;
    readable_id(&app, &who, s.id, true).map_err(|_| {
        ApiError::new(
            ErrorCode::SchemaNotFound,
            format!("Schema {guid} not found"),
        )
    })?;
    let mut m = schema_json(schema_text(&app, &s, &q)?, s.schema_type, &s.references);
    m.insert("id".into(), json!(s.id));
    Ok(ok(Value::Object(m)))
}

async fn id_subjects(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let mut subjects: Vec<String> = readable_id(&app, &who, parse_id(&id)?, flag(&q, "deleted"))?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    subjects.dedup();
    Ok(ok(json!(subjects)))
}

async fn id_versions(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let vs: Vec<Value> = readable_id(&app, &who, parse_id(&id)?, flag(&q, "deleted"))?
        .into_iter()
        .map(|(s, v)| json!({"subject": s, "version": v}))
        .collect();
    Ok(ok(json!(vs)))
}

async fn subjects(State(app): State<App>, who: Who, q: Q) -> Answer {
    let prefix = q.get("subjectPrefix").map(String::as_str).unwrap_or("");
    let list: Vec<String> = app
        .registry
        .subjects(flag(&q, "deleted"))
        .into_iter()
        .filter(|s| s.starts_with(prefix) && who.may_read(s))
        .collect();
    Ok(ok(json!(list)))
}

#[derive(Deserialize)]
struct RegisterBody {
    schema: String,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<SchemaReference>,
    #[serde(default)]
    id: Option<u32>,
}

fn to_schema(b: RegisterBody) -> Result<(Schema, Option<u32>), ApiError> {
    let schema_type = match b.schema_type.as_deref() {
        None | Some("") => SchemaType::Avro,
        Some(t) => t.parse().map_err(|_| {
            ApiError::new(ErrorCode::InvalidSchema, format!("Invalid schema type {t}"))
        })?,
    };
    Ok((
        Schema {
            schema: b.schema,
            schema_type,
            references: b.references,
        },
        b.id,
    ))
}

async fn register(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    let (schema, id) = to_schema(body(&bytes)?)?;
    let r = app.registry.register(&subject, &schema, id)?;
    let mut answer = json!({"id": r.id.0});
    if let Some(g) = r.guid {
        answer["guid"] = json!(g);
    }
    Ok(ok(answer))
}

async fn lookup(State(app): State<App>, Path(subject): Path<String>, q: Q, bytes: Bytes) -> Answer {
    let (schema, _) = to_schema(body(&bytes)?)?;
    let r = app
        .registry
        .lookup(&subject, &schema, flag(&q, "deleted"))?;
    registered_json(&app, &r, &q)
}

async fn delete_subject(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    Ok(ok(json!(app
        .registry
        .delete_subject(&subject, flag(&q, "permanent"))?)))
}

async fn versions(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    Ok(ok(json!(app
        .registry
        .versions(&subject, flag(&q, "deleted"))?)))
}

async fn version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    let r = app
        .registry
        .version(&subject, parse_version(&v)?, flag(&q, "deleted"))?;
    registered_json(&app, &r, &q)
}

async fn raw_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    let r = app
        .registry
        .version(&subject, parse_version(&v)?, flag(&q, "deleted"))?;
    let s = app.registry.schema_by_id(r.id.0)?;
    raw(schema_text(&app, &s, &q)?)
}

async fn delete_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    Ok(ok(json!(app.registry.delete_version(
        &subject,
        parse_version(&v)?,
        flag(&q, "permanent")
    )?)))
}

#[derive(Deserialize)]
struct ConfigBody {
    compatibility: Option<String>,
    #[serde(rename = "compatibilityLevel")]
    compatibility_level: Option<String>,
}

fn level_from(bytes: &Bytes) -> Result<CompatibilityLevel, ApiError> {
    let b: ConfigBody = body(bytes)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidCompatibilityLevel,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
        )
    };
    b.compatibility
        .or(b.compatibility_level)
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())
}

async fn get_global_config(State(app): State<App>) -> Answer {
    Ok(ok(
        json!({"compatibilityLevel": app.registry.config(None, true)?}),
    ))
}

async fn put_global_config(State(app): State<App>, bytes: Bytes) -> Answer {
    Ok(ok(
        json!({"compatibility": app.registry.set_config(None, level_from(&bytes)?)?}),
    ))
}

async fn delete_global_config(State(app): State<App>) -> Answer {
    Ok(ok(
        json!({"compatibilityLevel": app.registry.delete_config(None)?}),
    ))
}

async fn get_config(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    Ok(ok(
        json!({"compatibilityLevel": app.registry.config(Some(&subject), flag(&q, "defaultToGlobal"))?}),
    ))
}

async fn put_config(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    Ok(ok(
        json!({"compatibility": app.registry.set_config(Some(&subject), level_from(&bytes)?)?}),
    ))
}

async fn delete_config(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    Ok(ok(
        json!({"compatibilityLevel": app.registry.delete_config(Some(&subject))?}),
    ))
}

#[derive(Deserialize)]
struct ModeBody {
    mode: String,
}

fn mode_from(bytes: &Bytes) -> Result<Mode, ApiError> {
    let b: ModeBody = body(bytes)?;
    serde_json::from_value(json!(b.mode.to_ascii_uppercase())).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidMode,
            "Invalid mode. Valid values are READWRITE, READONLY and IMPORT",
        )
    })
}

async fn get_global_mode(State(app): State<App>) -> Answer {
    Ok(ok(json!({"mode": app.registry.mode(None)})))
}

async fn put_global_mode(State(app): State<App>, bytes: Bytes) -> Answer {
    Ok(ok(
        json!({"mode": app.registry.set_mode(None, mode_from(&bytes)?)?}),
    ))
}

async fn get_mode(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    Ok(ok(json!({"mode": app.registry.mode(Some(&subject))})))
}

async fn put_mode(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    Ok(ok(
        json!({"mode": app.registry.set_mode(Some(&subject), mode_from(&bytes)?)?}),
    ))
}

fn compat_answer(r: schemaflow::registry::types::CompatibilityResult, verbose: bool) -> Response {
    if verbose {
        ok(json!({"is_compatible": r.is_compatible, "messages": r.messages}))
    } else {
        ok(json!({"is_compatible": r.is_compatible}))
    }
}

async fn compat_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
    bytes: Bytes,
) -> Answer {
    let (schema, _) = to_schema(body(&bytes)?)?;
    let r = app
        .registry
        .check_compatibility(&subject, Some(parse_version(&v)?), &schema)?;
    Ok(compat_answer(r, flag(&q, "verbose")))
}

async fn compat_all(
    State(app): State<App>,
    Path(subject): Path<String>,
    q: Q,
    bytes: Bytes,
) -> Answer {
    let (schema, _) = to_schema(body(&bytes)?)?;
    let r = app.registry.check_compatibility(&subject, None, &schema)?;
    Ok(compat_answer(r, flag(&q, "verbose")))
}
