//! `schemaflow lock` and `schemaflow check --against lock` as a user runs them: the built
//! binary on a temporary git repository (lock, a compatible change, `lock --add`, a breaking
//! change, a new subject, a deleted file, a broken lock), and `lock --from-registry` against
//! the embedded registry (real HTTP) holding a history with references.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use schemaflow::compat::CompatibilityLevel;
use schemaflow::lock::LockFile;
use schemaflow::registry::{ClientConfig, RegistryClient, Schema, SchemaReference};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const USER_V1: &str = "{\n  \"type\": \"record\", \"name\": \"User\", \"namespace\": \"shop\",\n  \"fields\": [\n    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"home\", \"type\": [\"null\", \"Address\"], \"default\": null}\n  ]\n}\n";
const COMMON: &str =
    "syntax = \"proto3\";\npackage ev.v1;\n\nmessage Common {\n  string source = 1;\n}\n";
const EVENT_V1: &str = "syntax = \"proto3\";\npackage ev.v1;\n\nimport \"ev/v1/common.proto\";\n\nmessage UserEvent {\n  string id = 1;\n  Common common = 2;\n}\n";
const SUBJECTS: &str = "[defaults]\nstrategy = \"record\"\ncompatibility = \"BACKWARD\"\n\n[[file]]\npath = \"schemas/user.avsc\"\ntopic = \"users\"\ncompatibility = \"FULL\"\n";

fn user_v2() -> String {
    USER_V1.replace(
        "\"default\": null}\n",
        "\"default\": null},\n    {\"name\": \"email\", \"type\": [\"null\", \"string\"], \"default\": null}\n",
    )
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", show(&out));
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .current_dir(dir)
        .env_remove("SCHEMA_REGISTRY_URL")
        .env_remove("SCHEMA_REGISTRY_AUTH")
        .env_remove("SCHEMA_REGISTRY_TOKEN")
        .args(args)
        .output()
        .expect("binary runs")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn lock_of(dir: &Path) -> LockFile {
    let text = std::fs::read_to_string(dir.join("schemaflow.lock")).expect("lock written");
    LockFile::parse("schemaflow.lock", &text).expect("lock parses")
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "schemaflow-subjects.toml", SUBJECTS);
    write(d, "schemas/address.avsc", ADDRESS);
    write(d, "schemas/user.avsc", USER_V1);
    write(d, "proto/ev/v1/common.proto", COMMON);
    write(d, "proto/ev/v1/user_event.proto", EVENT_V1);
    dir
}

#[test]
fn the_lock_workflow() {
    let dir = repo();
    let d = dir.path();
    let out = run(d, &["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock = lock_of(d);
    assert_eq!(lock.format, 1);
    let names: Vec<&str> = lock.subjects.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ev.v1.Common",
            "ev.v1.UserEvent",
            "shop.Address",
            "users-value"
        ]
    );
    let users = lock.subject("users-value").expect("users-value");
    assert_eq!(users.compatibility, CompatibilityLevel::Full);
    assert_eq!(users.file.as_deref(), Some("schemas/user.avsc"));
    assert_eq!(users.versions.len(), 1);
    assert_eq!(users.versions[0].references[0].subject, "shop.Address");
    assert!(users.versions[0].fingerprint.starts_with("sha256:"));
    let event = lock.subject("ev.v1.UserEvent").expect("event");
    assert_eq!(event.versions[0].references[0].name, "ev/v1/common.proto");
    // A second `lock` refuses to overwrite.
    assert_eq!(run(d, &["lock"]).status.code(), Some(2));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "v1 released"]);

    // Compatible change: check passes, lock --add records version 2; unchanged files stay.
    write(d, "schemas/user.avsc", &user_v2());
    let out = run(d, &["check", "--against", "lock", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["mode"], "LOCK");
    assert_eq!(doc["not_checked"], serde_json::json!([]));
    let out = run(d, &["lock", "--add"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock = lock_of(d);
    assert_eq!(lock.subject("users-value").expect("s").versions.len(), 2);
    assert_eq!(lock.subject("shop.Address").expect("s").versions.len(), 1);
    // Adding again changes nothing.
    let before = std::fs::read_to_string(d.join("schemaflow.lock")).expect("read");
    assert_eq!(run(d, &["lock", "--add"]).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(d.join("schemaflow.lock")).expect("read"),
        before
    );

    // Breaking: id string → long, found against both locked versions in both directions
    // (FULL, made transitive by the lock).
    write(
        d,
        "schemas/user.avsc",
        &user_v2().replace("\"id\", \"type\": \"string\"", "\"id\", \"type\": \"long\""),
    );
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("schemas/user.avsc:4: TYPE_MISMATCH ")
                && l.ends_with("(BACKWARD against users-value version 1 (lock))")),
        "{text}"
    );
    assert!(
        text.contains("against users-value version 2 (lock)"),
        "every locked version is compared: {text}"
    );
    assert!(
        text.contains("FORWARD against"),
        "FULL checks both ways: {text}"
    );
    // lock --add refuses it and writes nothing.
    let out = run(d, &["lock", "--add"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("schemaflow.lock")).expect("read"),
        before
    );
    write(d, "schemas/user.avsc", &user_v2());

    // A new file: parsed, listed as not checked; a broken new file is exit 2.
    write(
        d,
        "schemas/extra.avsc",
        r#"{"type":"record","name":"Extra","namespace":"shop","fields":[]}"#,
    );
    let out = run(d, &["check", "--against", "lock", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["not_checked"][0]["subject"], "shop.Extra", "{doc}");
    write(d, "schemas/extra.avsc", "{");
    assert_eq!(
        run(d, &["check", "--against", "lock"]).status.code(),
        Some(2)
    );
    std::fs::remove_file(d.join("schemas/extra.avsc")).expect("rm");

    // A released file deleted: SCHEMA_DELETED.
    std::fs::remove_file(d.join("proto/ev/v1/user_event.proto")).expect("rm");
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("proto/ev/v1/user_event.proto:1: SCHEMA_DELETED ev.v1.UserEvent: "),
        "{}",
        show(&out)
    );
    write(d, "proto/ev/v1/user_event.proto", EVENT_V1);

    // lock:PATH, a missing lock, a lock from a newer schemaflow.
    std::fs::rename(d.join("schemaflow.lock"), d.join("released.lock")).expect("mv");
    assert_eq!(
        run(d, &["check", "--against", "lock"]).status.code(),
        Some(2)
    );
    let out = run(d, &["check", "--against", "lock:released.lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    write(d, "newer.lock", &before.replace("format = 1", "format = 2"));
    let out = run(d, &["check", "--against", "lock:newer.lock"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("upgrade schemaflow"),
        "{}",
        show(&out)
    );
}

/// Without a subjects file, subjects are the schemas' full names.
#[test]
fn without_a_subjects_file_subjects_are_full_names() {
    let dir = repo();
    let d = dir.path();
    std::fs::remove_file(d.join("schemaflow-subjects.toml")).expect("rm");
    let out = run(d, &["lock", "--mode", "FULL_TRANSITIVE"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock = lock_of(d);
    let users = lock.subject("shop.User").expect("shop.User");
    assert_eq!(users.compatibility, CompatibilityLevel::FullTransitive);
}

fn reference(name: &str, subject: &str, version: i32) -> SchemaReference {
    SchemaReference {
        name: name.into(),
        subject: subject.into(),
        version,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_from_registry() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().expect("address")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry starts");
    let client = RegistryClient::new(ClientConfig::new(server.url())).expect("client");
    client
        .register("shop.Address", &Schema::avro(ADDRESS), false)
        .await
        .expect("Address");
    let with_address = |text: &str| {
        Schema::avro(text).with_references(vec![reference("shop.Address", "shop.Address", 1)])
    };
    client
        .set_compatibility(Some("users-value"), CompatibilityLevel::Full)
        .await
        .expect("config");
    client
        .register("users-value", &with_address(USER_V1), false)
        .await
        .expect("users v1");
    client
        .register("users-value", &with_address(&user_v2()), false)
        .await
        .expect("users v2");
    client
        .register("ev.v1.Common", &Schema::protobuf(COMMON), false)
        .await
        .expect("common");
    let dir = repo();
    let d = dir.path();
    let url = server.url().to_string();
    let out = tokio::task::spawn_blocking({
        let d = d.to_path_buf();
        move || run(&d, &["--registry", &url, "lock", "--from-registry"])
    })
    .await
    .expect("blocking");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock = lock_of(d);
    let users = lock.subject("users-value").expect("users-value");
    assert_eq!(users.compatibility, CompatibilityLevel::Full);
    assert_eq!(
        users.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    // The registry's text: Avro Java's canonical string of what was registered (as
    // Confluent's), the same schema.
    let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).expect("JSON");
    assert_eq!(json(&users.versions[1].schema), json(&user_v2()));
    assert!(
        !users.versions[1].schema.contains('\n'),
        "canonical, one line"
    );
    assert_eq!(users.versions[1].references[0].subject, "shop.Address");
    assert_eq!(users.file.as_deref(), Some("schemas/user.avsc"));
    assert!(lock.subject("shop.Address").is_some());
    // ev.v1.UserEvent is not registered: not in the lock (stderr says so).
    assert!(lock.subject("ev.v1.UserEvent").is_none());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ev.v1.UserEvent: not in the registry"),
        "{}",
        show(&out)
    );
    // The registry's history checks the repository: user.avsc (v1 text) is compatible.
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    // Fingerprints equal what `lock` computes from the same texts.
    write(d, "schemas/user.avsc", &user_v2());
    std::fs::rename(d.join("schemaflow.lock"), d.join("registry.lock")).expect("mv");
    assert_eq!(run(d, &["lock"]).status.code(), Some(0));
    let local = lock_of(d);
    let from_registry = LockFile::parse(
        "registry.lock",
        &std::fs::read_to_string(d.join("registry.lock")).expect("read"),
    )
    .expect("parse");
    assert_eq!(
        local.subject("users-value").expect("s").versions[0].fingerprint,
        from_registry.subject("users-value").expect("s").versions[1].fingerprint
    );
    server.stop().await.expect("stop");
}

/// This repository's own schemas (Avro, Protobuf and JSON Schema) against its own lock (its
/// build enforces the same for Avro and Protobuf).
#[test]
fn the_repository_is_compatible_with_its_lock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(root, &["check", "--against", "lock", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["not_checked"], serde_json::json!([]), "{doc}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("6 file(s) checked"),
        "{}",
        show(&out)
    );
}

/// Waivers apply in lock mode too: a waived finding passes, an expired waiver fails.
#[test]
fn waivers_apply_against_the_lock() {
    let dir = repo();
    let d = dir.path();
    assert_eq!(run(d, &["lock"]).status.code(), Some(0));
    write(
        d,
        "schemas/user.avsc",
        &USER_V1.replace("\"id\", \"type\": \"string\"", "\"id\", \"type\": \"long\""),
    );
    let waiver = |expires: &str| {
        format!(
            "{SUBJECTS}\n[[waiver]]\nrule = \"TYPE_MISMATCH\"\nfile = \"schemas/user.avsc\"\nreason = \"nobody reads id yet\"\nexpires = {expires}\n"
        )
    };
    write(d, "schemaflow-subjects.toml", &waiver("2999-01-01"));
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("waived: "),
        "{}",
        show(&out)
    );
    write(d, "schemaflow-subjects.toml", &waiver("2000-01-01"));
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("waiver expired on 2000-01-01"),
        "{}",
        show(&out)
    );
}

/// `lock --add` honours the waivers `check --against lock` honours: a finding a live waiver
/// accepts passes the check and is recorded as the next version; past the waiver's date both
/// refuse it, saying the waiver expired.
#[test]
fn lock_add_honours_the_waivers_check_honours() {
    let breaking = USER_V1.replace("\"id\", \"type\": \"string\"", "\"id\", \"type\": \"long\"");
    let waiver = |expires: &str| {
        format!(
            "{SUBJECTS}\n[[waiver]]\nrule = \"TYPE_MISMATCH\"\nfile = \"schemas/user.avsc\"\nreason = \"nobody reads id yet\"\nexpires = {expires}\n"
        )
    };

    // Live: check passes, lock --add records version 2.
    let dir = repo();
    let d = dir.path();
    assert_eq!(run(d, &["lock"]).status.code(), Some(0));
    write(d, "schemas/user.avsc", &breaking);
    write(d, "schemaflow-subjects.toml", &waiver("2999-01-01"));
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = run(d, &["lock", "--add"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("waived until 2999-01-01 (nobody reads id yet)"),
        "{}",
        show(&out)
    );
    let users = lock_of(d)
        .subject("users-value")
        .expect("users-value")
        .clone();
    assert_eq!(users.versions.len(), 2);
    assert_eq!(users.versions[1].schema, breaking);

    // Expired: both refuse, and lock --add writes nothing.
    let dir = repo();
    let d = dir.path();
    assert_eq!(run(d, &["lock"]).status.code(), Some(0));
    let before = std::fs::read_to_string(d.join("schemaflow.lock")).expect("lock");
    write(d, "schemas/user.avsc", &breaking);
    write(d, "schemaflow-subjects.toml", &waiver("2000-01-01"));
    let out = run(d, &["check", "--against", "lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let out = run(d, &["lock", "--add"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("(waiver expired on 2000-01-01: nobody reads id yet)"),
        "{}",
        show(&out)
    );
    let after = std::fs::read_to_string(d.join("schemaflow.lock")).expect("lock");
    assert_eq!(before, after);
}

/// A subjects file kept outside the repository: its paths may be the repository's or relative
/// to its own folder; a path that names no schema file of the repository says why.
#[test]
fn a_subjects_file_outside_the_repository() {
    let dir = repo();
    let d = dir.path();
    std::fs::remove_file(d.join("schemaflow-subjects.toml")).expect("remove");
    let outside = tempfile::tempdir().expect("tmp");
    let config = outside.path().join("subjects.toml");
    let config_arg = config.display().to_string();
    let repo_name = d
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a temp dir name");
    let lock_with = |path: &str| {
        std::fs::write(
            &config,
            format!("[[file]]\npath = \"{path}\"\nsubject = \"users-value\"\n"),
        )
        .expect("write");
        let _ = std::fs::remove_file(d.join("schemaflow.lock"));
        run(d, &["lock", "--subjects-config", &config_arg])
    };
    // Both temp dirs share a parent: `../REPO/…` from the subjects file's folder.
    for path in [
        "schemas/user.avsc".to_string(),
        format!("../{repo_name}/schemas/user.avsc"),
        d.join("schemas/user.avsc").display().to_string(),
    ] {
        let out = lock_with(&path);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", show(&out));
        let users = lock_of(d);
        let users = users.subject("users-value").expect("users-value");
        assert_eq!(users.file.as_deref(), Some("schemas/user.avsc"), "{path}");
    }
    let out = lock_with("schemas/gone.avsc");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("\"schemas/gone.avsc\" is not a schema file of the repository at")
            && err.contains(&format!(
                "neither {} nor {} exists",
                d.join("schemas/gone.avsc").display(),
                outside.path().join("schemas/gone.avsc").display()
            ))
            && err.contains("relative to the repository root (or to the subjects file's folder)"),
        "{err}"
    );
    // A schema file of another folder is outside this repository, and the error says so.
    write(outside.path(), "schemas/user.avsc", USER_V1);
    let out = lock_with(
        &outside
            .path()
            .join("schemas/user.avsc")
            .display()
            .to_string(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is outside it"),
        "{}",
        show(&out)
    );
}
