//! A temporary git repository for `schemaflow check` output and waiver tests: one breaking
//! change (`schemas/user.avsc`: `id` string → long), one compatible file whose name needs
//! escaping in every format, one file new since `HEAD`.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The compatible file: XML and JSON special characters in its name.
pub const ODD: &str = "schemas/odd&<name>'\".avsc";
pub const USER: &str = "schemas/user.avsc";
pub const NEW: &str = "schemas/new.avsc";

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[
  {"name":"id","type":"long"}
]}"#;
const ODD_V1: &str = r#"{"type":"record","name":"Odd","namespace":"shop","fields":[]}"#;
const ODD_V2: &str = r#"{"type":"record","name":"Odd","namespace":"shop","fields":[{"name":"x","type":["null","string"],"default":null}]}"#;
const NEW_V1: &str = r#"{"type":"record","name":"New","namespace":"shop","fields":[]}"#;

pub fn git(dir: &Path, args: &[&str]) {
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

pub fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// The repository: v1 committed, the working tree changed (breaking, compatible, new).
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, USER, USER_V1);
    write(d, ODD, ODD_V1);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1"]);
    write(d, USER, USER_V2);
    write(d, ODD, ODD_V2);
    write(d, NEW, NEW_V1);
    dir
}

/// `schemaflow check --against git:HEAD ARGS` in `dir`, with `SCHEMAFLOW_TODAY` = `today`.
pub fn check(dir: &Path, today: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .current_dir(dir)
        .env_remove("SCHEMA_REGISTRY_URL")
        .env("SCHEMAFLOW_TODAY", today)
        .args(["check", "--against", "git:HEAD"])
        .args(args)
        .output()
        .expect("binary runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}
