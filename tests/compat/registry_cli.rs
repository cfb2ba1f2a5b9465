//! `schemaflow check --registry URL` as a user runs it: the built binary against the embedded
//! registry (real compatibility engine) running in this process, on a temporary folder with
//! `schemas/` and `proto/`. The binary runs on a blocking thread while the server serves.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use schemaflow::registry::{ClientConfig, RegistryClient, Schema, SchemaReference};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use tempfile::TempDir;

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const ADDRESS_V2: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"},{"name":"zip","type":["null","string"],"default":null}]}"#;
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
const USER_BREAKING: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "address", "type": ["null", "Address"], "default": null}
  ]
}"#;
const COMMON: &str =
    "syntax = \"proto3\";\npackage ev.v1;\n\nmessage Common {\n  string source = 1;\n}\n";
const EVENT_V1: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage UserEvent {\n  string id = 1;\n  Common common = 2;\n  google.protobuf.Timestamp at = 3;\n}\n";
const EVENT_V2: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage UserEvent {\n  string id = 1;\n  Common common = 2;\n  google.protobuf.Timestamp at = 3;\n  string note = 4;\n}\n";
const EVENT_BREAKING: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage UserEvent {\n  int64 id = 1;\n  Common common = 2;\n  google.protobuf.Timestamp at = 3;\n}\n";
/// Not a schema file this mode checks: samples live in `evolution/`.
const SAMPLE: &str = r#"{"type":"record","name":"Sample","namespace":"shop","fields":[]}"#;

async fn start(basic_auth: Option<&str>) -> (EmbeddedRegistry, RegistryClient) {
    let server = EmbeddedRegistry::start(
        {
            let mut config =
                ServerConfig::default().listen("127.0.0.1:0".parse().expect("address"));
            config.basic_auth = basic_auth.map(Into::into);
            config
        },
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry starts");
    let mut config = ClientConfig::new(server.url());
    config.basic_auth = basic_auth.map(Into::into);
    let client = RegistryClient::new(config).expect("client");
    (server, client)
}

fn reference(name: &str, subject: &str, version: i32) -> SchemaReference {
    SchemaReference {
        name: name.into(),
        subject: subject.into(),
        version,
    }
}

fn user_v1_schema() -> Schema {
    Schema::avro(USER_V1).with_references(vec![reference("shop.Address", "shop.Address", 1)])
}

fn event_v1_schema(common_subject: &str) -> Schema {
    Schema::protobuf(EVENT_V1).with_references(vec![reference(
        "ev/v1/common.proto",
        common_subject,
        1,
    )])
}

/// v1 of everything under the default (record) subjects: `shop.Address`, `shop.User` (with a
/// reference to `shop.Address`), `ev.v1.Common`, `ev.v1.UserEvent` (importing common.proto).
async fn register_v1(client: &RegistryClient) {
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    client
        .register("shop.User", &user_v1_schema(), false)
        .await
        .expect("register User");
    client
        .register("ev.v1.Common", &Schema::protobuf(COMMON), false)
        .await
        .expect("register common.proto");
    client
        .register("ev.v1.UserEvent", &event_v1_schema("ev.v1.Common"), false)
        .await
        .expect("register user_event.proto");
}

/// A repository with `files`; without a subjects file of its own it gets one saying that
/// files are registered under their record names (`check --registry` needs to be told).
fn layout(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if !files.iter().any(|(p, _)| *p == "schemaflow-subjects.toml") {
        std::fs::write(
            dir.path().join("schemaflow-subjects.toml"),
            "[defaults]\nstrategy = \"record\"\n",
        )
        .expect("write subjects file");
    }
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Run `schemaflow check ARGS` in `dir` on a blocking thread (the server keeps serving).
async fn check(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .current_dir(dir)
            .env_remove("SCHEMA_REGISTRY_AUTH")
            .env_remove("SCHEMA_REGISTRY_URL")
            .env_remove("SCHEMA_REGISTRY_TOKEN")
            .arg("check")
            .args(args)
            .output()
            .expect("binary runs")
    })
    .await
    .expect("blocking task")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn findings(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["findings"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatible_changes_pass() {
    let (server, client) = start(None).await;
    register_v1(&client).await;
    let dir = layout(&[
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_V2),
        ("schemas/evolution/sample.avsc", SAMPLE),
        ("proto/ev/v1/common.proto", COMMON),
        ("proto/ev/v1/user_event.proto", EVENT_V2),
    ]);
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["compatible"], true);
    assert_eq!(doc["mode"], "REGISTRY");
    assert!(findings(&doc).is_empty(), "{doc}");
    // Every subject was found: nothing passed as "new" by a wrong subject name.
    assert_eq!(doc["not_checked"], serde_json::json!([]), "{doc}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 file(s) checked"), "{stderr}");
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_change_fails_with_the_registry_message() {
    let (server, client) = start(None).await;
    register_v1(&client).await;
    let dir = layout(&[
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
        ("proto/ev/v1/common.proto", COMMON),
        ("proto/ev/v1/user_event.proto", EVENT_BREAKING),
    ]);
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["compatible"], false);

    // The messages are the registry's own, for the same request.
    let want_avro = client
        .check_compatibility(
            "shop.User",
            None,
            &Schema::avro(USER_BREAKING).with_references(vec![reference(
                "shop.Address",
                "shop.Address",
                1,
            )]),
        )
        .await
        .expect("check");
    let want_proto = client
        .check_compatibility(
            "ev.v1.UserEvent",
            None,
            &Schema::protobuf(EVENT_BREAKING).with_references(vec![reference(
                "ev/v1/common.proto",
                "ev.v1.Common",
                1,
            )]),
        )
        .await
        .expect("check");
    assert!(!want_avro.is_compatible && !want_avro.messages.is_empty());
    assert!(!want_proto.is_compatible && !want_proto.messages.is_empty());

    let got = findings(&doc);
    let messages_for = |file: &str| -> Vec<String> {
        got.iter()
            .filter(|f| f["file"] == file)
            .map(|f| {
                assert_eq!(f["rule"], "REGISTRY_INCOMPATIBLE", "{f}");
                assert_eq!(f["line"], 1, "{f}");
                assert_eq!(f["direction"], "BACKWARD", "{f}");
                f["message"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    };
    assert_eq!(
        messages_for("schemas/user.avsc"),
        want_avro.messages,
        "{doc}"
    );
    assert_eq!(
        messages_for("proto/ev/v1/user_event.proto"),
        want_proto.messages,
        "{doc}"
    );
    assert_eq!(
        got.len(),
        want_avro.messages.len() + want_proto.messages.len(),
        "{doc}"
    );

    // Text output: stable FILE:LINE: RULE lines.
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("schemas/user.avsc:1: REGISTRY_INCOMPATIBLE shop.User: ")),
        "{text}"
    );
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subjects_config_maps_files() {
    let (server, client) = start(None).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    client
        .register("users-value", &user_v1_schema(), false)
        .await
        .expect("register User");
    client
        .register("common-proto", &Schema::protobuf(COMMON), false)
        .await
        .expect("register common");
    client
        .register(
            "user-events-proto-value",
            &event_v1_schema("common-proto"),
            false,
        )
        .await
        .expect("register event");
    let config = r#"
[defaults]
strategy = "record"

[[file]]
path = "schemas/user.avsc"
subject = "users-value"

[[file]]
path = "proto/ev/v1/common.proto"
subject = "common-proto"

[[file]]
path = "proto/ev/v1/user_event.proto"
topic = "user-events-proto"
"#;
    // At the root under its default name: found without a flag.
    let dir = layout(&[
        ("schemaflow-subjects.toml", config),
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
        ("proto/ev/v1/common.proto", COMMON),
        ("proto/ev/v1/user_event.proto", EVENT_V2),
    ]);
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        doc["not_checked"],
        serde_json::json!([]),
        "every mapped subject exists: {doc}"
    );
    let got = findings(&doc);
    assert!(!got.is_empty(), "{doc}");
    for f in &got {
        assert_eq!(f["file"], "schemas/user.avsc", "{f}");
        assert_eq!(f["path"], "users-value", "{f}");
        assert_eq!(f["against"], "registry subject users-value", "{f}");
    }

    // Elsewhere, with --subjects-config; without the mapping user.avsc would be a new subject.
    std::fs::create_dir_all(dir.path().join("ci")).expect("mkdir");
    std::fs::rename(
        dir.path().join("schemaflow-subjects.toml"),
        dir.path().join("ci/subjects.toml"),
    )
    .expect("move config");
    let out = check(
        dir.path(),
        &[
            "--registry",
            server.url(),
            "--subjects-config",
            "ci/subjects.toml",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(findings(&json(&out)).len(), got.len());

    // Without a config the check cannot know the subjects: exit 2, naming the file to write.
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("schemaflow-subjects.toml"),
        "{}",
        show(&out)
    );
    assert!(out.stdout.is_empty(), "{}", show(&out));

    // Record names, declared: shop.User is new, and common.proto's record subject
    // (ev.v1.Common) holds nothing, so user_event.proto's reference is missing.
    std::fs::write(
        dir.path().join("ci/record.toml"),
        "[defaults]\nstrategy = \"record\"\n",
    )
    .expect("write");
    let out = check(
        dir.path(),
        &[
            "--registry",
            server.url(),
            "--subjects-config",
            "ci/record.toml",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let notes = doc["not_checked"].as_array().cloned().unwrap_or_default();
    assert!(
        notes.iter().any(|n| n["subject"] == "shop.User"),
        "without the config: {doc}"
    );
    let rules: Vec<String> = findings(&doc)
        .iter()
        .map(|f| format!("{} {}", f["file"], f["rule"]))
        .collect();
    assert_eq!(
        rules,
        [r#""proto/ev/v1/user_event.proto" "REFERENCE_NOT_REGISTERED""#],
        "{doc}"
    );

    // A config naming a file that does not exist is a usage error.
    std::fs::write(
        dir.path().join("ci/bad.toml"),
        "[[file]]\npath = \"schemas/nope.avsc\"\nsubject = \"x\"\n",
    )
    .expect("write");
    let out = check(
        dir.path(),
        &[
            "--registry",
            server.url(),
            "--subjects-config",
            "ci/bad.toml",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_subject_passes() {
    let (server, client) = start(None).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    // shop.User does not exist yet; its reference does.
    let dir = layout(&[
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
    ]);
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["not checked: schemas/user.avsc: subject shop.User does not exist in the registry yet: a new schema, nothing to be compatible with"],
        "{text}"
    );
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    let doc = json(&out);
    assert_eq!(doc["compatible"], true);
    assert_eq!(doc["not_checked"][0]["subject"], "shop.User", "{doc}");
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_down_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = layout(&[("schemas/address.avsc", ADDRESS)]);
    let url = format!("http://127.0.0.1:{port}");
    let out = check(dir.path(), &["--registry", &url]).await;
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", show(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_not_registered_fails() {
    let (server, client) = start(None).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    client
        .register("shop.User", &user_v1_schema(), false)
        .await
        .expect("register User");
    // address.avsc changed (compatibly) but is not registered yet; user.avsc is unchanged.
    // Nothing of proto/ is registered: common.proto is new, user_event.proto needs it.
    let dir = layout(&[
        ("schemas/address.avsc", ADDRESS_V2),
        ("schemas/user.avsc", USER_V1),
        ("proto/ev/v1/common.proto", COMMON),
        ("proto/ev/v1/user_event.proto", EVENT_V1),
    ]);
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let got = findings(&doc);
    let files: Vec<&str> = got.iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(
        files,
        ["proto/ev/v1/user_event.proto", "schemas/user.avsc"],
        "{doc}"
    );
    for f in &got {
        assert_eq!(f["rule"], "REFERENCE_NOT_REGISTERED", "{f}");
        let message = f["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("register the referenced schema first"),
            "{f}"
        );
    }
    assert!(
        got[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("proto/ev/v1/common.proto (subject ev.v1.Common)")),
        "{doc}"
    );
    assert!(
        got[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("schemas/address.avsc (subject shop.Address)")),
        "{doc}"
    );
    let notes = doc["not_checked"].as_array().cloned().unwrap_or_default();
    assert_eq!(notes.len(), 1, "{doc}");
    assert_eq!(notes[0]["subject"], "ev.v1.Common");
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_is_sent() {
    let (server, client) = start(Some("ci:secret")).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    let dir = layout(&[("schemas/address.avsc", ADDRESS_V2)]);
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let out = check(
        dir.path(),
        &["--registry", server.url(), "--registry-auth", "ci:secret"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(out.stdout.is_empty(), "{}", show(&out));
    server.stop().await.expect("stop");
}

/// The demo's layout: producers register under TopicNameStrategy (`user-events-value`). A
/// breaking `user.avsc` must fail once the subjects file says so, and without one the check
/// refuses to guess (it used to look up `shop.User`, find nothing and pass).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_subjects_need_the_subjects_file() {
    let (server, client) = start(None).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    client
        .register("user-events-value", &user_v1_schema(), false)
        .await
        .expect("register user-events-value");
    let dir = layout(&[
        (
            "schemaflow-subjects.toml",
            "[[file]]\npath = \"schemas/user.avsc\"\ntopic = \"user-events\"\n",
        ),
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
    ]);
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    std::fs::remove_file(dir.path().join("schemaflow-subjects.toml")).expect("rm");
    let out = check(dir.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compatibility_group_change_is_reported_and_a_group_is_checked_within() {
    use schemaflow::registry::Metadata;
    let (server, client) = start(None).await;
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("register Address");
    let config = reqwest::Client::new()
        .put(format!("{}/config/shop.User", server.url()))
        .json(&serde_json::json!({"compatibilityGroup": "major_version"}))
        .send()
        .await
        .expect("config");
    assert!(config.status().is_success(), "{config:?}");
    let major = Metadata {
        properties: [("major_version".to_string(), "1".to_string())].into(),
        ..Metadata::default()
    };
    client
        .register_with_contract("shop.User", &user_v1_schema(), Some(major), None, false)
        .await
        .expect("register User v1 in major version 1");

    // No metadata in the subjects file: the file stays in the latest's group (1), and a
    // breaking change there fails as it would without groups.
    let same_group = layout(&[
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
    ]);
    let out = check(same_group.path(), &["--registry", server.url()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));

    // The file starts major version 2: nothing of group 1 is compared, and that is reported.
    let subjects = "[defaults]\nstrategy = \"record\"\n\n[[file]]\npath = \"schemas/user.avsc\"\nsubject = \"shop.User\"\nmetadata = { major_version = \"2\" }\n";
    let next_group = layout(&[
        ("schemaflow-subjects.toml", subjects),
        ("schemas/address.avsc", ADDRESS),
        ("schemas/user.avsc", USER_BREAKING),
    ]);
    let out = check(
        next_group.path(),
        &["--registry", server.url(), "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert!(findings(&doc).is_empty(), "{doc}");
    let notes = doc["not_checked"].as_array().cloned().unwrap_or_default();
    let note = notes
        .iter()
        .find(|n| n["subject"] == "shop.User")
        .unwrap_or_else(|| panic!("no note for shop.User: {doc}"));
    let reason = note["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("compatibility group change")
            && reason.contains("major_version = \"2\"")
            && reason.contains("major_version = \"1\""),
        "{reason}"
    );
    server.stop().await.expect("stop");
}
