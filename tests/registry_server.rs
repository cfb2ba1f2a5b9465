//! The embedded registry over real HTTP, driven by our client (and raw HTTP where the client
//! hides a detail): ids, versions, references, deletes, config, modes, error codes.
use std::sync::Arc;

use schemaflow::generated::avro::user_event::UserEvent;
use schemaflow::generated::proto::events::v1 as pb;
use schemaflow::registry::server::{
    CheckInput, CompatibilityChecker, CompatibilityEngine, EmbeddedRegistry, ServerConfig,
};
use schemaflow::registry::{
    ClientConfig, CompatibilityLevel, ErrorCode, Mode, RegistryClient, RegistryError, Schema,
    SchemaReference, Version,
};
use schemaflow::GeneratedSchema;
use schemaflow::SchemaType;

/// A test double for the compatibility engine: a candidate containing "BREAKING" is
/// incompatible with anything. (The real engine's verdicts are tested with it directly.)
struct Marker;

impl CompatibilityChecker for Marker {
    fn check(
        &self,
        _level: CompatibilityLevel,
        previous: &[CheckInput],
        candidate: &CheckInput,
    ) -> Result<Vec<String>, String> {
        Ok(if candidate.schema.contains("BREAKING") {
            previous
                .iter()
                .map(|p| format!("breaks {}", p.label))
                .collect()
        } else {
            Vec::new()
        })
    }
}

async fn start(config: ServerConfig) -> (EmbeddedRegistry, RegistryClient) {
    let server = EmbeddedRegistry::start(
        ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..config
        },
        Arc::new(Marker),
    )
    .await
    .unwrap();
    let mut cc = ClientConfig::new(server.url());
    cc.max_retries = 0;
    let client = RegistryClient::new(cc).unwrap();
    (server, client)
}

fn code(e: RegistryError) -> ErrorCode {
    e.code()
        .unwrap_or_else(|| panic!("expected a registry error code, got {e}"))
}

const REC_V1: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
const REC_V2: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#;

#[tokio::test]
async fn ids_versions_and_lookups() {
    let (server, c) = start(ServerConfig::default()).await;
    let (id1, guid) = c
        .register("s-value", &Schema::avro(REC_V1), false)
        .await
        .unwrap();
    assert!(guid.is_some());
    // Identical schema again (other whitespace): same id, no new version.
    let spaced = REC_V1.replace(',', " , ");
    assert_eq!(
        c.register("s-value", &Schema::avro(spaced.clone()), false)
            .await
            .unwrap()
            .0,
        id1
    );
    assert_eq!(c.subject_versions("s-value").await.unwrap(), vec![1]);
    // Same schema under another subject: same id.
    assert_eq!(
        c.register("other-value", &Schema::avro(REC_V1), false)
            .await
            .unwrap()
            .0,
        id1
    );
    let (id2, _) = c
        .register("s-value", &Schema::avro(REC_V2), false)
        .await
        .unwrap();
    assert!(id2.0 > id1.0, "ids increase");
    assert_eq!(c.subject_versions("s-value").await.unwrap(), vec![1, 2]);
    let latest = c.version("s-value", Version::Latest).await.unwrap();
    assert_eq!((latest.version, latest.id), (2, id2));
    let v1 = c.version("s-value", Version::Number(1)).await.unwrap();
    assert_eq!(v1.schema.schema, REC_V1);
    let found = c
        .lookup("s-value", &Schema::avro(spaced), false)
        .await
        .unwrap();
    assert_eq!((found.version, found.id), (1, id1));
    let by_id = c.schema_by_id(id2).await.unwrap();
    assert_eq!(by_id.schema.schema, REC_V2);
    assert_eq!(by_id.schema.schema_type, SchemaType::Avro);
    let (gid, by_guid) = c
        .schema_by_guid(by_id.guid.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!((gid, by_guid.schema.schema.as_str()), (id2, REC_V2));
    assert_eq!(
        c.subjects(false).await.unwrap(),
        vec!["other-value", "s-value"]
    );
    assert_eq!(
        c.subjects_for_id(id1).await.unwrap(),
        vec!["other-value", "s-value"]
    );
    assert_eq!(
        c.versions_for_id(id1).await.unwrap(),
        vec![("other-value".to_string(), 1), ("s-value".to_string(), 1)]
    );
    assert_eq!(
        c.schema_types().await.unwrap(),
        vec!["JSON", "PROTOBUF", "AVRO"]
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn not_found_and_invalid_inputs_have_confluent_codes() {
    let (server, c) = start(ServerConfig::default()).await;
    assert_eq!(
        code(c.subject_versions("nope").await.unwrap_err()),
        ErrorCode::SubjectNotFound
    );
    assert_eq!(
        code(
            c.schema_by_id(schemaflow::wire::SchemaId(99))
                .await
                .unwrap_err()
        ),
        ErrorCode::SchemaNotFound
    );
    c.register("s", &Schema::avro(REC_V1), false).await.unwrap();
    assert_eq!(
        code(c.version("s", Version::Number(7)).await.unwrap_err()),
        ErrorCode::VersionNotFound
    );
    assert_eq!(
        code(
            c.lookup("s", &Schema::avro(REC_V2), false)
                .await
                .unwrap_err()
        ),
        ErrorCode::SchemaNotFound
    );
    let e = c
        .register(
            "s",
            &Schema::avro(
                r#"{"type":"record","name":"X","fields":[{"name":"a","type":"nosuch"}]}"#,
            ),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e.clone()), ErrorCode::InvalidSchema);
    assert!(e.to_string().contains("nosuch"), "{e}");
    let e = c
        .register(
            "p",
            &Schema::protobuf("syntax = \"proto3\"; message M { int32 x = ; }"),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::InvalidSchema);

    // Raw HTTP for what the client does not let through.
    let http = reqwest::Client::new();
    let url = server.url().to_string();
    let r = http
        .get(format!("{url}/subjects/s/versions/0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error_code"],
        42202
    );
    let r = http
        .put(format!("{url}/config"))
        .body(r#"{"compatibility":"SIDEWAYS"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error_code"],
        42203
    );
    let r = http
        .post(format!("{url}/subjects/s/versions"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error_code"],
        400
    );
    let r = http
        .get(format!("{url}/associations?subject=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.schemaregistry.v1+json"
    );
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error_code"],
        404
    );
    let r = http.get(format!("{url}/config/s")).send().await.unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error_code"],
        40408
    );
    // Unknown fields are tolerated, huge bodies refused, nothing panics.
    let r = http
        .post(format!("{url}/subjects/t/versions"))
        .body(format!(
            r#"{{"schema":{},"extra":1}}"#,
            serde_json::to_string(REC_V1).unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{url}/subjects/t/versions"))
        .body(vec![b' '; 17 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn avro_references_resolve_across_subjects() {
    let (server, c) = start(ServerConfig::default()).await;
    let address = UserEvent::REFERENCES[0];
    let (aid, _) = c
        .register(address.name, &Schema::avro(address.schema_text), false)
        .await
        .unwrap();
    let refs = vec![SchemaReference {
        name: address.name.into(),
        subject: address.name.into(),
        version: 1,
    }];
    // Without the reference the schema does not parse.
    let e = c
        .register(
            "user-events-value",
            &Schema::avro(UserEvent::SCHEMA_TEXT),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::InvalidSchema);
    let (uid, _) = c
        .register(
            "user-events-value",
            &Schema::avro(UserEvent::SCHEMA_TEXT).with_references(refs.clone()),
            false,
        )
        .await
        .unwrap();
    assert_ne!(aid, uid);
    let got = c.schema_by_id(uid).await.unwrap();
    assert_eq!(got.schema.references, refs);
    // A reference to a version that does not exist.
    let bad = vec![SchemaReference {
        version: 9,
        ..refs[0].clone()
    }];
    let e = c
        .register(
            "x",
            &Schema::avro(UserEvent::SCHEMA_TEXT).with_references(bad),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::InvalidSchema);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn protobuf_text_and_serialized_forms() {
    use base64::Engine as _;
    use prost::Message as _;
    let (server, c) = start(ServerConfig::default()).await;
    let common = pb::UserEvent::REFERENCES[0];
    c.register(common.name, &Schema::protobuf(common.schema_text), false)
        .await
        .unwrap();
    let refs = vec![SchemaReference {
        name: common.name.into(),
        subject: common.name.into(),
        version: 1,
    }];
    let schema = Schema::protobuf(pb::UserEvent::SCHEMA_TEXT).with_references(refs.clone());
    let (id, _) = c
        .register("user-events-proto-value", &schema, false)
        .await
        .unwrap();
    let got = c.schema_by_id(id).await.unwrap();
    assert_eq!(got.schema.schema_type, SchemaType::Protobuf);
    assert_eq!(got.schema.schema, pb::UserEvent::SCHEMA_TEXT);

    // ?format=serialized answers a base64 FileDescriptorProto, as Confluent's deserializer expects.
    let url = format!("{}/schemas/ids/{}?format=serialized", server.url(), id.0);
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let b64 = body["schema"].as_str().unwrap();
    let fdp = prost_types::FileDescriptorProto::decode(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let names: Vec<&str> = fdp.message_type.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["UserEvent", "UserEventBatch"]);
    assert!(fdp
        .dependency
        .contains(&"google/protobuf/timestamp.proto".to_string()));

    // The serialized form registers too (what Confluent's Python serializer sends), and is
    // recognised as the same schema.
    let again = Schema::protobuf(b64).with_references(refs);
    assert_eq!(
        c.register("user-events-proto-value", &again, false)
            .await
            .unwrap()
            .0,
        id
    );
    assert_eq!(
        c.subject_versions("user-events-proto-value").await.unwrap(),
        vec![1]
    );
    server.stop().await.unwrap();
}

/// What Kafka Connect's Protobuf converter registers: Confluent's bundled decimal type and
/// field metadata, imported without references (Confluent's registry resolves them itself).
#[tokio::test]
async fn protobuf_importing_confluent_bundled_files_registers_without_references() {
    let (server, c) = start(ServerConfig::default()).await;
    let text = r#"syntax = "proto3";
package shop.v1;
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
import "google/type/money.proto";
message Price {
  confluent.type.Decimal amount = 1 [(confluent.field_meta) = { doc: "net" }];
  google.type.Money list = 2;
}
"#;
    let (id, _) = c
        .register("prices-value", &Schema::protobuf(text), false)
        .await
        .unwrap();
    assert_eq!(c.schema_by_id(id).await.unwrap().schema.schema, text);
    // An import that is not bundled still needs a reference.
    let missing = text.replace("confluent/meta.proto", "confluent/nope.proto");
    let err = c
        .register("prices-value", &Schema::protobuf(&missing), false)
        .await
        .unwrap_err();
    assert_eq!(code(err), ErrorCode::InvalidSchema);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn soft_then_permanent_deletes() {
    let (server, c) = start(ServerConfig::default()).await;
    let (id1, _) = c.register("s", &Schema::avro(REC_V1), false).await.unwrap();
    c.register("s", &Schema::avro(REC_V2), false).await.unwrap();
    assert_eq!(
        code(
            c.delete_version("s", Version::Number(1), true)
                .await
                .unwrap_err()
        ),
        ErrorCode::VersionNotSoftDeleted
    );
    assert_eq!(
        c.delete_version("s", Version::Number(1), false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        code(c.version("s", Version::Number(1)).await.unwrap_err()),
        ErrorCode::VersionNotFound
    );
    assert_eq!(c.subject_versions("s").await.unwrap(), vec![2]);
    // Ids stay readable after a soft delete.
    assert_eq!(c.schema_by_id(id1).await.unwrap().schema.schema, REC_V1);
    assert_eq!(
        c.delete_version("s", Version::Number(1), true)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        code(c.delete_subject("s", true).await.unwrap_err()),
        ErrorCode::SubjectNotSoftDeleted
    );
    assert_eq!(c.delete_subject("s", false).await.unwrap(), vec![2]);
    assert_eq!(c.subjects(false).await.unwrap(), Vec::<String>::new());
    assert_eq!(c.subjects(true).await.unwrap(), vec!["s"]);
    assert_eq!(c.delete_subject("s", true).await.unwrap(), vec![2]);
    assert_eq!(c.subjects(true).await.unwrap(), Vec::<String>::new());
    // Registering again after a permanent delete starts at version 1, same id as before.
    let (again, _) = c.register("s", &Schema::avro(REC_V1), false).await.unwrap();
    assert_eq!(again, id1);
    assert_eq!(c.subject_versions("s").await.unwrap(), vec![1]);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn compatibility_is_enforced_per_level() {
    let (server, c) = start(ServerConfig::default()).await;
    assert_eq!(
        c.compatibility(None).await.unwrap(),
        CompatibilityLevel::Backward
    );
    c.register("s", &Schema::avro(REC_V1), false).await.unwrap();
    let breaking = Schema::avro(
        r#"{"type":"record","name":"R","doc":"BREAKING","fields":[{"name":"a","type":"string"}]}"#,
    );
    let e = c.register("s", &breaking, false).await.unwrap_err();
    let RegistryError::Response {
        status,
        code: c409,
        message,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!((*status, *c409), (409, ErrorCode::Incompatible));
    assert!(message.contains("breaks version 1"), "{message}");
    let r = c
        .check_compatibility("s", Some(Version::Latest), &breaking)
        .await
        .unwrap();
    assert!(!r.is_compatible);
    assert_eq!(r.messages, vec!["breaks version 1"]);
    assert!(
        c.check_compatibility("s", None, &Schema::avro(REC_V2))
            .await
            .unwrap()
            .is_compatible
    );
    // NONE on the subject lets it through; the global level is untouched.
    assert_eq!(
        c.set_compatibility(Some("s"), CompatibilityLevel::None)
            .await
            .unwrap(),
        CompatibilityLevel::None
    );
    assert_eq!(
        c.compatibility(Some("s")).await.unwrap(),
        CompatibilityLevel::None
    );
    assert_eq!(
        c.compatibility(Some("other")).await.unwrap(),
        CompatibilityLevel::Backward
    );
    c.register("s", &breaking, false).await.unwrap();
    // Different schema types never pass a check.
    c.set_compatibility(Some("s"), CompatibilityLevel::Backward)
        .await
        .unwrap();
    let e = c
        .register(
            "s",
            &Schema::protobuf("syntax = \"proto3\"; message R { int32 a = 1; }"),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::Incompatible);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn modes_readonly_and_import() {
    let (server, c) = start(ServerConfig::default()).await;
    assert_eq!(c.mode(None).await.unwrap(), Mode::Readwrite);
    c.set_mode(Some("ro"), Mode::Readonly).await.unwrap();
    assert_eq!(
        code(
            c.register("ro", &Schema::avro(REC_V1), false)
                .await
                .unwrap_err()
        ),
        ErrorCode::OperationNotPermitted
    );
    c.set_mode(None, Mode::Import).await.unwrap();
    // IMPORT needs an explicit id: raw HTTP with "id".
    let http = reqwest::Client::new();
    let body = serde_json::json!({"schema": REC_V2, "id": 100});
    let r = http
        .post(format!("{}/subjects/imp/versions", server.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(
        c.schema_by_id(schemaflow::wire::SchemaId(100))
            .await
            .unwrap()
            .schema
            .schema,
        REC_V2
    );
    assert_eq!(
        code(
            c.register("imp2", &Schema::avro(REC_V1), false)
                .await
                .unwrap_err()
        ),
        ErrorCode::OperationNotPermitted
    );
    c.set_mode(None, Mode::Readwrite).await.unwrap();
    // New ids continue above imported ones.
    let (id, _) = c
        .register("after", &Schema::avro(REC_V1), false)
        .await
        .unwrap();
    assert_eq!(id.0, 101);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn basic_auth_is_required_when_configured() {
    let (server, _) = start(ServerConfig {
        basic_auth: Some("alice:s3cret".into()),
        ..ServerConfig::default()
    })
    .await;
    let mut cc = ClientConfig::new(server.url());
    cc.max_retries = 0;
    let anon = RegistryClient::new(cc.clone()).unwrap();
    let e = anon.subjects(false).await.unwrap_err();
    assert_eq!(code(e), ErrorCode::Unauthorized);
    cc.basic_auth = Some("alice:wrong".into());
    assert!(RegistryClient::new(cc.clone())
        .unwrap()
        .subjects(false)
        .await
        .is_err());
    cc.basic_auth = Some("alice:s3cret".into());
    assert!(RegistryClient::new(cc)
        .unwrap()
        .subjects(false)
        .await
        .unwrap()
        .is_empty());
    server.stop().await.unwrap();
}

/// With the real compatibility engine: Confluent's verdicts and messages on register.
#[tokio::test]
async fn the_engine_decides_on_register() {
    let server = EmbeddedRegistry::start(
        ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        },
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let mut cc = ClientConfig::new(server.url());
    cc.max_retries = 0;
    let c = RegistryClient::new(cc).unwrap();
    c.register("s", &Schema::avro(REC_V1), false).await.unwrap();
    // BACKWARD (default): adding a field with a default is fine; changing a type is not.
    c.register("s", &Schema::avro(REC_V2), false).await.unwrap();
    let breaking = Schema::avro(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"string","default":""}]}"#,
    );
    let e = c.register("s", &breaking, false).await.unwrap_err();
    assert_eq!(code(e.clone()), ErrorCode::Incompatible);
    assert!(
        e.to_string().contains("TYPE_MISMATCH") || e.to_string().contains("type"),
        "{e}"
    );
    let r = c.check_compatibility("s", None, &breaking).await.unwrap();
    assert!(!r.is_compatible);
    assert!(!r.messages.is_empty());
    // A field without a default breaks BACKWARD.
    let no_default = Schema::avro(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""},{"name":"c","type":"long"}]}"#,
    );
    assert_eq!(
        code(c.register("s", &no_default, false).await.unwrap_err()),
        ErrorCode::Incompatible
    );

    // Protobuf: renaming a field is compatible; changing its kind is not.
    let v1 = "syntax = \"proto3\"; package p; message M { int32 a = 1; string s = 2; }";
    let renamed = "syntax = \"proto3\"; package p; message M { int32 a = 1; string text = 2; }";
    let kind = "syntax = \"proto3\"; package p; message M { int32 a = 1; M s = 2; }";
    c.register("p", &Schema::protobuf(v1), false).await.unwrap();
    c.register("p", &Schema::protobuf(renamed), false)
        .await
        .unwrap();
    assert_eq!(
        code(
            c.register("p", &Schema::protobuf(kind), false)
                .await
                .unwrap_err()
        ),
        ErrorCode::Incompatible
    );
    server.stop().await.unwrap();
}
