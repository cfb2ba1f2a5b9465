//! Behaviour of `schemaflow check` settled when `check` moved onto the CLI's shared parts
//! (issue 9, item 5): one schema-type-from-extension rule for every command, the registry
//! client built from the global flags (so `--registry-token` is sent), and findings placed
//! where the parsers say the element is.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    c.current_dir(dir)
        .env_remove("SCHEMA_REGISTRY_AUTH")
        .env_remove("SCHEMA_REGISTRY_TOKEN")
        .env_remove("SCHEMA_REGISTRY_URL");
    c
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout {}\nstderr {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const V1: &str =
    r#"{"type":"record","name":"U","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"U","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"note","type":["null","string"],"default":null}]}"#;

/// `.avsc` is Avro, `.proto` Protobuf and `.json` JSON Schema; `.avro` (Avro's data-file
/// extension) is not guessed, in `check` as in `register`. An Avro schema in a `.json` file
/// needs `--schema-type avro`: read as JSON Schema it is invalid (exit 2, keyword and pointer).
#[test]
fn only_avsc_proto_and_json_name_a_schema_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    for ext in ["avsc", "avro", "json"] {
        write(d, &format!("v1.{ext}"), V1);
        write(d, &format!("v2.{ext}"), V2);
    }
    let pair = |ext: &str, extra: &[&str]| {
        bin(d)
            .arg("check")
            .args(extra)
            .args(["--previous", &format!("v1.{ext}")])
            .args(["--candidate", &format!("v2.{ext}")])
            .output()
            .expect("binary runs")
    };
    let out = pair("avsc", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = pair("avro", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--schema-type"),
        "{}",
        show(&out)
    );
    let out = pair("json", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("#/type"),
        "{}",
        show(&out)
    );
    for ext in ["avro", "json"] {
        let out = pair(ext, &["--schema-type", "avro"]);
        assert_eq!(out.status.code(), Some(0), "{ext}: {}", show(&out));
    }
    // `register` applies the same rule before it contacts the registry (none listens here).
    let out = bin(d)
        .args(["--registry", "http://127.0.0.1:9", "register"])
        .args(["--subject", "u-value", "--schema-file", "v1.avro"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

/// A one-route registry: every request is answered `404 40401` (no such subject) after its
/// `Authorization` header is recorded.
/// What the registry saw: each request line with its `Authorization` header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

fn recording_registry() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut auth = None;
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    match name.trim().to_ascii_lowercase().as_str() {
                        "authorization" => auth = Some(value.trim().to_string()),
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            record
                .lock()
                .expect("lock")
                .push((request.trim().to_string(), auth));
            let body = r#"{"error_code":40401,"message":"Subject 'shop.U' not found."}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn registry_mode_sends_the_bearer_token() {
    let (url, seen) = recording_registry();
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "schemas/u.avsc", V1);
    write(
        dir.path(),
        "schemaflow-subjects.toml",
        "[defaults]\nstrategy = \"record\"\n",
    );
    let out = bin(dir.path())
        .args(["check", "--registry", &url, "--registry-token", "T"])
        .output()
        .expect("binary runs");
    // The subject is new to this registry: a pass, saying that nothing was compared.
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("not checked: schemas/u.avsc: "),
        "{}",
        show(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was compared"),
        "{}",
        show(&out)
    );
    let seen = seen.lock().expect("lock").clone();
    assert!(!seen.is_empty(), "no request reached the registry");
    for (request, auth) in &seen {
        assert_eq!(auth.as_deref(), Some("Bearer T"), "{request}");
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

/// `(line, column)` of each finding of a JSON report.
fn places(out: &Output) -> Vec<(String, u64, u64)> {
    json(out)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

const ORDER: &str = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Customer {\n  string id = 1;\n}\n\nmessage Order {\n  string id = 1;\n}\n";
const USER: &str = r#"{"type": "record", "name": "User", "namespace": "shop",
 "fields": [
  {"name": "address", "type": {"type": "record", "name": "Address",
     "fields": [{"name": "id", "type": "string"}]}},
  {"name": "id",
   "type": "string"}
 ]}"#;

/// Findings are placed where the parser says the element is, not at the first line that
/// mentions its name: an `id` of another message or record earlier in the file is skipped.
#[test]
fn findings_sit_where_the_element_is_defined() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "old/order.proto", ORDER);
    write(
        d,
        "new/order.proto",
        &ORDER.replace(
            "message Order {\n  string id",
            "message Order {\n  int64 id",
        ),
    );
    write(d, "old/user.avsc", USER);
    write(
        d,
        "new/user.avsc",
        &USER.replace("\"type\": \"string\"}\n ]}", "\"type\": \"long\"}\n ]}"),
    );
    let pair = |old: &str, new: &str, output: &str| {
        bin(d)
            .args([
                "check",
                "--output",
                output,
                "--previous",
                old,
                "--candidate",
                new,
            ])
            .output()
            .expect("binary runs")
    };
    let out = pair("old/order.proto", "new/order.proto", "json");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        places(&out),
        vec![("FIELD_SCALAR_KIND_CHANGED".to_string(), 9, 3)],
        "{}",
        show(&out)
    );
    let out = pair("old/user.avsc", "new/user.avsc", "json");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        places(&out),
        vec![("TYPE_MISMATCH".to_string(), 6, 12)],
        "{}",
        show(&out)
    );
    // The stable text line carries the same line.
    let out = pair("old/user.avsc", "new/user.avsc", "text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("new/user.avsc:6: TYPE_MISMATCH /fields/1/type: "),
        "{text}"
    );
    // FULL: the forward finding is found in the candidate through the previous (reader)
    // schema's field name.
    let out = bin(d)
        .args(["check", "--mode", "FULL", "--output", "json"])
        .args([
            "--previous",
            "new/user.avsc",
            "--candidate",
            "old/user.avsc",
        ])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let forward: Vec<_> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["direction"] == "FORWARD")
        .map(|f| (f["line"].as_u64(), f["column"].as_u64()))
        .collect();
    assert_eq!(forward, vec![(Some(6), Some(12))], "{doc}");
}
