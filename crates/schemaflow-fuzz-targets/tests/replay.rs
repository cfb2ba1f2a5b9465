//! Replays every committed fuzz input — `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` — through the target functions libFuzzer runs, as an
//! ordinary test (no sanitizer, no libFuzzer): a fixed finding stays fixed.

use std::path::{Path, PathBuf};

use schemaflow_fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the folder does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable fuzz input folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run `target` on every seed and regression input of `name`; at least one must exist.
fn replay(name: &str) {
    let &(_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    let files: Vec<PathBuf> = ["seeds", "regressions"]
        .iter()
        .flat_map(|kind| inputs(kind, name))
        .collect();
    assert!(
        !files.is_empty(),
        "target {name} has no inputs under fuzz/seeds/{name} or fuzz/regressions/{name}"
    );
    for file in files {
        let data = std::fs::read(&file).expect("readable fuzz input");
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(outcome.is_ok(), "{name} panicked on {}", file.display());
    }
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name));
            }
        )*

        /// Every target has its replay test above, and every cargo-fuzz binary in
        /// `fuzz/fuzz_targets/` is one of them.
        #[test]
        fn every_target_is_replayed() {
            let replayed = [$(stringify!($name)),*];
            let mut targets: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
            targets.sort_unstable();
            let mut sorted = replayed.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, targets, "a target without a replay test, or the reverse");

            let mut binaries: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
                .expect("fuzz/fuzz_targets exists")
                .map(|e| e.expect("readable").path())
                .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
                .collect();
            binaries.sort();
            assert_eq!(binaries, targets, "fuzz/fuzz_targets/ and TARGETS differ");
        }
    };
}

replay_tests!(
    wire_frame,
    avro_decode,
    avro_resolve,
    protobuf_decode,
    frame_to_json,
    avsc_parse,
    proto_compile,
    json_line_to_frame,
    compat_check,
);
