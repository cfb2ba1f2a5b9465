//! JSON Schema codegen: golden output for a set that exercises the mapping (drafts 04, 07 and
//! 2020-12, cross-file and in-document `$ref`s, recursion, unions, defaults), and build
//! failures that name the file and the reason.
use std::fs;
use std::path::Path;

use schemaflow_build::Builder;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/json")
}

/// The generated source for `tests/json/` is reviewed as a file (the repository's build
/// compiles the same folder, and tests/codec/json_generated.rs exercises the types): set
/// `UPDATE_GOLDEN=1` to rewrite it after an intended change.
#[test]
fn generated_source_matches_golden() {
    let generated = Builder::new()
        .json_schema_dir(fixtures())
        .generate()
        .expect("generates");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/json_schema.rs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&golden, &generated.source).expect("write golden");
    }
    let expected = fs::read_to_string(&golden).expect("golden file; run with UPDATE_GOLDEN=1");
    assert_eq!(
        generated.source, expected,
        "codegen output changed; review and UPDATE_GOLDEN=1"
    );
    let src = &generated.source;
    // Cross-file references by relative path, the fragment one to the definition's type.
    assert!(
        src.contains("pub customer: super::customer::Customer,"),
        "{src}"
    );
    assert!(src.contains("pub ship_to: ::std::option::Option<super::customer::Named>,"));
    assert!(src.contains("pub total: ::std::option::Option<super::money::Money>,"));
    // Recursion: boxed where direct, not through a Vec.
    assert!(src.contains("pub parent: ::std::option::Option<::std::boxed::Box<Line>>,"));
    assert!(src.contains("pub bundle: ::std::option::Option<::std::vec::Vec<Line>>,"));
    assert!(src.contains("pub referred_by: ::std::option::Option<::std::boxed::Box<Customer>>,"));
    // Without the runtime's `json-schema` feature the types do not compile (the macro is a
    // `compile_error!` naming the feature then).
    assert!(src.contains("::schemaflow::codec::json_schema::types_need_the_feature!();"));
    // The references carry the `$ref` names.
    assert!(src.contains("name: \"customer.json\""));
    assert!(src.contains("name: \"common/money.json\""));
    let inputs: Vec<String> = generated
        .inputs
        .iter()
        .map(|p| {
            p.strip_prefix(fixtures())
                .expect("below")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(inputs, ["common/money.json", "customer.json", "order.json"]);
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }
    dir
}

fn error_for(files: &[(&str, &str)]) -> String {
    let dir = project(files);
    Builder::new()
        .json_schema_dir(dir.path())
        .generate()
        .expect_err("must fail")
        .to_string()
}

const GOOD: &str = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;

#[test]
fn an_invalid_schema_fails_with_the_file_and_the_reason() {
    // Not a schema by the draft-07 meta-schema: `type` must be a string or an array.
    let err = error_for(&[("good.json", GOOD), ("bad.json", r#"{"type": 5}"#)]);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("type"), "{err}");
    assert!(!err.contains("good.json"), "{err}");
    // Not JSON at all.
    let err = error_for(&[("broken.json", "{\"type\": ")]);
    assert!(err.contains("broken.json: invalid JSON"), "{err}");
    // A reference to a file that is not there.
    let err = error_for(&[(
        "user.json",
        r#"{"type":"object","properties":{"a":{"$ref":"address.json"}}}"#,
    )]);
    assert!(err.contains("user.json"), "{err}");
    assert!(err.contains("address.json"), "{err}");
    // Two files that would be one module.
    let err = error_for(&[("a/user.json", GOOD), ("b/user.json", GOOD)]);
    assert!(err.contains("json::user"), "{err}");
    // A pointer that points at nothing.
    let err = error_for(&[(
        "user.json",
        r##"{"type":"object","properties":{"a":{"$ref":"#/definitions/Nope"}}}"##,
    )]);
    assert!(err.contains("user.json"), "{err}");
    assert!(err.contains("Nope"), "{err}");
    // 2020-12 keywords are checked against 2020-12's meta-schema when `$schema` says so.
    let err = error_for(&[(
        "x.json",
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":{"type":"string"}}"#,
    )]);
    assert!(err.contains("x.json"), "{err}");
    assert!(err.contains("prefixItems"), "{err}");
}

#[test]
fn a_separate_set_refers_to_the_main_sets_files() {
    let dir = project(&[
        ("address.json", GOOD),
        (
            "user.json",
            r#"{"title":"User","type":"object","properties":{"home":{"$ref":"address.json"}},"required":["home"]}"#,
        ),
        (
            "evolution/user.json",
            r#"{"title":"User","type":"object","properties":{"home":{"$ref":"address.json"},"age":{"type":"integer"}},"required":["home"]}"#,
        ),
    ]);
    let src = Builder::new()
        .json_schema_dir(dir.path())
        .separate_set("evolution")
        .generate()
        .expect("generates")
        .source;
    let evolution = &src[src.find("pub mod evolution").expect("evolution module")..];
    assert!(
        evolution.contains("pub home: super::super::address::Address,"),
        "{evolution}"
    );
    assert!(
        evolution.contains("pub age: ::std::option::Option<i64>,"),
        "{evolution}"
    );
    assert!(
        evolution.contains("schema_text: super::super::__schemaflow_meta::FILE_0"),
        "{evolution}"
    );
}

#[test]
fn type_attributes_match_every_type_a_name_or_a_pointer() {
    let dir = project(&[(
        "user.json",
        r##"{"title":"User","type":"object","properties":{"d":{"$ref":"#/definitions/Device"}},"definitions":{"Device":{"type":"object","properties":{"p":{"type":"string"}}}}}"##,
    )]);
    let src = Builder::new()
        .json_schema_dir(dir.path())
        .type_attribute(".", "#[allow(unused)]")
        .type_attribute("User", "#[non_exhaustive]")
        .type_attribute("user.json#/definitions/Device", "#[derive(Default)]")
        .generate()
        .expect("generates")
        .source;
    assert_eq!(src.matches("#[allow(unused)]").count(), 2, "{src}");
    assert!(src.contains("#[non_exhaustive]\npub struct User"), "{src}");
    assert!(
        src.contains("#[derive(Default)]\npub struct Device"),
        "{src}"
    );
}
