//! The test- and bench-only Avro samples (`tests/avro_samples/` of the workspace root) are
//! generated ahead of time into a checked-in file, which the codec property tests and the
//! benchmarks `include!`: this test keeps that file equal to what the codegen makes of them.
use std::fs;
use std::path::Path;

use schemaflow_build::Builder;

#[test]
fn checked_in_avro_samples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap();
    let dir = root.join("tests/avro_samples");
    let generated = Builder::new()
        .avro_dir(&dir)
        .separate_set("evolution")
        .generate()
        .unwrap();
    let target = dir.join("generated.rs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&target, &generated.source).unwrap();
    }
    let expected = fs::read_to_string(&target).expect("generated.rs; run with UPDATE_GOLDEN=1");
    assert_eq!(
        generated.source, expected,
        "tests/avro_samples changed; review and UPDATE_GOLDEN=1"
    );
}
