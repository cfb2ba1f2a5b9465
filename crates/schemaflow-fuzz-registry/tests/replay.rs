//! Replays every committed input of the `registry_http` fuzz target —
//! `fuzz/seeds/registry_http/` and `fuzz/regressions/registry_http/` — through the function
//! libFuzzer runs, as an ordinary test: a fixed finding stays fixed.

use std::path::{Path, PathBuf};

const TARGET: &str = "registry_http";

#[test]
fn registry_http() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files: Vec<PathBuf> = ["seeds", "regressions"]
        .iter()
        .filter_map(|kind| std::fs::read_dir(fuzz.join(kind).join(TARGET)).ok())
        .flatten()
        .map(|e| e.expect("readable fuzz input folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{TARGET} has no committed inputs");
    for file in files {
        let data = std::fs::read(&file).expect("readable fuzz input");
        let outcome = std::panic::catch_unwind(|| schemaflow_fuzz_registry::registry_http(&data));
        assert!(outcome.is_ok(), "{TARGET} panicked on {}", file.display());
    }
}

/// The cargo-fuzz binary of this target exists under its name.
#[test]
fn the_fuzz_binary_exists() {
    let binary = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/registry/fuzz_targets")
        .join(format!("{TARGET}.rs"));
    assert!(binary.is_file(), "{} is missing", binary.display());
}
