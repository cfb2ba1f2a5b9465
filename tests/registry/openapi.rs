//! `GET /openapi.json` describes the API the registry serves: every route of the router (from
//! its route tables, `schemaflow_registry::api_routes`) with its methods is in the document, and
//! the document has nothing the router does not serve; every operation answers errors with
//! Confluent's error body; and the served document is the one in the source tree.

use std::collections::BTreeSet;
use std::sync::Arc;

use schemaflow_registry::{
    api_routes, CompatibilityEngine, EmbeddedRegistry, ServerConfig, OPENAPI,
};

/// `(path, method)` of every route the router serves, from its route tables.
fn routes_served() -> BTreeSet<(String, String)> {
    api_routes()
        .into_iter()
        .map(|(path, method)| (path.to_string(), method))
        .collect()
}

#[test]
fn the_document_lists_every_route_and_nothing_else() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("OpenAPI is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut in_doc = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            in_doc.insert((path.clone(), method.clone()));
            let error = &op["responses"]["default"]["content"]
                ["application/vnd.schemaregistry.v1+json"]["schema"]["$ref"];
            assert_eq!(
                error, "#/components/schemas/ErrorBody",
                "{method} {path}: errors are Confluent's body"
            );
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: operationId"
            );
        }
    }
    let in_source = routes_served();
    assert!(in_source.len() > 25, "the router was read: {in_source:?}");
    assert_eq!(in_doc, in_source, "the document and the router differ");
    // Every $ref resolves.
    let text = OPENAPI.to_string();
    for r in text.split("\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().expect("a name");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}

#[tokio::test]
async fn the_registry_serves_its_document() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().expect("address")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let r = reqwest::get(format!("{}/openapi.json", server.url()))
        .await
        .expect("GET /openapi.json");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("body"), OPENAPI);
    server.stop().await.expect("stop");
}
