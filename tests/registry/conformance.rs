//! Issue 28, item 3: a conformance suite of the REST API — one case per route and error case,
//! each with the answer Confluent Schema Registry gives (status, `error_code`, body shape),
//! cited from its source (`confluentinc/schema-registry`, `core/src/main/java/io/confluent/
//! kafka/schemaregistry/…`: `rest/resources/*Resource.java`, `rest/exceptions/Errors.java`,
//! `storage/KafkaSchemaRegistry.java`, and the expectations of `core/src/test/java/…/rest/
//! RestApiTest.java`).
//!
//! Every case runs three ways:
//! * `conformance::memory::*`: against one registry kept in memory, shared by the cases;
//! * `conformance::kafka::*`: against one registry on a `_schemas`-format topic of the test
//!   broker, shared by the cases;
//! * `conformance::remote::*` (ignored unless asked for): against the registry at
//!   `SCHEMAFLOW_CONFORMANCE_URL` — yours, Confluent's, Karapace's:
//!   `SCHEMAFLOW_CONFORMANCE_URL=http://localhost:8081 cargo test --test registry -- conformance::remote --ignored`.
//!
//! The cases share a server, so each one works on subjects of its own (named with a per-run
//! tag) and none changes the global config or mode: they run in parallel, and against a
//! registry that holds other data. No case sleeps.

use crate::common;
use crate::http::Http;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::broker::{broker, rand_topic};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};
use serde_json::{json, Value};

/// The env var naming a registry to run the suite against.
pub const URL_ENV: &str = "SCHEMAFLOW_CONFORMANCE_URL";

/// A registry started once for the whole test binary on a runtime of its own (each test has
/// its own runtime, which would stop a server started on it when the test ends).
fn shared(config: fn() -> ServerConfig) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("conformance-registry".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = EmbeddedRegistry::start(config(), Arc::new(CompatibilityEngine))
                    .await
                    .expect("the shared registry starts");
                tx.send(server.url().to_string()).expect("send the URL");
                // Serves until the test process ends.
                std::future::pending::<()>().await;
            });
        })
        .expect("thread");
    rx.recv().expect("the shared registry's URL")
}

fn memory_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        shared(|| ServerConfig::default().listen("127.0.0.1:0".parse().expect("address")))
    })
}

fn kafka_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        shared(|| {
            ServerConfig::default()
                .listen("127.0.0.1:0".parse().expect("address"))
                .kafka_store(
                    KafkaStoreConfig::new(broker().bootstrap.clone())
                        .topic(rand_topic("conformance"))
                        .timeout(Duration::from_secs(20)),
                )
        })
    })
}

fn remote_url() -> String {
    match std::env::var(URL_ENV) {
        Ok(u) if !u.trim().is_empty() => u.trim().trim_end_matches('/').to_string(),
        _ => panic!("set {URL_ENV} to the registry to check (these cases run only with --ignored)"),
    }
}

/// A subject of this run: the same name never meets another run's data on a shared registry.
fn subject(name: &str) -> String {
    static RUN: OnceLock<String> = OnceLock::new();
    let run = RUN.get_or_init(|| format!("{:08x}", fastrand::u32(..)));
    format!("conf-{run}-{name}")
}

/// An Avro record named `name` with string fields `fields`.
fn avro(name: &str, fields: &[&str]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| json!({"name": f, "type": "string"}))
        .collect();
    json!({"type": "record", "name": name, "fields": fields}).to_string()
}

/// Register `schema` (Avro) under `subject`; its id.
async fn register(h: &Http, subject: &str, schema: &str) -> u64 {
    let (status, body) = h
        .post(
            &format!("/subjects/{subject}/versions"),
            json!({ "schema": schema }),
        )
        .await;
    assert_eq!(status, 200, "register under {subject}: {body}");
    body["id"].as_u64().expect("an id")
}

/// Confluent's error body: `{"error_code": code, "message": "…"}` with the HTTP status of the
/// code's first three digits (`rest/exceptions/Errors.java`, rest-utils' `RestException`).
fn assert_error(status: u16, body: &Value, code: u64) {
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (u16::try_from(code / 100).unwrap_or(0), Some(code)),
        "expected error {code}: {body}"
    );
    assert!(
        body["message"].is_string(),
        "an error has a message: {body}"
    );
}

// ---- the server ----------------------------------------------------------------------------

/// `GET /`: `RootResource.get` answers an empty JSON object.
async fn root_is_an_empty_object(h: Http) {
    let (status, body) = h.get("/").await;
    assert_eq!((status, body), (200, json!({})));
}

/// `GET /schemas/types`: the providers' types (`SchemasResource.getSchemaTypes`).
async fn schema_types_list_the_three_formats(h: Http) {
    let (status, body) = h.get("/schemas/types").await;
    assert_eq!(status, 200);
    let mut types: Vec<&str> = body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["AVRO", "JSON", "PROTOBUF"]);
}

/// `GET /contexts`: `ContextsResource.listContexts` → `KafkaSchemaRegistry.listContexts`,
/// which always lists the default context "." first.
async fn contexts_list_the_default_context(h: Http) {
    let (status, body) = h.get("/contexts").await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().and_then(|a| a.first()), Some(&json!(".")));
}

/// `GET /v1/metadata/id`: `ServerMetadataResource.getClusterId`, a `ServerClusterId`:
/// `{"scope": {"path": [], "clusters": {…}}}`.
async fn metadata_id_is_a_server_cluster_id(h: Http) {
    let (status, body) = h.get("/v1/metadata/id").await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"]["path"], json!([]), "{body}");
    assert!(body["scope"]["clusters"].is_object(), "{body}");
}

/// `GET /v1/metadata/version`: `ServerMetadataResource.getSchemaRegistryVersion`, a
/// `SchemaRegistryServerVersion` (`version`, `commitId`).
async fn metadata_version_names_a_version(h: Http) {
    let (status, body) = h.get("/v1/metadata/version").await;
    assert_eq!(status, 200);
    assert!(body["version"].is_string(), "{body}");
    assert!(body["commitId"].is_string(), "{body}");
}

// ---- subjects and versions -----------------------------------------------------------------

/// `POST /subjects/{s}/versions` answers `{"id": n}` (`RegisterSchemaResponse`); `GET
/// …/versions/{v}` a `Schema` with `subject`, `version`, `id`, `schema` and no `schemaType`
/// for Avro (`SchemaTypeConverter` drops the default); the same schema again is the same id
/// and no new version (`RestApiTest.testRegisterSameSchemaOnDifferentSubject` & co.).
async fn register_then_get_the_version(h: Http) {
    let s = subject("register");
    let text = avro("Reg", &["a"]);
    let id = register(&h, &s, &text).await;
    assert_eq!(
        register(&h, &s, &text).await,
        id,
        "the same schema, the same id"
    );
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1")).await;
    assert_eq!(status, 200);
    assert_eq!(body["subject"], json!(s));
    assert_eq!(body["version"], json!(1));
    assert_eq!(body["id"], json!(id));
    assert!(body["schema"].is_string());
    assert!(body.get("schemaType").is_none_or(Value::is_null), "{body}");
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.get(&format!("/subjects/{s}/versions/latest")).await;
    assert_eq!((status, body["version"].clone()), (200, json!(1)));
}

/// The same schema under another subject keeps its id (ids are global:
/// `KafkaSchemaRegistry.register` looks the schema up by hash first).
async fn an_id_is_shared_between_subjects(h: Http) {
    let text = avro("Shared", &["a"]);
    let a = register(&h, &subject("shared-a"), &text).await;
    let b = register(&h, &subject("shared-b"), &text).await;
    assert_eq!(a, b);
}

/// `GET /subjects` lists registered subjects, `subjectPrefix` filters them.
async fn subjects_list_and_prefix(h: Http) {
    let s = subject("listed");
    register(&h, &s, &avro("Listed", &["a"])).await;
    let (status, body) = h.get("/subjects").await;
    assert_eq!(status, 200);
    assert!(body.as_array().expect("a list").contains(&json!(s)));
    let (status, body) = h.get(&format!("/subjects?subjectPrefix={s}")).await;
    assert_eq!((status, body), (200, json!([s])));
}

/// `Errors.subjectNotFoundException`: 40401.
async fn an_unknown_subject_is_40401(h: Http) {
    let s = subject("nobody");
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_error(status, &body, 40401);
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1")).await;
    assert_error(status, &body, 40401);
}

/// `Errors.versionNotFoundException`: 40402; a version that is not a number nor `latest`:
/// `Errors.invalidVersionException`, 42202.
async fn an_unknown_or_invalid_version(h: Http) {
    let s = subject("versions");
    register(&h, &s, &avro("Versions", &["a"])).await;
    let (status, body) = h.get(&format!("/subjects/{s}/versions/7")).await;
    assert_error(status, &body, 40402);
    let (status, body) = h.get(&format!("/subjects/{s}/versions/one")).await;
    assert_error(status, &body, 42202);
}

/// `GET …/versions/{v}/schema`: the schema text alone (`SubjectVersionsResource.getSchemaOnly`).
async fn the_schema_alone_of_a_version(h: Http) {
    let s = subject("raw");
    register(&h, &s, r#""string""#).await;
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1/schema")).await;
    assert_eq!((status, body), (200, json!("string")));
}

/// An invalid schema: `Errors.invalidSchemaException`, 42201.
async fn an_invalid_schema_is_42201(h: Http) {
    let (status, body) = h
        .post(
            &format!("/subjects/{}/versions", subject("invalid")),
            json!({"schema": "{\"type\":\"record\",\"name\":\"X\"}"}),
        )
        .await;
    assert_error(status, &body, 42201);
}

/// An incompatible schema: 409 with `error_code` 409 (`Errors.incompatibleSchemaException`:
/// `IncompatibleSchemaException`, code 409).
async fn an_incompatible_schema_is_409(h: Http) {
    let s = subject("incompatible");
    register(&h, &s, &avro("Inc", &["a"])).await;
    let (status, body) = h
        .put(
            &format!("/config/{s}"),
            json!({"compatibility": "BACKWARD"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A new field without a default: old data cannot be read (BACKWARD).
    let (status, body) = h
        .post(
            &format!("/subjects/{s}/versions"),
            json!({"schema": avro("Inc", &["a", "b"])}),
        )
        .await;
    // RestIncompatibleSchemaException.DEFAULT_ERROR_CODE is Response.Status.CONFLICT: 409,
    // not a five-digit code.
    assert_eq!((status, &body["error_code"]), (409, &json!(409)), "{body}");
    assert!(body["message"].is_string(), "{body}");
}

/// `POST /subjects/{s}` (lookup): the version with this schema; another schema:
/// `Errors.schemaNotFoundException`, 40403; an unknown subject: 40401.
async fn lookup_under_a_subject(h: Http) {
    let s = subject("lookup");
    let text = avro("Look", &["a"]);
    let id = register(&h, &s, &text).await;
    let (status, body) = h
        .post(&format!("/subjects/{s}"), json!({ "schema": text }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["id"].clone(), body["version"].clone()),
        (json!(id), json!(1))
    );
    let (status, body) = h
        .post(
            &format!("/subjects/{s}"),
            json!({"schema": avro("Other", &["z"])}),
        )
        .await;
    assert_error(status, &body, 40403);
    let (status, body) = h
        .post(
            &format!("/subjects/{}", subject("lookup-nobody")),
            json!({ "schema": text }),
        )
        .await;
    assert_error(status, &body, 40401);
}

// ---- schemas by id and guid ----------------------------------------------------------------

/// `GET /schemas/ids/{id}`: `{"schema": …}` (`SchemasResource.getSchema`); `/schema` the text
/// alone; `/subjects` the subjects; `/versions` `[{"subject", "version"}]`; an unknown id:
/// 40403.
async fn schemas_by_id(h: Http) {
    let s = subject("by-id");
    let id = register(&h, &s, &avro("ById", &["a"])).await;
    let (status, body) = h.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 200);
    assert!(body["schema"].is_string(), "{body}");
    let (status, body) = h.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], json!("record"), "{body}");
    let (status, body) = h.get(&format!("/schemas/ids/{id}/subjects")).await;
    assert_eq!((status, body), (200, json!([s])));
    let (status, body) = h.get(&format!("/schemas/ids/{id}/versions")).await;
    assert_eq!((status, body), (200, json!([{"subject": s, "version": 1}])));
    let (status, body) = h.get("/schemas/ids/2000000000").await;
    assert_error(status, &body, 40403);
}

/// `GET /schemas/guids/{guid}` (Confluent 8): the schema under the guid the registration
/// answered; an unknown guid: 40403.
async fn schemas_by_guid(h: Http) {
    let s = subject("by-guid");
    let text = avro("ByGuid", &["a"]);
    let (status, body) = h
        .post(
            &format!("/subjects/{s}/versions"),
            json!({ "schema": text }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let guid = body["guid"]
        .as_str()
        .expect("Confluent 8 answers the guid")
        .to_string();
    let (status, body) = h.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["schema"].is_string(), "{body}");
    let (status, body) = h
        .get("/schemas/guids/00000000-0000-0000-0000-000000000000")
        .await;
    assert_error(status, &body, 40403);
}

/// `?format=serialized` on a Protobuf schema: the `FileDescriptorProto` in base64
/// (`ProtobufSchema.formattedString("serialized")`).
async fn protobuf_format_serialized(h: Http) {
    let s = subject("proto");
    let (status, body) = h
        .post(
            &format!("/subjects/{s}/versions"),
            json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\npackage conf;\n\nmessage Ping {\n  string id = 1;\n}\n"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_u64().expect("id");
    let (status, body) = h.get(&format!("/schemas/ids/{id}?format=serialized")).await;
    assert_eq!(status, 200);
    assert_eq!(body["schemaType"], json!("PROTOBUF"));
    let text = body["schema"].as_str().expect("schema");
    assert!(
        !text.contains("syntax")
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
        "base64: {text}"
    );
}

// ---- references ----------------------------------------------------------------------------

/// References resolve by subject and version; `GET …/versions/{v}/referencedby` lists the ids
/// of the schemas referencing that version (`SubjectVersionsResource.getReferencedBy` →
/// `KafkaSchemaRegistry.getReferencedBy`, sorted), `[]` when none; an unknown version: 40402;
/// deleting a referenced version: 42206.
async fn references_and_referenced_by(h: Http) {
    let base = subject("ref-base");
    let base_id = register(
        &h,
        &base,
        &json!({"type": "record", "name": "Base", "namespace": "conf", "fields": [{"name": "a", "type": "string"}]}).to_string(),
    )
    .await;
    let (status, body) = h
        .get(&format!("/subjects/{base}/versions/1/referencedby"))
        .await;
    assert_eq!((status, body), (200, json!([])));
    let mut ids = Vec::new();
    for n in ["ref-user-1", "ref-user-2"] {
        let (status, body) = h
            .post(
                &format!("/subjects/{}/versions", subject(n)),
                json!({
                    "schema": json!({"type": "record", "name": format!("U{}", n.len() + ids.len()), "namespace": "conf", "fields": [{"name": "b", "type": "conf.Base"}]}).to_string(),
                    "references": [{"name": "conf.Base", "subject": base, "version": 1}],
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].as_u64().expect("id"));
    }
    ids.sort_unstable();
    assert!(!ids.contains(&base_id));
    let (status, body) = h
        .get(&format!("/subjects/{base}/versions/1/referencedby"))
        .await;
    assert_eq!((status, body), (200, json!(ids)));
    let (status, body) = h
        .get(&format!("/subjects/{base}/versions/latest/referencedby"))
        .await;
    assert_eq!((status, body), (200, json!(ids)));
    let (status, body) = h
        .get(&format!("/subjects/{base}/versions/9/referencedby"))
        .await;
    assert_error(status, &body, 40402);
    // A referenced version cannot be deleted (KafkaSchemaRegistry.deleteSchemaVersion:
    // ReferenceExistsException, 42206).
    let (status, body) = h.delete(&format!("/subjects/{base}/versions/1")).await;
    assert_error(status, &body, 42206);
}

// ---- compatibility -------------------------------------------------------------------------

/// `POST /compatibility/subjects/{s}/versions/{v}`: `{"is_compatible": bool}`, with
/// `verbose=true` also `messages` (`CompatibilityResource.testCompatibilityBySubjectName`,
/// `CompatibilityCheckResponse`); an unknown version: 40402.
async fn compatibility_with_verbose(h: Http) {
    let s = subject("compat");
    register(&h, &s, &avro("Compat", &["a"])).await;
    let (status, body) = h
        .put(
            &format!("/config/{s}"),
            json!({"compatibility": "BACKWARD"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/compatibility/subjects/{s}/versions/latest");
    let (status, body) = h
        .post(&path, json!({"schema": avro("Compat", &["a", "b"])}))
        .await;
    assert_eq!(
        (status, body["is_compatible"].clone()),
        (200, json!(false)),
        "{body}"
    );
    let (status, body) = h
        .post(
            &format!("{path}?verbose=true"),
            json!({"schema": avro("Compat", &["a", "b"])}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["is_compatible"], json!(false));
    assert!(
        body["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (status, body) = h
        .post(
            &format!("/compatibility/subjects/{s}/versions"),
            json!({"schema": avro("Compat", &["a"])}),
        )
        .await;
    assert_eq!(
        (status, body["is_compatible"].clone()),
        (200, json!(true)),
        "{body}"
    );
    let (status, body) = h
        .post(
            &format!("/compatibility/subjects/{s}/versions/5"),
            json!({"schema": avro("Compat", &["a"])}),
        )
        .await;
    assert_error(status, &body, 40402);
}

// ---- config --------------------------------------------------------------------------------

/// `GET /config`: `{"compatibilityLevel": …}` (`ConfigResource.getTopLevelConfig`).
async fn global_config_has_a_level(h: Http) {
    let (status, body) = h.get("/config").await;
    assert_eq!(status, 200);
    assert!(body["compatibilityLevel"].is_string(), "{body}");
}

/// `PUT /config/{s}` answers the request (`{"compatibility": …}`); `GET` it back as
/// `compatibilityLevel`; a subject without a level: `Errors.subjectLevelCompatibilityNotConfigured
/// Exception`, 40408, unless `defaultToGlobal=true`; `DELETE` answers the level it removed; an
/// unknown level: `Errors.invalidCompatibilityLevelException`, 42203.
async fn subject_config(h: Http) {
    let s = subject("config");
    let (status, body) = h.get(&format!("/config/{s}")).await;
    assert_error(status, &body, 40408);
    let (status, body) = h.get(&format!("/config/{s}?defaultToGlobal=true")).await;
    assert_eq!(status, 200);
    assert!(body["compatibilityLevel"].is_string(), "{body}");
    let (status, body) = h
        .put(&format!("/config/{s}"), json!({"compatibility": "FULL"}))
        .await;
    assert_eq!((status, body), (200, json!({"compatibility": "FULL"})));
    let (status, body) = h.get(&format!("/config/{s}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["compatibilityLevel"], json!("FULL"));
    let (status, body) = h.delete(&format!("/config/{s}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["compatibilityLevel"], json!("FULL"), "{body}");
    let (status, body) = h.get(&format!("/config/{s}")).await;
    assert_error(status, &body, 40408);
    let (status, body) = h
        .put(
            &format!("/config/{s}"),
            json!({"compatibility": "SIDEWAYS"}),
        )
        .await;
    assert_error(status, &body, 42203);
}

// ---- mode ----------------------------------------------------------------------------------

/// `GET /mode`: `{"mode": …}` (`ModeResource.getTopLevelMode`).
async fn global_mode_has_a_mode(h: Http) {
    let (status, body) = h.get("/mode").await;
    assert_eq!(status, 200);
    assert!(body["mode"].is_string(), "{body}");
}

/// `GET /mode/{s}` with no subject-level mode: `Errors.subjectLevelModeNotConfiguredException`,
/// 40409, unless `defaultToGlobal=true` (`ModeResource.getMode`); `PUT` answers the request;
/// READONLY refuses registrations with `Errors.operationNotPermittedException`, 42205; `DELETE`
/// answers the mode removed, and with none set `Errors.subjectNotFoundException`, 40401
/// (`ModeResource.deleteSubjectMode`); an unknown mode: 42204.
async fn subject_mode(h: Http) {
    let s = subject("mode");
    register(&h, &s, &avro("Mode", &["a"])).await;
    let (status, body) = h.get(&format!("/mode/{s}")).await;
    assert_error(status, &body, 40409);
    let (status, body) = h.get(&format!("/mode/{s}?defaultToGlobal=true")).await;
    assert_eq!(status, 200);
    assert!(body["mode"].is_string(), "{body}");
    let (status, body) = h
        .put(&format!("/mode/{s}"), json!({"mode": "READONLY"}))
        .await;
    assert_eq!((status, body), (200, json!({"mode": "READONLY"})));
    let (status, body) = h.get(&format!("/mode/{s}")).await;
    assert_eq!((status, body), (200, json!({"mode": "READONLY"})));
    let (status, body) = h
        .post(
            &format!("/subjects/{s}/versions"),
            json!({"schema": avro("Mode", &["a", "b"])}),
        )
        .await;
    assert_error(status, &body, 42205);
    let (status, body) = h.delete(&format!("/mode/{s}")).await;
    assert_eq!((status, body), (200, json!({"mode": "READONLY"})));
    let (status, body) = h.delete(&format!("/mode/{s}")).await;
    assert_error(status, &body, 40401);
    let (status, body) = h
        .put(&format!("/mode/{s}"), json!({"mode": "SOMETIMES"}))
        .await;
    assert_error(status, &body, 42204);
}

// ---- deletes -------------------------------------------------------------------------------

/// Version deletes (`SubjectVersionsResource.deleteSchemaVersion`): a soft delete answers the
/// version; the version is gone from the list but shows with `deleted=true` and alone with
/// `deletedOnly=true`; deleting it softly again: 40406; a permanent delete of a live version:
/// 40407; then permanently: the answer is the version, and the schema nothing uses any more no
/// longer resolves by id (40403).
async fn version_deletes(h: Http) {
    let s = subject("del-version");
    let (status, body) = h
        .put(&format!("/config/{s}"), json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let v1 = register(&h, &s, &avro("Del", &["a"])).await;
    register(&h, &s, &avro("Del2", &["a"])).await;
    let (status, body) = h
        .delete(&format!("/subjects/{s}/versions/2?permanent=true"))
        .await;
    assert_error(status, &body, 40407);
    let (status, body) = h.delete(&format!("/subjects/{s}/versions/1")).await;
    assert_eq!((status, body), (200, json!(1)));
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_eq!((status, body), (200, json!([2])));
    let (status, body) = h.get(&format!("/subjects/{s}/versions?deleted=true")).await;
    assert_eq!((status, body), (200, json!([1, 2])));
    let (status, body) = h
        .get(&format!("/subjects/{s}/versions?deletedOnly=true"))
        .await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.delete(&format!("/subjects/{s}/versions/1")).await;
    assert_error(status, &body, 40406);
    // Soft-deleted, the id still resolves (data written with it must stay readable).
    let (status, _) = h.get(&format!("/schemas/ids/{v1}")).await;
    assert_eq!(status, 200);
    let (status, body) = h
        .delete(&format!("/subjects/{s}/versions/1?permanent=true"))
        .await;
    assert_eq!((status, body), (200, json!(1)));
    let (status, body) = h.get(&format!("/schemas/ids/{v1}")).await;
    assert_error(status, &body, 40403);
    let (status, body) = h
        .get(&format!("/subjects/{s}/versions/1?deleted=true"))
        .await;
    assert_error(status, &body, 40402);
}

/// Subject deletes (`SubjectsResource.deleteSubject`): soft answers the versions; the subject
/// leaves `/subjects`, shows with `deleted=true`, and alone with `deletedOnly=true` (subjects
/// whose every version is soft-deleted: `KafkaSchemaRegistry.extractUniqueSubjects`); soft
/// again: 40404; permanent before soft: 40405; permanent after: the versions, and the subject
/// is unknown (40401).
async fn subject_deletes(h: Http) {
    let s = subject("del-subject");
    let live = subject("del-subject-live");
    register(&h, &s, &avro("DelS", &["a"])).await;
    register(&h, &live, &avro("DelLive", &["a"])).await;
    let (status, body) = h.delete(&format!("/subjects/{s}?permanent=true")).await;
    assert_error(status, &body, 40405);
    let (status, body) = h.delete(&format!("/subjects/{s}")).await;
    assert_eq!((status, body), (200, json!([1])));
    let prefix = subject("del-subject");
    let (status, body) = h.get(&format!("/subjects?subjectPrefix={prefix}")).await;
    assert_eq!((status, body), (200, json!([live])));
    let (status, body) = h
        .get(&format!("/subjects?subjectPrefix={prefix}&deleted=true"))
        .await;
    assert_eq!((status, body), (200, json!([s, live])));
    let (status, body) = h
        .get(&format!(
            "/subjects?subjectPrefix={prefix}&deletedOnly=true"
        ))
        .await;
    assert_eq!((status, body), (200, json!([s])));
    let (status, body) = h.delete(&format!("/subjects/{s}")).await;
    assert_error(status, &body, 40404);
    let (status, body) = h.delete(&format!("/subjects/{s}?permanent=true")).await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.get(&format!("/subjects/{s}/versions?deleted=true")).await;
    assert_error(status, &body, 40401);
}

// ---- normalize and canonical text ----------------------------------------------------------

/// `normalize=true`: schemas that normalize alike are one version and one id
/// (`KafkaSchemaRegistry.register` with `normalize`, `JsonSchema.normalize` sorts keys).
async fn normalize_makes_key_order_irrelevant(h: Http) {
    let s = subject("normalize");
    let path = format!("/subjects/{s}/versions?normalize=true");
    let (status, a) = h
        .post(
            &path,
            json!({"schemaType": "JSON", "schema": r#"{"type":"object","title":"N","properties":{"a":{"type":"string"}}}"#}),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    let (status, b) = h
        .post(
            &path,
            json!({"schemaType": "JSON", "schema": r#"{"properties":{"a":{"type":"string"}},"title":"N","type":"object"}"#}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(a["id"], b["id"]);
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_eq!((status, body), (200, json!([1])));
}

/// JSON Schema text is stored and answered in its canonical string, as Confluent's
/// `KafkaSchemaRegistry.canonicalizeSchema` stores `parsedSchema.canonicalString()`
/// (`JsonSchema.canonicalString`: compact JSON, keys in the order written).
async fn json_schema_text_is_canonical(h: Http) {
    let s = subject("json-canonical");
    let (status, body) = h
        .post(
            &format!("/subjects/{s}/versions"),
            json!({"schemaType": "JSON", "schema": "{\n  \"type\": \"object\",\n  \"title\": \"C\"\n}"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1")).await;
    assert_eq!(status, 200);
    assert_eq!(body["schema"], json!(r#"{"type":"object","title":"C"}"#));
    assert_eq!(body["schemaType"], json!("JSON"));
}

/// Avro text is stored and answered in Confluent's canonical string: `canonicalizeSchema`
/// stores `AvroSchema.canonicalString()`, Avro Java's `Schema.toString()` — compact, Avro's own
/// key order (`type`, `name`, `namespace`, `doc`, `fields`…), `{"type":"string"}` as
/// `"string"`, an ascending `order` dropped, custom attributes kept in the order written. Every
/// route answers that text: `…/versions/{v}` and `/schemas/ids/{id}` in `schema`, the raw
/// routes byte for byte, and the lookup (`lookUpSchemaUnderSubject` answers the canonicalized
/// request); the same schema written otherwise is the same id and version (the lookup cache
/// hashes the canonical string).
async fn avro_text_is_canonical(h: Http) {
    let s = subject("avro-canonical");
    let written = "{\n  \"fields\": [\n    {\"type\": {\"type\": \"string\"}, \"name\": \"a\", \"order\": \"ascending\"},\n    {\"name\": \"b\", \"default\": 1, \"type\": \"long\", \"x-z\": true, \"x-a\": 0}\n  ],\n  \"x-owner\": \"team\",\n  \"name\": \"Canon\",\n  \"namespace\": \"conf\",\n  \"type\": \"record\"\n}";
    let canonical = concat!(
        r#"{"type":"record","name":"Canon","namespace":"conf","fields":["#,
        r#"{"name":"a","type":"string"},"#,
        r#"{"name":"b","type":"long","default":1,"x-z":true,"x-a":0}],"x-owner":"team"}"#
    );
    let id = register(&h, &s, written).await;
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1")).await;
    assert_eq!(
        (status, &body["schema"]),
        (200, &json!(canonical)),
        "{body}"
    );
    let (status, body) = h.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(
        (status, &body["schema"]),
        (200, &json!(canonical)),
        "{body}"
    );
    for raw in [
        format!("/subjects/{s}/versions/1/schema"),
        format!("/schemas/ids/{id}/schema"),
    ] {
        let (status, text) = h.get_text(&raw).await;
        assert_eq!((status, text.as_str()), (200, canonical), "{raw}");
    }
    let (status, body) = h
        .post(&format!("/subjects/{s}"), json!({ "schema": written }))
        .await;
    assert_eq!(
        (status, &body["schema"]),
        (200, &json!(canonical)),
        "{body}"
    );
    assert_eq!((&body["id"], &body["version"]), (&json!(id), &json!(1)));
    // The canonical text itself, and a primitive spelled as an object, are the same schema.
    assert_eq!(register(&h, &s, canonical).await, id);
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_eq!((status, body), (200, json!([1])));
    let p = subject("avro-canonical-primitive");
    let prim = register(&h, &p, r#"{"type": "string"}"#).await;
    assert_eq!(register(&h, &p, r#""string""#).await, prim);
    let (status, text) = h.get_text(&format!("/schemas/ids/{prim}/schema")).await;
    assert_eq!((status, text.as_str()), (200, r#""string""#));
}

/// Avro with `normalize=true`: Confluent stores the canonical string of
/// `AvroSchemaUtils.toNormalizedString` (`AvroSchema.normalize`), whose custom attributes are
/// sorted (`setSimpleProps` copies them into a `TreeMap`), a logical type's own attributes
/// first (`writeLogicalType`), aliases sorted (`TreeSet`); so two texts that differ in the
/// order of their attributes are one version and one id when normalized, two otherwise.
async fn avro_normalize_sorts_attributes(h: Http) {
    let s = subject("avro-normalize");
    let path = format!("/subjects/{s}/versions?normalize=true");
    let a = r#"{"type":"record","name":"Norm","fields":[{"name":"d","type":{"type":"bytes","scale":2,"precision":5,"logicalType":"decimal"}}],"x-b":1,"x-a":2,"aliases":["Z","Y"]}"#;
    let b = r#"{"x-a":2,"aliases":["Z","Y"],"x-b":1,"type":"record","name":"Norm","fields":[{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}]}"#;
    let (status, first) = h.post(&path, json!({ "schema": a })).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = h.post(&path, json!({ "schema": b })).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(first["id"], second["id"]);
    let (status, text) = h
        .get_text(&format!("/subjects/{s}/versions/1/schema"))
        .await;
    assert_eq!(
        (status, text.as_str()),
        (
            200,
            concat!(
                r#"{"type":"record","name":"Norm","fields":[{"name":"d","type":"#,
                r#"{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}],"#,
                r#""x-a":2,"x-b":1,"aliases":["Y","Z"]}"#
            )
        )
    );
    // Not normalized, attribute order counts: another version.
    let plain = subject("avro-normalize-plain");
    let x = register(&h, &plain, a).await;
    let (status, body) = h
        .put(
            &format!("/config/{plain}"),
            json!({"compatibility": "NONE"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let y = register(&h, &plain, b).await;
    assert_ne!(x, y);
}

/// `normalize=true` also normalizes the references: `AvroSchema.normalize` keeps
/// `references.stream().sorted().distinct()` (`SchemaReference.compareTo`: subject, then
/// version), so the same references listed in another order, or twice, are the same schema
/// and are stored sorted.
async fn normalize_sorts_references(h: Http) {
    let (a, b) = (subject("normref-a"), subject("normref-b"));
    register(
        &h,
        &a,
        &json!({"type": "record", "name": "NA", "namespace": "conf", "fields": []}).to_string(),
    )
    .await;
    register(
        &h,
        &b,
        &json!({"type": "record", "name": "NB", "namespace": "conf", "fields": []}).to_string(),
    )
    .await;
    let text = json!({"type": "record", "name": "NUser", "namespace": "conf", "fields": [
        {"name": "a", "type": "conf.NA"}, {"name": "b", "type": "conf.NB"}]})
    .to_string();
    let ref_a = json!({"name": "conf.NA", "subject": a, "version": 1});
    let ref_b = json!({"name": "conf.NB", "subject": b, "version": 1});
    let s = subject("normref-user");
    let path = format!("/subjects/{s}/versions?normalize=true");
    let mut ids = Vec::new();
    for refs in [
        json!([ref_b, ref_a]),
        json!([ref_a, ref_b]),
        json!([ref_b, ref_a, ref_b]),
    ] {
        let (status, body) = h
            .post(&path, json!({"schema": text, "references": refs}))
            .await;
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].clone());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let (status, body) = h.get(&format!("/subjects/{s}/versions/1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["references"], json!([ref_a, ref_b]), "{body}");
    let (status, body) = h.get(&format!("/subjects/{s}/versions")).await;
    assert_eq!((status, body), (200, json!([1])));
}

/// Subject deletes and references (`KafkaSchemaRegistry.deleteSubject`): version by version
/// — the live ones softly, all of them permanently — a version another schema references
/// stops the delete with `ReferenceExistsException` (42206), checked before "not soft-deleted
/// first" (40405); a soft-deleted referrer still counts (`lookupCache.referencesSchema`), a
/// permanently deleted one no longer does. A permanent version delete of a referenced live
/// version is 42206 too (`deleteSchemaVersion` checks references first, then 40407).
async fn a_referenced_subject_cannot_be_deleted(h: Http) {
    let base = subject("refdel-base");
    let user = subject("refdel-user");
    register(
        &h,
        &base,
        &json!({"type": "record", "name": "RefDel", "namespace": "conf", "fields": [{"name": "a", "type": "string"}]}).to_string(),
    )
    .await;
    let (status, body) = h
        .post(
            &format!("/subjects/{user}/versions"),
            json!({
                "schema": json!({"type": "record", "name": "RefDelUser", "namespace": "conf", "fields": [{"name": "r", "type": "conf.RefDel"}]}).to_string(),
                "references": [{"name": "conf.RefDel", "subject": base, "version": 1}],
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for path in [
        format!("/subjects/{base}"),
        format!("/subjects/{base}?permanent=true"),
        format!("/subjects/{base}/versions/1?permanent=true"),
    ] {
        let (status, body) = h.delete(&path).await;
        assert_error(status, &body, 42206);
    }
    // Nothing was deleted.
    let (status, body) = h.get(&format!("/subjects/{base}/versions")).await;
    assert_eq!((status, body), (200, json!([1])));
    // A soft-deleted referrer still holds the reference…
    let (status, body) = h.delete(&format!("/subjects/{user}")).await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.delete(&format!("/subjects/{base}")).await;
    assert_error(status, &body, 42206);
    // …a permanently deleted one does not.
    let (status, body) = h.delete(&format!("/subjects/{user}?permanent=true")).await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.delete(&format!("/subjects/{base}")).await;
    assert_eq!((status, body), (200, json!([1])));
    let (status, body) = h.delete(&format!("/subjects/{base}?permanent=true")).await;
    assert_eq!((status, body), (200, json!([1])));
}

/// An unknown route: a 404 with an error body (rest-utils' `WebApplicationExceptionMapper`:
/// `{"error_code": 404, "message": "HTTP 404 Not Found"}`), which Confluent's clients read.
async fn an_unknown_route_is_a_404_error_body(h: Http) {
    let (status, body) = h.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], json!(404), "{body}");
}

/// One `#[tokio::test]` per case and target.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::Http::new(super::memory_url())).await
                }
            )*
        }
        mod kafka {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::Http::new(super::kafka_url())).await
                }
            )*
        }
        mod remote {
            $(
                #[tokio::test]
                #[ignore = "against SCHEMAFLOW_CONFORMANCE_URL: run with --ignored"]
                async fn $case() {
                    super::$case(super::Http::new(&super::remote_url())).await
                }
            )*
        }
    };
}

cases!(
    root_is_an_empty_object,
    schema_types_list_the_three_formats,
    contexts_list_the_default_context,
    metadata_id_is_a_server_cluster_id,
    metadata_version_names_a_version,
    register_then_get_the_version,
    an_id_is_shared_between_subjects,
    subjects_list_and_prefix,
    an_unknown_subject_is_40401,
    an_unknown_or_invalid_version,
    the_schema_alone_of_a_version,
    an_invalid_schema_is_42201,
    an_incompatible_schema_is_409,
    lookup_under_a_subject,
    schemas_by_id,
    schemas_by_guid,
    protobuf_format_serialized,
    references_and_referenced_by,
    compatibility_with_verbose,
    global_config_has_a_level,
    subject_config,
    global_mode_has_a_mode,
    subject_mode,
    version_deletes,
    subject_deletes,
    normalize_makes_key_order_irrelevant,
    json_schema_text_is_canonical,
    avro_text_is_canonical,
    avro_normalize_sorts_attributes,
    normalize_sorts_references,
    a_referenced_subject_cannot_be_deleted,
    an_unknown_route_is_a_404_error_body,
);
