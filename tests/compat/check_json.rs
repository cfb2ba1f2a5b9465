//! `schemaflow check` on JSON Schema files, in repository mode against a git ref: findings
//! carry the rule id, the JSON pointer, the message and the line the pointer leads to, in
//! every CI output format; a `[[waiver]]` by rule id waives them; a cross-file `$ref` resolves.

use crate::check_repo;

use check_repo::{check, git, json, stderr, stdout, write};

const USER: &str = "schemas/json/user.json";
const ADDRESS: &str =
    r#"{"title":"Address","type":"object","properties":{"city":{"type":"string"}}}"#;
const USER_V1: &str = r#"{
  "title": "User",
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "address": {"$ref": "address.json"}
  }
}"#;
/// `id` becomes an integer: TYPE_CHANGED at `#/properties/id` (line 5).
const USER_V2: &str = r#"{
  "title": "User",
  "type": "object",
  "properties": {
    "id": {"type": "integer"},
    "address": {"$ref": "address.json"}
  }
}"#;

fn repo(subjects: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "schemas/json/address.json", ADDRESS);
    write(d, USER, USER_V1);
    write(d, "schemaflow-subjects.toml", subjects);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1"]);
    write(d, USER, USER_V2);
    dir
}

const SUBJECTS: &str = "[[file]]\npath = \"schemas/json/user.json\"\ntopic = \"users\"\n\n[[file]]\npath = \"schemas/json/address.json\"\nsubject = \"address.json\"\n";

#[test]
fn json_findings_in_every_format() {
    let dir = repo(SUBJECTS);
    let d = dir.path();
    let out = check(d, "2026-12-01", &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{USER}:5: TYPE_CHANGED #/properties/id: "))),
        "{text}"
    );

    let doc = json(&check(d, "2026-12-01", &["--output", "json"]));
    let f = &doc["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["path"].as_str(), f["line"].as_u64()),
        (Some("TYPE_CHANGED"), Some("#/properties/id"), Some(5)),
        "{doc}"
    );
    assert!(
        f["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{doc}"
    );

    let gha = stdout(&check(d, "2026-12-01", &["--output", "github-actions"]));
    assert!(
        gha.contains(&format!(
            "::error file={USER},line=5,title=TYPE_CHANGED::#/properties/id: "
        )),
        "{gha}"
    );
    let sarif = json(&check(d, "2026-12-01", &["--output", "sarif"]));
    let r = &sarif["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "TYPE_CHANGED", "{sarif}");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"], 5,
        "{sarif}"
    );
    for format in ["junit", "gitlab-code-quality"] {
        let out = stdout(&check(d, "2026-12-01", &["--output", format]));
        assert!(
            out.contains("TYPE_CHANGED") && out.contains("#/properties/id"),
            "{format}: {out}"
        );
    }
}

#[test]
fn a_waiver_by_rule_id_waives_a_json_finding() {
    let waiver = format!(
        "{SUBJECTS}\n[[waiver]]\nrule = \"TYPE_CHANGED\"\nfile = {USER:?}\nreason = \"ids are numeric now\"\nexpires = 2027-01-31\n"
    );
    let dir = repo(&waiver);
    let out = check(dir.path(), "2026-12-01", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("waived: {USER}:5: TYPE_CHANGED ")),
        "{}",
        stdout(&out)
    );
}
