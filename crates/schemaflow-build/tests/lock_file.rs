//! `Builder::lock_file`: a schema incompatible with its released versions fails the build.
//!
//! In process (`generate`) for the verdicts, and once as users meet it: `cargo build` of a
//! temporary crate whose `build.rs` calls the builder, sharing this workspace's target folder
//! and `Cargo.lock` so that only the probe crate itself is compiled.

use std::path::{Path, PathBuf};
use std::process::Command;

use schemaflow_build::Builder;
use schemaflow_schema::compat::{CompatibilityLevel, SchemaInput};
use schemaflow_schema::lock::{
    fingerprint, LockFile, LockedReference, LockedSubject, LockedVersion, FORMAT,
};
use schemaflow_schema::SchemaType;

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
const USER_V1: &str = "{\n  \"type\": \"record\", \"name\": \"User\", \"namespace\": \"shop\",\n  \"fields\": [\n    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"home\", \"type\": \"Address\"}\n  ]\n}\n";
const ORDER_V1: &str = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Order {\n  string id = 1;\n  int64 cents = 2;\n}\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn version(input: &SchemaInput, refs: Vec<LockedReference>) -> LockedVersion {
    LockedVersion {
        version: 1,
        fingerprint: fingerprint(input).expect("fingerprint"),
        references: refs,
        schema: input.text.clone(),
    }
}

/// A crate folder with v1 schemas and the lock of v1.
fn project(dir: &Path) {
    write(dir, "schemas/address.avsc", ADDRESS);
    write(dir, "schemas/user.avsc", USER_V1);
    write(dir, "proto/shop/v1/order.proto", ORDER_V1);
    let address = SchemaInput::new(SchemaType::Avro, ADDRESS, "address");
    let user = SchemaInput::new(SchemaType::Avro, USER_V1, "user")
        .with_references(vec![("shop.Address".into(), ADDRESS.into())]);
    let order = SchemaInput::new(SchemaType::Protobuf, ORDER_V1, "order");
    let subject = |name: &str, t, file: &str, v| LockedSubject {
        name: name.into(),
        schema_type: t,
        compatibility: CompatibilityLevel::Backward,
        file: Some(file.into()),
        versions: vec![v],
    };
    let lock = LockFile {
        format: FORMAT,
        subjects: vec![
            subject(
                "shop.Address",
                SchemaType::Avro,
                "schemas/address.avsc",
                version(&address, vec![]),
            ),
            subject(
                "users-value",
                SchemaType::Avro,
                "schemas/user.avsc",
                version(
                    &user,
                    vec![LockedReference {
                        name: "shop.Address".into(),
                        subject: "shop.Address".into(),
                        version: 1,
                    }],
                ),
            ),
            subject(
                "orders-value",
                SchemaType::Protobuf,
                "proto/shop/v1/order.proto",
                version(&order, vec![]),
            ),
        ],
    };
    write(dir, "schemaflow.lock", &lock.to_text());
}

fn builder(dir: &Path) -> Builder {
    let mut b = Builder::new();
    b.avro_dir(dir.join("schemas"))
        .proto_dir(dir.join("proto"))
        .lock_file(dir.join("schemaflow.lock"))
        .emit_rerun_if_changed(false);
    b
}

#[test]
fn generate_refuses_incompatible_changes_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    project(d);
    builder(d).generate().expect("v1 builds");
    // Compatible: an optional field, a new Protobuf field.
    write(
        d,
        "schemas/user.avsc",
        &USER_V1.replace(
            "\"Address\"}\n",
            "\"Address\"},\n    {\"name\": \"email\", \"type\": [\"null\", \"string\"], \"default\": null}\n",
        ),
    );
    write(
        d,
        "proto/shop/v1/order.proto",
        &ORDER_V1.replace("int64 cents = 2;", "int64 cents = 2;\n  string note = 3;"),
    );
    builder(d).generate().expect("compatible changes build");
    // Breaking: id string -> long; Protobuf cents int64 -> string.
    write(
        d,
        "schemas/user.avsc",
        &USER_V1.replace("\"id\", \"type\": \"string\"", "\"id\", \"type\": \"long\""),
    );
    write(
        d,
        "proto/shop/v1/order.proto",
        &ORDER_V1.replace("int64 cents = 2;", "string cents = 2;"),
    );
    let err = builder(d).generate().expect_err("breaking changes fail");
    let text = err.to_string();
    assert!(
        text.contains("schemas/user.avsc:4: TYPE_MISMATCH /fields/0/type: "),
        "{text}"
    );
    assert!(
        text.contains(
            "proto/shop/v1/order.proto:6: FIELD_SCALAR_KIND_CHANGED shop.v1.Order.cents: "
        ),
        "{text}"
    );
    assert!(
        text.contains("against users-value version 1 (lock)"),
        "{text}"
    );
    // Debug reads as Display (a build script's `?` prints Debug).
    assert_eq!(format!("{err:?}"), text);
}

#[test]
fn a_broken_or_newer_lock_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    project(d);
    let lock = std::fs::read_to_string(d.join("schemaflow.lock")).expect("read");
    write(
        d,
        "schemaflow.lock",
        &lock.replace("format = 1", "format = 7"),
    );
    let err = builder(d).generate().expect_err("format 7");
    assert!(err.to_string().contains("upgrade schemaflow"), "{err}");
    std::fs::remove_file(d.join("schemaflow.lock")).expect("rm");
    let err = builder(d).generate().expect_err("missing");
    assert!(err.to_string().contains("schemaflow lock"), "{err}");
}

/// `cargo build` of a crate using `lock_file` in its `build.rs`.
#[test]
fn cargo_build_fails_on_a_breaking_change() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    project(d);
    let build_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = build_crate
        .parent()
        .and_then(Path::parent)
        .expect("workspace root");
    write(
        d,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"lock-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[build-dependencies]\nschemaflow-build = {{ path = {:?} }}\n\n[workspace]\n",
            build_crate.display().to_string()
        ),
    );
    write(
        d,
        "build.rs",
        "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    schemaflow_build::Builder::new()\n        .avro_dir(\"schemas\")\n        .proto_dir(\"proto\")\n        .lock_file(\"schemaflow.lock\")\n        .compile()?;\n    Ok(())\n}\n",
    );
    write(
        d,
        "src/lib.rs",
        "//! A crate whose build checks its schemas.\n",
    );
    // The workspace's versions, so nothing new is resolved or downloaded.
    std::fs::copy(workspace.join("Cargo.lock"), d.join("Cargo.lock")).expect("Cargo.lock");
    let target: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .expect("target dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = || {
        Command::new(&cargo)
            .current_dir(d)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--quiet"])
            .output()
            .expect("cargo runs")
    };
    let out = build();
    assert!(
        out.status.success(),
        "v1 builds: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    write(
        d,
        "schemas/user.avsc",
        &USER_V1.replace("\"id\", \"type\": \"string\"", "\"id\", \"type\": \"long\""),
    );
    let out = build();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the breaking change built: {stderr}");
    assert!(
        stderr.contains("schemas/user.avsc:4: TYPE_MISMATCH /fields/0/type: "),
        "{stderr}"
    );
    // Back to a compatible schema: the build passes again (rerun-if-changed on the files).
    write(d, "schemas/user.avsc", USER_V1);
    let out = build();
    assert!(
        out.status.success(),
        "back to v1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const JSON_ADDRESS: &str =
    r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
const JSON_USER_V1: &str = "{\n  \"title\": \"User\",\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {\"type\": \"string\"},\n    \"home\": {\"$ref\": \"address.json\"}\n  },\n  \"required\": [\"id\"],\n  \"additionalProperties\": false\n}\n";

/// A crate folder with a JSON Schema pair (`user.json` references `address.json`) and the
/// lock of their first versions.
fn json_project(dir: &Path) {
    write(dir, "json/address.json", JSON_ADDRESS);
    write(dir, "json/user.json", JSON_USER_V1);
    let address = SchemaInput::new(SchemaType::Json, JSON_ADDRESS, "address");
    let user = SchemaInput::new(SchemaType::Json, JSON_USER_V1, "user")
        .with_references(vec![("address.json".into(), JSON_ADDRESS.into())]);
    let json_version = |input: &SchemaInput, refs| LockedVersion {
        version: 1,
        fingerprint: fingerprint(input).expect("a JSON Schema's fingerprint"),
        references: refs,
        schema: input.text.clone(),
    };
    let lock = LockFile {
        format: FORMAT,
        subjects: vec![
            LockedSubject {
                name: "shop-address".into(),
                schema_type: SchemaType::Json,
                compatibility: CompatibilityLevel::Backward,
                file: Some("json/address.json".into()),
                versions: vec![json_version(&address, vec![])],
            },
            LockedSubject {
                name: "users-json-value".into(),
                schema_type: SchemaType::Json,
                compatibility: CompatibilityLevel::Backward,
                file: Some("json/user.json".into()),
                versions: vec![json_version(
                    &user,
                    vec![LockedReference {
                        name: "address.json".into(),
                        subject: "shop-address".into(),
                        version: 1,
                    }],
                )],
            },
        ],
    };
    write(dir, "schemaflow.lock", &lock.to_text());
}

/// The lock holds JSON Schema subjects (`type = "JSON"`, the canonical form's fingerprint):
/// a breaking change to a locked JSON file fails the build, naming the file and the pointer.
#[test]
fn a_breaking_json_schema_change_fails_the_build() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    json_project(d);
    let json_builder = || {
        let mut b = Builder::new();
        b.json_schema_dir(d.join("json"))
            .lock_file(d.join("schemaflow.lock"))
            .emit_rerun_if_changed(false);
        b
    };
    json_builder().generate().expect("v1 builds");
    // Compatible under BACKWARD: an optional property added to a closed object.
    write(
        d,
        "json/user.json",
        &JSON_USER_V1.replace(
            "\"home\": {\"$ref\": \"address.json\"}\n",
            "\"home\": {\"$ref\": \"address.json\"},\n    \"email\": {\"type\": \"string\"}\n",
        ),
    );
    json_builder()
        .generate()
        .expect("a compatible change builds");
    // Breaking: `id` string -> integer; in the referenced file, a new required property.
    write(
        d,
        "json/user.json",
        &JSON_USER_V1.replace(
            "\"id\": {\"type\": \"string\"}",
            "\"id\": {\"type\": \"integer\"}",
        ),
    );
    let err = json_builder()
        .generate()
        .expect_err("a breaking change fails");
    let text = err.to_string();
    assert!(text.contains("json/user.json:"), "{text}");
    assert!(text.contains("#/properties/id"), "{text}");
    assert!(
        text.contains("against users-json-value version 1 (lock)"),
        "{text}"
    );
}
