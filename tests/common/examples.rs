//! The programs in `examples/` that tests run as separate OS processes (group members, the
//! exactly-once processor), built for the test's own profile and target dir.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// `examples/<name>`, built for this test's profile and target dir. `cargo test` builds the
/// examples, but `cargo test --test X` does not (the binary may be missing, or older than the
/// library): build it here (a no-op when it is up to date; cargo's lock is not held while tests
/// run) and take its path from cargo's own report.
pub fn example_exe(name: &str) -> PathBuf {
    static EXES: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let exes = EXES.get_or_init(Default::default);
    let mut exes = exes.lock().unwrap();
    if let Some(p) = exes.get(name) {
        return p.clone();
    }
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_schemaflow"))
        .parent()
        .unwrap();
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev",
        other => other,
    };
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--example", name])
        .args(["--message-format", "json-render-diagnostics"])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("run cargo build --example {name}: {e}"));
    assert!(
        out.status.success(),
        "cargo build --example {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exe = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo reported no {name} executable"));
    exes.insert(name.to_string(), exe.clone());
    exe
}
