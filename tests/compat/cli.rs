//! `schemaflow check` as a user runs it: the built binary, in pair mode and in repository mode
//! on a temporary git repository with a non-breaking and a breaking commit.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schemaflow"))
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

fn check_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const USER_V1: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "address", "type": ["null", "shop.Address"], "default": null}
  ]
}"#;
const USER_V2: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "address", "type": ["null", "shop.Address"], "default": null},
    {"name": "email", "type": ["null", "string"], "default": null}
  ]
}"#;
const USER_V3: &str = r#"{
  "type": "record", "name": "User", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "address", "type": ["null", "shop.Address"], "default": null},
    {"name": "email", "type": ["null", "string"], "default": null}
  ]
}"#;
const COMMON: &str =
    "syntax = \"proto3\";\npackage shop.v1;\nmessage Money {\n  int64 cents = 1;\n}\n";
const ORDER_V1: &str = "syntax = \"proto3\";\npackage shop.v1;\nimport \"shop/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/type/date.proto\";\n\nmessage Order {\n  string id = 1;\n  Money total = 2;\n  google.protobuf.Timestamp at = 3;\n  google.type.Date day = 4;\n}\n";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "schemas/address.avsc", ADDRESS);
    write(d, "schemas/user.avsc", USER_V1);
    write(d, "proto/shop/v1/common.proto", COMMON);
    write(d, "proto/shop/v1/order.proto", ORDER_V1);
    // Samples under evolution/ are skipped, even when they would break.
    write(d, "schemas/evolution/user.avsc", USER_V1);
    commit_all(d, "v1");
    dir
}

#[test]
fn repo_mode_passes_a_non_breaking_commit_and_fails_a_breaking_one() {
    let dir = repo();
    let d = dir.path();
    // Non-breaking: an optional Avro field, a new Protobuf field, a new file.
    write(d, "schemas/user.avsc", USER_V2);
    write(
        d,
        "proto/shop/v1/order.proto",
        &ORDER_V1.replace(
            "google.type.Date day = 4;",
            "google.type.Date day = 4;\n  string note = 5;",
        ),
    );
    write(
        d,
        "schemas/new.avsc",
        r#"{"type":"record","name":"New","namespace":"shop","fields":[]}"#,
    );
    write(
        d,
        "schemas/evolution/user.avsc",
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"x","type":"int"}]}"#,
    );
    commit_all(d, "non-breaking");
    let out = check_in(d, &["--against", "git:HEAD~1", "--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["compatible"], true);
    // The new file is parsed and listed as not checked, never silently "compatible".
    assert_eq!(
        doc["not_checked"],
        serde_json::json!([{"file": "schemas/new.avsc", "subject": null, "reason": "new since HEAD~1: nothing to be compatible with"}]),
        "{doc}"
    );

    // Breaking: Avro id string → long; Protobuf total Money → string.
    write(d, "schemas/user.avsc", USER_V3);
    let order = std::fs::read_to_string(d.join("proto/shop/v1/order.proto")).unwrap();
    write(
        d,
        "proto/shop/v1/order.proto",
        &order.replace("Money total = 2;", "string total = 2;"),
    );
    commit_all(d, "breaking");
    let out = check_in(d, &["--against", "git:HEAD~1", "--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["compatible"], false);
    assert_eq!(v["mode"], "BACKWARD");
    let mut got: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "proto/shop/v1/order.proto".to_string(),
                "FIELD_KIND_CHANGED".to_string(),
                9
            ),
            (
                "schemas/user.avsc".to_string(),
                "TYPE_MISMATCH".to_string(),
                4
            ),
        ]
    );
    // Text lines are `file:line: RULE_ID …`.
    let out = check_in(d, &["--against", "git:HEAD~1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("schemas/user.avsc:4: TYPE_MISMATCH /fields/0/type: ")),
        "{text}"
    );
    // The first commit compared with itself plus the good commit is still fine under NONE.
    let out = check_in(d, &["--against", "git:HEAD~1", "--mode", "NONE"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn repo_mode_reports_deleted_files_and_uncommitted_changes() {
    let dir = repo();
    let d = dir.path();
    std::fs::remove_file(d.join("proto/shop/v1/order.proto")).unwrap();
    let out = check_in(d, &["--against", "git:HEAD", "--output", "github-actions"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("::error file=proto/shop/v1/order.proto,line=1,title=SCHEMA_DELETED::"),
        "{text}"
    );
    // A bad ref is a git error (exit 3, as --help says); a malformed --against is usage (2).
    assert_eq!(
        check_in(d, &["--against", "git:no-such-branch"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(check_in(d, &["--against", "HEAD"]).status.code(), Some(2));
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(
        check_in(outside.path(), &["--against", "git:HEAD"])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn pair_mode_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "v1.avsc", USER_V1);
    write(d, "v2.avsc", USER_V2);
    write(d, "v3.avsc", USER_V3);
    write(d, "address.avsc", ADDRESS);
    write(d, "bad.avsc", "{\"type\": \"record\"");
    let base = ["--schema-type", "avro", "--reference", "address.avsc"];
    let run = |extra: &[&str]| check_in(d, &[&base[..], extra].concat()).status.code();
    assert_eq!(
        run(&["--previous", "v1.avsc", "--candidate", "v2.avsc"]),
        Some(0)
    );
    assert_eq!(
        run(&[
            "--mode",
            "full_transitive",
            "--previous",
            "v1.avsc",
            "--previous",
            "v2.avsc",
            "--candidate",
            "v3.avsc"
        ]),
        Some(1)
    );
    assert_eq!(
        run(&["--previous", "v1.avsc", "--candidate", "bad.avsc"]),
        Some(2)
    );
    assert_eq!(
        run(&["--previous", "v1.avsc", "--candidate", "missing.avsc"]),
        Some(3)
    );
    assert_eq!(
        run(&["--mode", "sideways", "--candidate", "v1.avsc"]),
        Some(2)
    );
    assert_eq!(run(&[]), Some(2));
    // Without the reference, shop.Address is unknown: a parse error.
    assert_eq!(
        check_in(d, &["--previous", "v1.avsc", "--candidate", "v2.avsc"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn pair_mode_protobuf_with_proto_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "protos/shop/v1/common.proto", COMMON);
    write(d, "old/order.proto", ORDER_V1);
    write(
        d,
        "new/order.proto",
        &ORDER_V1.replace("string id = 1;", "int64 id = 1;"),
    );
    let out = check_in(
        d,
        &[
            "--schema-type",
            "protobuf",
            "--proto-path",
            "protos",
            "--previous",
            "old/order.proto",
            "--candidate",
            "new/order.proto",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("new/order.proto:8: FIELD_SCALAR_KIND_CHANGED shop.v1.Order.id: "),
        "{text}"
    );
    // Without --proto-path the import does not resolve: usage error.
    let out = check_in(
        d,
        &[
            "--previous",
            "old/order.proto",
            "--candidate",
            "new/order.proto",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_documents_json_shape() {
    let out = bin().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("\"compatible\": bool") && help.contains("github-actions"),
        "{help}"
    );
}

/// A new file since the ref must parse: `echo '{' > schemas/new.avsc` used to pass.
#[test]
fn repo_mode_parses_new_files() {
    let dir = repo();
    let d = dir.path();
    write(d, "schemas/new.avsc", "{");
    git(d, &["add", "-A"]);
    let out = check_in(d, &["--against", "git:HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("schemas/new.avsc"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write(
        d,
        "proto/shop/v1/new.proto",
        "syntax = \"proto3\";\nmessage N { string a = 0; }\n",
    );
    std::fs::remove_file(d.join("schemas/new.avsc")).unwrap();
    let out = check_in(d, &["--against", "git:HEAD"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--against git:main` compares with the merge base: a branch behind main does not see the
/// schemas main added since as deleted, and a change on the branch is still checked.
#[test]
fn repo_mode_compares_with_the_merge_base() {
    let dir = repo();
    let d = dir.path();
    git(d, &["branch", "-q", "-M", "main"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    git(d, &["checkout", "-q", "main"]);
    write(
        d,
        "schemas/added_on_main.avsc",
        r#"{"type":"record","name":"Later","namespace":"shop","fields":[]}"#,
    );
    commit_all(d, "main moves on");
    git(d, &["checkout", "-q", "feature"]);
    write(d, "schemas/user.avsc", USER_V2);
    commit_all(d, "feature change");
    let out = check_in(d, &["--against", "git:main", "--output", "json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(doc["findings"], serde_json::json!([]), "{doc}");
    // A breaking change on the branch is found against the merge base.
    write(d, "schemas/user.avsc", USER_V3);
    let out = check_in(d, &["--against", "git:main", "--output", "json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    assert_eq!(
        doc["findings"][0]["against"],
        "schemas/user.avsc@merge-base(HEAD, main)"
    );
}
