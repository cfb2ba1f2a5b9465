//! Codegen: golden output for the repository's schemas, and build failures that name the file.
use std::fs;
use std::path::Path;

use schemaflow_build::{write_if_changed, Builder, Error, Generated};

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
}

/// What a crate with `schemas/` and/or `proto/` at `root` generates (with `evolution/` apart,
/// as this repository's build.rs does).
fn generate(root: &Path) -> Result<Generated, Error> {
    let mut b = Builder::new();
    if root.join("schemas").is_dir() {
        b.avro_dir(root.join("schemas"));
    }
    if root.join("schemas/json").is_dir() {
        b.json_schema_dir(root.join("schemas/json"));
    }
    if root.join("proto").is_dir() {
        b.proto_dir(root.join("proto"));
    }
    b.separate_set("evolution").generate()
}

/// The generated source for `schemas/` and `proto/` is reviewed as a file: set
/// `UPDATE_GOLDEN=1` to rewrite it after an intended change.
#[test]
fn generated_source_matches_golden() {
    let generated = generate(repo_root()).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/generated.rs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&golden, &generated.source).unwrap();
    }
    let expected = fs::read_to_string(&golden).expect("golden file; run with UPDATE_GOLDEN=1");
    assert!(generated.source.starts_with("// @generated"));
    assert_eq!(
        generated.source, expected,
        "codegen output changed; review and UPDATE_GOLDEN=1"
    );
    // Every schema file was read (for rerun-if-changed).
    let inputs: Vec<String> = generated
        .inputs
        .iter()
        .map(|p| p.strip_prefix(repo_root()).unwrap().display().to_string())
        .collect();
    for f in [
        "schemas/address.avsc",
        "schemas/user_event.avsc",
        "schemas/evolution/user_event.avsc",
        "proto/events/v1/common.proto",
        "proto/events/v1/user_event.proto",
        "proto/evolution/events/v1/user_event.proto",
        "schemas/json/address.json",
        "schemas/json/user_event.json",
    ] {
        assert!(
            inputs.iter().any(|i| i == f),
            "{f} not among inputs {inputs:?}"
        );
    }
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

fn error_for(files: &[(&str, &str)]) -> String {
    let dir = project(files);
    generate(dir.path()).expect_err("must fail").to_string()
}

const GOOD: &str = r#"{"type":"record","name":"Good","fields":[{"name":"a","type":"int"}]}"#;

#[test]
fn invalid_json_names_the_file() {
    let e = error_for(&[
        ("schemas/good.avsc", GOOD),
        ("schemas/broken.avsc", "{\"type\": "),
    ]);
    assert!(
        e.contains("broken.avsc") && e.contains("invalid JSON"),
        "{e}"
    );
}

#[test]
fn invalid_avro_names_the_file_and_reason() {
    let e = error_for(&[
        ("schemas/good.avsc", GOOD),
        (
            "schemas/bad.avsc",
            r#"{"type":"record","name":"Bad","fields":[{"name":"x","type":"nosuchtype"}]}"#,
        ),
    ]);
    assert!(e.contains("bad.avsc"), "{e}");
    assert!(e.contains("nosuchtype"), "{e}");
}

#[test]
fn invalid_proto_names_the_file_and_reason() {
    let e = error_for(&[(
        "proto/bad.proto",
        "syntax = \"proto3\";\nmessage M { int32 x = ; }\n",
    )]);
    assert!(e.contains("bad.proto"), "{e}");
    let e = error_for(&[(
        "proto/imp.proto",
        "syntax = \"proto3\";\nimport \"missing.proto\";\n",
    )]);
    assert!(e.contains("missing.proto"), "{e}");
}

#[test]
fn packageless_proto_and_unions_generate() {
    let dir = project(&[
        (
            "proto/plain.proto",
            "syntax = \"proto3\";\nmessage Plain { string s = 1; }\n",
        ),
        (
            "schemas/u.avsc",
            r#"{"type":"record","name":"U","fields":[{"name":"v","type":["null","int","string"]},{"name":"type","type":"bytes"},{"name":"camelCase","type":{"type":"fixed","name":"F4","size":4}}]}"#,
        ),
    ]);
    let src = generate(dir.path()).unwrap().source;
    assert!(src.contains("pub struct Plain"), "{src}");
    assert!(src.contains("const MESSAGE_INDEXES: &'static [i32] = &[0];"));
    assert!(src.contains("pub enum UnionNullIntString"), "{src}");
    assert!(src.contains("pub r#type: Vec<u8>"), "{src}");
    assert!(src.contains("#[serde(rename = \"camelCase\")]"), "{src}");
}

#[test]
fn write_if_changed_keeps_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out/gen.rs");
    assert!(write_if_changed(&p, "a").unwrap());
    assert!(!write_if_changed(&p, "a").unwrap());
    assert!(write_if_changed(&p, "b").unwrap());
    assert_eq!(fs::read_to_string(&p).unwrap(), "b");
}

#[test]
fn type_attributes_reach_avro_and_protobuf_types() {
    let dir = project(&[
        ("schemas/good.avsc", GOOD),
        (
            "proto/p.proto",
            "syntax = \"proto3\";\npackage p;\nmessage M { string s = 1; }\nmessage N { string s = 1; }\n",
        ),
    ]);
    let src = Builder::new()
        .avro_dir(dir.path().join("schemas"))
        .proto_dir(dir.path().join("proto"))
        .type_attribute("Good", "#[doc(alias = \"avro_good\")]")
        .type_attribute(".p.M", "#[doc(alias = \"proto_m\")]")
        .type_attribute(".", "#[doc(alias = \"every\")]")
        .generate()
        .unwrap()
        .source;
    // The attribute lines of a type: between the previous item's closing brace and it.
    let before = |ty: &str| {
        let at = src.find(ty).unwrap_or_else(|| panic!("{ty} in {src}"));
        let from = src[..at].rfind("}\n").map_or(0, |i| i + 2);
        src[from..at].to_string()
    };
    let good = before("pub struct Good");
    assert!(
        good.contains("avro_good") && good.contains("every"),
        "{good}"
    );
    let m = before("pub struct M");
    assert!(m.contains("proto_m") && m.contains("every"), "{m}");
    let n = before("pub struct N");
    assert!(!n.contains("proto_m") && n.contains("every"), "{n}");
}

#[test]
fn a_missing_folder_and_a_missing_out_dir_are_errors_not_panics() {
    let e = Builder::new()
        .avro_dir("/nonexistent/schemas")
        .generate()
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/schemas"), "{e}");
    let dir = project(&[("schemas/good.avsc", GOOD)]);
    let out = dir.path().join("out");
    Builder::new()
        .avro_dir(dir.path().join("schemas"))
        .out_dir(&out)
        .file_name("x.rs")
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap();
    assert!(fs::read_to_string(out.join("x.rs"))
        .unwrap()
        .contains("pub struct Good"));
}

#[test]
fn protobuf_maps_are_btree_maps_unless_told() {
    let dir = project(&[(
        "proto/m.proto",
        "syntax = \"proto3\";\npackage m;\nmessage A { map<string, string> x = 1; }\nmessage B { map<string, string> y = 1; }\n",
    )]);
    let gen = |paths: &[&str]| {
        Builder::new()
            .proto_dir(dir.path().join("proto"))
            .btree_map(paths.iter().copied())
            .generate()
            .unwrap()
            .source
    };
    let default = Builder::new()
        .proto_dir(dir.path().join("proto"))
        .generate()
        .unwrap()
        .source;
    assert_eq!(default.matches("BTreeMap").count(), 2, "{default}");
    let one = gen(&[".m.A.x"]);
    assert!(one.contains("BTreeMap") && one.contains("HashMap"), "{one}");
    let none = gen(&[]);
    assert!(!none.contains("BTreeMap"), "{none}");
}
