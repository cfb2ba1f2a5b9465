//! `schemaflow register --all [--dry-run]` as a user runs it: the built binary against the
//! embedded registry (real compatibility engine) running in this process, on a temporary
//! repository with `schemas/` (Avro, a cross-file reference) and `proto/` (an import).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use schemaflow::registry::{ClientConfig, RegistryClient, Schema, SchemaReference, Version};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use serde_json::Value;
use tempfile::TempDir;

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const USER_V1: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "address", "type": ["null", "Address"], "default": null}
  ]
}"#;
const USER_V2: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "address", "type": ["null", "Address"], "default": null},
    {"name": "email", "type": ["null", "string"], "default": null}
  ]
}"#;
const USER_V3: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "address", "type": ["null", "Address"], "default": null},
    {"name": "email", "type": ["null", "string"], "default": null},
    {"name": "phone", "type": ["null", "string"], "default": null}
  ]
}"#;
/// `id` removed: BACKWARD-compatible (new readers ignore it), not FORWARD (old readers need
/// it), so not FULL.
const USER_NO_ID: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "address", "type": ["null", "Address"], "default": null}
  ]
}"#;
const COMMON: &str =
    "syntax = \"proto3\";\npackage ev.v1;\n\nmessage Common {\n  string source = 1;\n}\n";
const EVENT_V1: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage UserEvent {\n  string id = 1;\n  Common common = 2;\n  google.protobuf.Timestamp at = 3;\n}\n";
const EVENT_BREAKING: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage UserEvent {\n  int64 id = 1;\n  Common common = 2;\n  google.protobuf.Timestamp at = 3;\n}\n";
const RECORD_SUBJECTS: &str = "[defaults]\nstrategy = \"record\"\n";

async fn start() -> (EmbeddedRegistry, RegistryClient) {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().expect("address")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry starts");
    let client = RegistryClient::new(ClientConfig::new(server.url())).expect("client");
    (server, client)
}

/// Write `files` into `dir` (replacing what is there).
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

/// The four v1 files, with `subjects` as the subjects file (`None`: no subjects file).
fn repository(subjects: Option<&str>) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(s) = subjects {
        write(dir.path(), &[("schemaflow-subjects.toml", s)]);
    }
    write(
        dir.path(),
        &[
            ("schemas/address.avsc", ADDRESS),
            ("schemas/user.avsc", USER_V1),
            (
                "schemas/evolution/sample.avsc",
                r#"{"type":"record","name":"Sample","namespace":"shop","fields":[]}"#,
            ),
            ("proto/ev/v1/common.proto", COMMON),
            ("proto/ev/v1/user_event.proto", EVENT_V1),
        ],
    );
    dir
}

/// Run `schemaflow register ARGS` in `dir` on a blocking thread (the server keeps serving).
async fn register(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .current_dir(dir)
            .env_remove("SCHEMA_REGISTRY_AUTH")
            .env_remove("SCHEMA_REGISTRY_URL")
            .env_remove("SCHEMA_REGISTRY_TOKEN")
            .arg("register")
            .args(args)
            .output()
            .expect("binary runs")
    })
    .await
    .expect("blocking task")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

/// `(file, subject, action)` of every step, in order.
fn steps(doc: &Value) -> Vec<(String, String, String)> {
    doc["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap_or_default().to_string();
            (f("file"), f("subject"), f("action"))
        })
        .collect()
}

fn step<'a>(doc: &'a Value, file: &str) -> &'a Value {
    doc["steps"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["file"] == file))
        .unwrap_or_else(|| panic!("no step for {file}: {doc}"))
}

/// Everything the registry holds: subjects, their versions (id, text, references) and
/// levels, and the global level.
async fn snapshot(c: &RegistryClient) -> Value {
    let mut subjects = serde_json::Map::new();
    for s in c.subjects(true).await.expect("subjects") {
        let mut versions = Vec::new();
        for v in c.subject_versions(&s).await.expect("versions") {
            let r = c.version(&s, Version::Number(v)).await.expect("version");
            versions.push(serde_json::to_value(&r).expect("json"));
        }
        let level = c.compatibility(Some(&s)).await.expect("level");
        subjects.insert(
            s,
            serde_json::json!({"versions": versions, "level": level.as_str()}),
        );
    }
    let global = c.compatibility(None).await.expect("global level");
    serde_json::json!({"subjects": subjects, "global": global.as_str()})
}

async fn versions(c: &RegistryClient, subject: &str) -> Vec<i32> {
    c.subject_versions(subject).await.unwrap_or_default()
}

async fn latest_references(c: &RegistryClient, subject: &str) -> Vec<SchemaReference> {
    c.version(subject, Version::Latest)
        .await
        .expect("latest version")
        .schema
        .references
}

fn reference(name: &str, subject: &str, version: i32) -> SchemaReference {
    SchemaReference {
        name: name.into(),
        subject: subject.into(),
        version,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_then_run_then_nothing_to_do() {
    let (server, client) = start().await;
    // Something already there, which no run may touch.
    client
        .register(
            "other-value",
            &Schema::avro(r#"{"type":"record","name":"Other","fields":[]}"#),
            false,
        )
        .await
        .expect("register other");
    let dir = repository(Some(RECORD_SUBJECTS));
    let url = server.url().to_string();

    // Dry run: the plan, references first, and nothing changed.
    let before = snapshot(&client).await;
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["dry_run"], true);
    let order: Vec<(String, String, String)> = steps(&doc);
    let expected = [
        ("proto/ev/v1/common.proto", "ev.v1.Common"),
        ("proto/ev/v1/user_event.proto", "ev.v1.UserEvent"),
        ("schemas/address.avsc", "shop.Address"),
        ("schemas/user.avsc", "shop.User"),
    ];
    assert_eq!(
        order,
        expected
            .iter()
            .map(|(f, s)| (f.to_string(), s.to_string(), "new-subject".to_string()))
            .collect::<Vec<_>>(),
        "{doc}"
    );
    assert_eq!(
        snapshot(&client).await,
        before,
        "a dry run changed the registry"
    );

    // The text plan says the same.
    let out = register(dir.path(), &["--all", "--dry-run", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("schemas/user.avsc  shop.User: new subject"),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");

    // The real run: everything registered, references at the right versions.
    let out = register(
        dir.path(),
        &["--all", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["dry_run"], false);
    for (_, subject) in expected {
        assert_eq!(versions(&client, subject).await, vec![1], "{subject}");
    }
    assert_eq!(step(&doc, "schemas/user.avsc")["version"], 1);
    assert!(step(&doc, "schemas/user.avsc")["id"].is_u64(), "{doc}");
    assert_eq!(
        latest_references(&client, "shop.User").await,
        vec![reference("shop.Address", "shop.Address", 1)]
    );
    assert_eq!(
        latest_references(&client, "ev.v1.UserEvent").await,
        vec![reference("ev/v1/common.proto", "ev.v1.Common", 1)]
    );
    assert!(
        versions(&client, "shop.Sample").await.is_empty(),
        "evolution/ is skipped"
    );

    // The second run changes nothing, and says so.
    let after_first = snapshot(&client).await;
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nothing to do"), "{text}");
    assert!(
        text.contains("schemas/address.avsc  shop.Address: already registered as version 1 (id "),
        "{text}"
    );
    let out = register(
        dir.path(),
        &["--all", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        steps(&json(&out)).iter().all(|(_, _, a)| a == "unchanged"),
        "{}",
        show(&out)
    );
    assert_eq!(
        snapshot(&client).await,
        after_first,
        "a second run changed the registry"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatible_change_then_a_refused_one_stops_the_run() {
    let (server, client) = start().await;
    let dir = repository(Some(RECORD_SUBJECTS));
    let url = server.url().to_string();
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // A compatible change: one new version, the others untouched.
    write(dir.path(), &[("schemas/user.avsc", USER_V2)]);
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    let user = step(&doc, "schemas/user.avsc");
    assert_eq!(user["action"], "register", "{doc}");
    assert_eq!(user["compatible"], true, "{doc}");
    assert_eq!(step(&doc, "schemas/address.avsc")["action"], "unchanged");
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(versions(&client, "shop.User").await, vec![1, 2]);
    for s in ["shop.Address", "ev.v1.Common", "ev.v1.UserEvent"] {
        assert_eq!(versions(&client, s).await, vec![1], "{s}");
    }
    assert_eq!(
        latest_references(&client, "shop.User").await,
        vec![reference("shop.Address", "shop.Address", 1)]
    );

    // An incompatible change (user_event.proto) before a compatible one (user.avsc, later in
    // the order): the dry run says exit 1 with the registry's messages, the real run stops.
    write(
        dir.path(),
        &[
            ("proto/ev/v1/user_event.proto", EVENT_BREAKING),
            ("schemas/user.avsc", USER_V3),
        ],
    );
    let before = snapshot(&client).await;
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let event = step(&doc, "proto/ev/v1/user_event.proto");
    assert_eq!(event["compatible"], false, "{doc}");
    assert!(
        event["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "{doc}"
    );
    assert_eq!(step(&doc, "schemas/user.avsc")["compatible"], true, "{doc}");
    assert_eq!(
        snapshot(&client).await,
        before,
        "a dry run changed the registry"
    );

    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("proto/ev/v1/user_event.proto  ev.v1.UserEvent: new version, REFUSED"),
        "{}",
        show(&out)
    );
    let message = event["messages"][0].as_str().unwrap_or_default();
    assert!(
        !message.is_empty() && stdout.contains(message),
        "the registry's message is shown: {}",
        show(&out)
    );
    // common.proto, before it, was already registered: nothing was.
    assert!(
        stderr.contains("proto/ev/v1/user_event.proto")
            && stderr.contains("nothing was registered"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("schemas/user.avsc"),
        "nothing after the refusal: {stdout}"
    );
    assert_eq!(versions(&client, "ev.v1.UserEvent").await, vec![1]);
    assert_eq!(
        versions(&client, "shop.User").await,
        vec![1, 2],
        "not registered after the refusal"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_level_is_set_before_the_new_version() {
    let (server, client) = start().await;
    let url = server.url().to_string();
    let dir = repository(Some(RECORD_SUBJECTS));
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // FULL for user.avsc, and a change BACKWARD allows but FULL does not.
    write(
        dir.path(),
        &[
            (
                "schemaflow-subjects.toml",
                "[defaults]\nstrategy = \"record\"\n[[file]]\npath = \"schemas/user.avsc\"\ncompatibility = \"FULL\"\n",
            ),
            ("schemas/user.avsc", USER_NO_ID),
        ],
    );
    let before = snapshot(&client).await;
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    let user = step(&doc, "schemas/user.avsc");
    assert_eq!(
        user["config"],
        serde_json::json!({"from": "BACKWARD", "to": "FULL"}),
        "{doc}"
    );
    assert_eq!(step(&doc, "schemas/address.avsc")["config"], Value::Null);
    let out = register(dir.path(), &["--all", "--dry-run", "--registry", &url]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("config BACKWARD -> FULL"), "{}", show(&out));
    assert_eq!(
        snapshot(&client).await,
        before,
        "a dry run changed the registry"
    );

    // The real run sets FULL first, so the registry judges the new version under FULL.
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        client
            .compatibility(Some("shop.User"))
            .await
            .expect("level"),
        "FULL".parse().expect("level")
    );
    assert_eq!(versions(&client, "shop.User").await, vec![1]);

    // Back to a schema FULL allows: registered; then a run has nothing to do.
    write(dir.path(), &[("schemas/user.avsc", USER_V2)]);
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(versions(&client, "shop.User").await, vec![1, 2]);
    let out = register(
        dir.path(),
        &["--all", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        step(&doc, "schemas/user.avsc")["config"],
        Value::Null,
        "{doc}"
    );
    assert_eq!(
        step(&doc, "schemas/user.avsc")["action"],
        "unchanged",
        "{doc}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_on_planned_references_waits_for_them() {
    let (server, client) = start().await;
    let url = server.url().to_string();
    let dir = repository(Some(RECORD_SUBJECTS));
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    // A new Address version: user.avsc (unchanged text) must point at it, so it gets a new
    // version too, which the registry cannot judge before Address v2 exists.
    let address_v2 = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"},{"name":"zip","type":["null","string"],"default":null}]}"#;
    write(dir.path(), &[("schemas/address.avsc", address_v2)]);
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    let user = step(&doc, "schemas/user.avsc");
    assert_eq!(user["action"], "register", "{doc}");
    assert_eq!(user["compatible"], Value::Null, "{doc}");
    assert!(
        user["messages"][0]
            .as_str()
            .is_some_and(|m| m.contains("verdict after its references are registered")),
        "{doc}"
    );
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        latest_references(&client, "shop.User").await,
        vec![reference("shop.Address", "shop.Address", 2)]
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_and_an_unreachable_registry() {
    // No subjects file: exit 2 naming it, before the registry is asked anything.
    let dir = repository(None);
    let out = register(dir.path(), &["--all", "--registry", "http://127.0.0.1:1"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("schemaflow-subjects.toml"),
        "{}",
        show(&out)
    );
    let out = register(
        dir.path(),
        &[
            "--all",
            "--subjects-config",
            "gone.toml",
            "--registry",
            "http://127.0.0.1:1",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gone.toml"),
        "{}",
        show(&out)
    );

    // Flags that need --all, or that --all excludes.
    for args in [
        &["--dry-run"][..],
        &["--all", "--subject", "x"][..],
        &["--subject", "x"][..],
    ] {
        let out = register(dir.path(), args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
    }

    // A reference cycle names the cycle.
    let cyclic = tempfile::tempdir().expect("temp dir");
    write(
        cyclic.path(),
        &[
            ("schemaflow-subjects.toml", RECORD_SUBJECTS),
            (
                "schemas/a.avsc",
                r#"{"type":"record","name":"A","namespace":"shop","fields":[{"name":"b","type":["null","shop.B"],"default":null}]}"#,
            ),
            (
                "schemas/b.avsc",
                r#"{"type":"record","name":"B","namespace":"shop","fields":[{"name":"a","type":["null","shop.A"],"default":null}]}"#,
            ),
        ],
    );
    let out = register(
        cyclic.path(),
        &["--all", "--registry", "http://127.0.0.1:1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("reference cycle: schemas/a.avsc -> schemas/b.avsc -> schemas/a.avsc"),
        "{}",
        show(&out)
    );

    // Unreachable registry: exit 3, blamed on the registry.
    let dir = repository(Some(RECORD_SUBJECTS));
    let out = register(
        dir.path(),
        &["--all", "--dry-run", "--registry", "http://127.0.0.1:1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("registry"),
        "{}",
        show(&out)
    );
}

/// A schema the registry finds invalid is reported at the user's file and line (parsed here),
/// not under the registry's name for its copy (`schema.proto`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_schema_is_reported_at_its_file_and_line() {
    let (server, _client) = start().await;
    let dir = repository(Some(RECORD_SUBJECTS));
    // Line 8, column 3: `strin id = 1;`.
    write(
        dir.path(),
        &[(
            "proto/ev/v1/user_event.proto",
            &EVENT_V1.replace("string id = 1;", "strin id = 1;"),
        )],
    );
    let url = server.url().to_string();
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("proto/ev/v1/user_event.proto: invalid schema")
            && err.contains("proto/ev/v1/user_event.proto:8:3: name 'strin' is not defined"),
        "{}",
        show(&out)
    );
    assert!(!err.contains("schema.proto"), "{}", show(&out));
    server.stop().await.expect("stop");
}

const JSON_ADDRESS: &str =
    r#"{"title":"Address","type":"object","properties":{"city":{"type":"string"}}}"#;
const JSON_USER_V1: &str = r##"{"title":"User","type":"object","properties":{"id":{"type":"string"},"address":{"$ref":"address.json"},"device":{"$ref":"#/definitions/Device"}},"definitions":{"Device":{"type":"object","properties":{"os":{"type":"string"}}}}}"##;
/// `id` becomes a number: TYPE_CHANGED, refused under BACKWARD.
const JSON_USER_BREAKING: &str = r##"{"title":"User","type":"object","properties":{"id":{"type":"integer"},"address":{"$ref":"address.json"},"device":{"$ref":"#/definitions/Device"}},"definitions":{"Device":{"type":"object","properties":{"os":{"type":"string"}}}}}"##;

/// JSON Schema files go through `register --all` like the others: the file a `$ref` names is
/// registered first under the reference's name and referenced at its version; a breaking
/// change is refused with the rule and the JSON pointer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_schema_files_with_a_cross_file_ref() {
    let (server, client) = start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &[
            (
                "schemaflow-subjects.toml",
                "[[file]]\npath = \"schemas/json/user.json\"\ntopic = \"users\"\n\n[[file]]\npath = \"schemas/json/address.json\"\nsubject = \"address.json\"\n",
            ),
            ("schemas/json/address.json", JSON_ADDRESS),
            ("schemas/json/user.json", JSON_USER_V1),
        ],
    );
    let url = server.url().to_string();
    let out = register(
        dir.path(),
        &["--all", "--registry", &url, "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        steps(&doc)
            .iter()
            .map(|(f, s, _)| (f.as_str(), s.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("schemas/json/address.json", "address.json"),
            ("schemas/json/user.json", "users-value"),
        ],
        "{doc}"
    );
    let latest = client
        .version("users-value", Version::Latest)
        .await
        .expect("users-value");
    assert_eq!(latest.schema.schema_type, schemaflow::SchemaType::Json);
    assert_eq!(
        latest.schema.references,
        vec![reference("address.json", "address.json", 1)]
    );

    // A breaking change: exit 1, the rule and the pointer.
    write(
        dir.path(),
        &[("schemas/json/user.json", JSON_USER_BREAKING)],
    );
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let all = show(&out);
    assert!(
        all.contains("TYPE_CHANGED") && all.contains("#/properties/id"),
        "{all}"
    );
    assert_eq!(versions(&client, "users-value").await, vec![1]);

    // An invalid JSON Schema is a usage error naming the file, the keyword and the pointer.
    write(
        dir.path(),
        &[("schemas/json/user.json", r#"{"title":"User","type":5}"#)],
    );
    let out = register(dir.path(), &["--all", "--registry", &url]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(show(&out).contains("#/type"), "{}", show(&out));
    server.stop().await.expect("stop");
}
