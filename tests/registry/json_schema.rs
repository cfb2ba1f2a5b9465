//! `schemaType: "JSON"` over real HTTP, everywhere Avro and Protobuf work: validation (42201
//! naming the keyword and JSON pointer), references by name, lookup, compatibility with
//! `verbose=true`, `normalize=true`, `/schemas/ids/{id}`, and Confluent's `compatibilityPolicy`
//! (STRICT / LENIENT) per subject and global.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::http::Http;

use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

async fn start() -> (EmbeddedRegistry, Http) {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().expect("addr")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let http = Http::new(server.url());
    (server, http)
}

fn json_schema(text: &str) -> Value {
    json!({"schemaType": "JSON", "schema": text})
}

const ADDRESS: &str = r#"{"type":"object","properties":{"city":{"type":"string"}}}"#;
const OPEN_V1: &str = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;
const OPEN_V2: &str =
    r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}}"#;

#[tokio::test]
async fn invalid_json_schemas_are_42201_naming_keyword_and_pointer() {
    let (server, h) = start().await;
    let (status, body) = h
        .post("/subjects/bad-value/versions", json_schema(r#"{"type":5}"#))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error_code"], 42201, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("type") && message.contains("#/type"),
        "{message}"
    );
    // A property's schema: the pointer goes down to it.
    let (_, body) = h
        .post(
            "/subjects/bad-value/versions",
            json_schema(r#"{"properties":{"a":{"type":"strin"}}}"#),
        )
        .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("#/properties/a/type"),
        "{body}"
    );
    // Not JSON at all.
    let (status, body) = h
        .post("/subjects/bad-value/versions", json_schema("{"))
        .await;
    assert_eq!((status, body["error_code"].clone()), (422, json!(42201)));
    // A $ref to nothing registered.
    let (_, body) = h
        .post(
            "/subjects/bad-value/versions",
            json_schema(r#"{"properties":{"a":{"$ref":"missing.json"}}}"#),
        )
        .await;
    assert_eq!(body["error_code"], 42201, "{body}");
    // Nothing was registered.
    assert_eq!(h.get("/subjects").await.1, json!([]));
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn references_lookup_ids_and_normalize() {
    let (server, h) = start().await;
    let (status, body) = h
        .post("/subjects/address.json/versions", json_schema(ADDRESS))
        .await;
    assert_eq!(status, 200, "{body}");
    let order = r##"{"type":"object","properties":{"to":{"$ref":"address.json"},"items":{"type":"array","items":{"$ref":"#/definitions/Item"}}},"definitions":{"Item":{"type":"object","properties":{"sku":{"type":"string"}}}}}"##;
    let with_ref = json!({
        "schemaType": "JSON",
        "schema": order,
        "references": [{"name": "address.json", "subject": "address.json", "version": 1}]
    });
    let (status, body) = h
        .post("/subjects/orders-value/versions", with_ref.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().expect("id");

    // Lookup: the same schema and references give the version.
    let (status, found) = h.post("/subjects/orders-value", with_ref.clone()).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["id"].as_i64(), found["version"].as_i64()),
        (Some(id), Some(1))
    );
    assert_eq!(found["schemaType"], "JSON");
    assert_eq!(found["references"][0]["name"], "address.json");

    // By id: the text as registered, with its type and references.
    let (status, by_id) = h.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 200, "{by_id}");
    assert_eq!(by_id["schema"], order);
    assert_eq!(by_id["schemaType"], "JSON");
    let (_, types) = h.get("/schemas/types").await;
    assert!(
        types.as_array().is_some_and(|t| t.contains(&json!("JSON"))),
        "{types}"
    );

    // Key order counts without normalize (a new version)…
    let reordered = r#"{"properties":{"name":{"type":"string"}},"type":"object"}"#;
    h.post("/subjects/people-value/versions", json_schema(OPEN_V1))
        .await;
    let (status, _) = h
        .post("/subjects/people-value", json_schema(reordered))
        .await;
    assert_eq!(
        status, 404,
        "a reordered schema is another schema unless normalized"
    );
    // …and not with normalize=true: lookup finds it, register gives the same id.
    let (status, body) = h
        .post(
            "/subjects/people-value?normalize=true",
            json_schema(reordered),
        )
        .await;
    assert_eq!((status, body["version"].clone()), (200, json!(1)), "{body}");
    let (_, again) = h
        .post(
            "/subjects/people-value/versions?normalize=true",
            json_schema(reordered),
        )
        .await;
    assert_eq!(again["id"], body["id"], "{again}");
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn compatibility_verbose_and_the_lenient_policy() {
    let (server, h) = start().await;
    h.post("/subjects/people-value/versions", json_schema(OPEN_V1))
        .await;
    // BACKWARD, STRICT (the default): a property added to an open content model is not
    // compatible (a v1 writer may have used the name for anything).
    let (status, body) = h
        .post(
            "/compatibility/subjects/people-value/versions/latest?verbose=true",
            json_schema(OPEN_V2),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_compatible"], false, "{body}");
    let messages = body["messages"].to_string();
    assert!(
        messages.contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
            && messages.contains("#/properties/age"),
        "{messages}"
    );
    let (status, body) = h
        .post("/subjects/people-value/versions", json_schema(OPEN_V2))
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (409, json!(409)),
        "{body}"
    );

    // LENIENT for the subject (Confluent's `compatibilityPolicy`): accepted.
    let (status, body) = h
        .put(
            "/config/people-value",
            json!({"compatibilityPolicy": "LENIENT"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["compatibilityPolicy"], "LENIENT");
    let (_, cfg) = h.get("/config/people-value?defaultToGlobal=true").await;
    assert_eq!(cfg["compatibilityPolicy"], "LENIENT", "{cfg}");
    assert_eq!(cfg["compatibilityLevel"], "BACKWARD", "{cfg}");
    let (status, body) = h
        .post("/subjects/people-value/versions", json_schema(OPEN_V2))
        .await;
    assert_eq!(status, 200, "{body}");

    // Global LENIENT applies to subjects without their own policy; a bad value is refused.
    let (status, _) = h
        .put("/config", json!({"compatibilityPolicy": "LOOSE"}))
        .await;
    assert_eq!(status, 422);
    h.post("/subjects/other-value/versions", json_schema(OPEN_V1))
        .await;
    let (_, strict) = h
        .post(
            "/compatibility/subjects/other-value/versions",
            json_schema(OPEN_V2),
        )
        .await;
    assert_eq!(strict["is_compatible"], false, "{strict}");
    let (status, _) = h
        .put(
            "/config",
            json!({"compatibility": "FULL", "compatibilityPolicy": "LENIENT"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, global) = h.get("/config").await;
    assert_eq!(
        (
            global["compatibilityLevel"].clone(),
            global["compatibilityPolicy"].clone()
        ),
        (json!("FULL"), json!("LENIENT"))
    );
    // A level alone keeps the policy (the config is merged, as Confluent's).
    h.put("/config", json!({"compatibility": "BACKWARD"})).await;
    assert_eq!(h.get("/config").await.1["compatibilityPolicy"], "LENIENT");
    let (_, lenient) = h
        .post(
            "/compatibility/subjects/other-value/versions",
            json_schema(OPEN_V2),
        )
        .await;
    assert_eq!(lenient["is_compatible"], true, "{lenient}");
    // A type change stays incompatible under LENIENT.
    let (_, narrowed) = h
        .post(
            "/compatibility/subjects/other-value/versions",
            json_schema(r#"{"type":"object","properties":{"name":{"type":"integer"}}}"#),
        )
        .await;
    assert_eq!(narrowed["is_compatible"], false, "{narrowed}");
    server.stop().await.expect("stop");
}
