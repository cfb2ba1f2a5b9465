//! The pinned Python peer (confluent-kafka 2.16.0 in a venv made and cached by
//! `scripts/python-env`): its interpreter, and the scripts under `tests/python/`.
#![allow(dead_code)]

use std::process::Command;

/// The venv's `python`, making the venv on first use.
pub fn python() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/scripts/python-env"))
        .output()
        .expect("run scripts/python-env");
    assert!(
        out.status.success(),
        "python-env failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let venv = String::from_utf8(out.stdout).unwrap();
    format!("{}/bin/python", venv.lines().last().unwrap().trim())
}
