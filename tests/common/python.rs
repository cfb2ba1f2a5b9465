//! The pinned Python peer (confluent-kafka 2.16.0 in a venv made and cached by
//! `scripts/python-env`): its interpreter, and the scripts under `tests/python/`.
#![allow(dead_code)]

use std::process::Command;

/// The venv's `python`, making the venv on first use.
pub fn python() -> String {
    format!("{}/bin/python", venv(None))
}

/// The venv of `requirements` (a file under the repository; `None`: the peer's
/// `scripts/requirements.txt`), made and cached by `scripts/python-env` on first use.
pub fn venv(requirements: Option<&str>) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut cmd = Command::new(format!("{root}/scripts/python-env"));
    if let Some(r) = requirements {
        cmd.arg(format!("{root}/{r}"));
    }
    let out = cmd.output().expect("run scripts/python-env");
    assert!(
        out.status.success(),
        "python-env failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let venv = String::from_utf8_lossy(&out.stdout);
    venv.lines().last().unwrap_or_default().trim().to_string()
}
