//! The registry's API fuzzed from its own OpenAPI document: schemathesis (pinned, in a venv of
//! its own: `scripts/requirements-schemathesis.txt`) against a live `registry serve`, bounded
//! (a fixed seed, a few examples per operation), every operation, its stateful links: no 5xx,
//! every response — errors included, as Confluent's `{"error_code", "message"}` — conforms to
//! the document, with the content type and a status code it lists.

use crate::common;

use std::process::Command;

fn schemathesis() -> String {
    format!(
        "{}/bin/schemathesis",
        common::python::venv(Some("scripts/requirements-schemathesis.txt"))
    )
}

#[test]
fn the_api_holds_to_its_document_under_schemathesis() {
    let st = schemathesis();
    let dir = tempfile::tempdir().expect("dir");
    let (mut serve, url) = common::serve::Serve::new()
        .arg("--data-dir")
        .arg(dir.path())
        .serving();
    let report = dir.path().join("schemathesis.xml");
    let out = Command::new(&st)
        .args(["run", &format!("{url}/openapi.json")])
        .args(["--seed", "20261202", "--max-examples", "25"])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance",
        ])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(&report)
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .expect("run schemathesis");
    let _ = serve.kill();
    let _ = serve.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every operation of the document was exercised, none skipped.
    let doc: serde_json::Value =
        serde_json::from_str(schemaflow_registry::OPENAPI).expect("document");
    let operations: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    // All but `GET /openapi.json` itself, which schemathesis leaves out as the document's URL.
    let expected = operations - 1;
    assert!(
        stdout.contains(&format!("Selected: {expected}/{expected}"))
            && stdout.contains(&format!("Tested: {expected}")),
        "not every one of the {expected} operations was tested:\n{stdout}"
    );
    assert!(stdout.contains("passed"), "{stdout}");
    assert!(report.exists(), "the JUnit report was written");
}
